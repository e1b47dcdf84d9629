package io.remem.client;

import org.junit.jupiter.api.Test;

import java.util.BitSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CoherenceLayoutTest {
    @Test
    void everyRuntimeDerivesTheSameLayoutFromTheTotalSizeAlone() {
        for (long data : new long[] {1, 4095, 4096, 4097, 1 << 20, (2L << 20) - 4096, (2L << 20) - 4095, 2L << 20,
                (4L << 20) + 1, 1L << 30, 1L << 40}) {
            CoherenceLayout l = CoherenceLayout.forData(data);
            CoherenceLayout again = CoherenceLayout.forTotal(l.totalBytes());
            assertThat(again.dataBytes).as("data of %d", data).isEqualTo(l.dataBytes).isGreaterThanOrEqualTo(data)
                    .isLessThan(data + 4096);
            assertThat(again.logBytes).isEqualTo(l.logBytes);
            assertThat(again.stripes).isEqualTo(l.stripes).isBetween(1, CoherenceLayout.MAX_STRIPES);
            assertThat(l.stripeBytes % 4096).isZero();
            assertThat((long) l.stripes * l.stripeBytes).as("stripes cover the data").isGreaterThanOrEqualTo(l.dataBytes);
            assertThat(l.stripeOf(l.dataBytes - 1)).isLessThan(l.stripes);
            assertThat(CoherenceLayout.sequenceWord(l.stripes - 1) + 8).as("stripe words fit the header")
                    .isLessThanOrEqualTo(CoherenceLayout.HEADER);
        }
    }

    @Test
    void aSmallDatasetsLogHoldsACommitOfAllOfItAndALargeOnesIsCapped() {
        CoherenceLayout small = CoherenceLayout.forData(64 << 10);
        assertThat(small.logCapacity()).isGreaterThanOrEqualTo(CommitLog.bytesFor(64 << 10));
        assertThat(CoherenceLayout.forData(1L << 30).logBytes).isEqualTo(CoherenceLayout.MAX_LOG);
    }

    @Test
    void aSizeNoCoherentDatasetHasIsRefused() {
        assertThatThrownBy(() -> CoherenceLayout.forTotal((1L << 20) + 4096)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not laid out for coherence");
        assertThatThrownBy(() -> CoherenceLayout.forTotal(100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CoherenceLayout.forData(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aGrownLayoutKeepsItsHeaderLogAndStripesAndItsNewBytesShareTheStripes() {
        for (long created : new long[] {4096, 64 << 10, 1 << 20, 4L << 20, 1L << 30}) {
            CoherenceLayout before = CoherenceLayout.forData(created);
            CoherenceLayout after = CoherenceLayout.of(created, before.totalBytes() + 5 * created + 100);
            assertThat(after.dataBytes).as("a ragged tail is not data").isEqualTo(6 * created);
            assertThat(after.dataOffset).isEqualTo(before.dataOffset);
            assertThat(after.logBytes).isEqualTo(before.logBytes);
            assertThat(after.stripes).isEqualTo(before.stripes);
            assertThat(after.stripeBytes).isEqualTo(before.stripeBytes);
            assertThat(after.createdBytes).isEqualTo(created);
            for (long offset = 0; offset < before.dataBytes; offset += 4096) {
                assertThat(after.stripeOf(offset)).isEqualTo(before.stripeOf(offset));
            }
            long unit = after.stripeBytes;
            assertThat(after.stripeOf((long) after.stripes * unit + 5)).as("the stripes repeat").isZero();
            assertThat(after.stripeOf(after.dataBytes - 1)).isLessThan(after.stripes);
            assertThat(CoherenceLayout.of(created, before.totalBytes()).dataBytes).isEqualTo(created);
            assertThat(before.withTotal(before.totalBytes() - 4096)).as("never shrinks").isSameAs(before);
        }
        assertThatThrownBy(() -> CoherenceLayout.of(1 << 20, CoherenceLayout.forData(1 << 20).totalBytes() - 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theStripesOfARangeAreItsUnitsModuloTheStripesAndAllOfThemForALongRange() {
        CoherenceLayout l = CoherenceLayout.of(64 << 10, CoherenceLayout.forData(64 << 10).totalBytes() + (1 << 20));
        assertThat(l.stripes).isEqualTo(16);
        BitSet s = new BitSet();
        l.stripesOf(15 * 4096 + 100, 17 * 4096 + 1, s); // units 15, 16 and 17: stripes 15, 0 and 1
        assertThat(s.stream().toArray()).containsExactly(0, 1, 15);
        s.clear();
        l.stripesOf(4096, 4096 + 16 * 4096, s); // 16 units: every stripe once
        assertThat(s.cardinality()).isEqualTo(16);
        s.clear();
        l.stripesOf(70 * 4096, 70 * 4096 + 1, s);
        assertThat(s.stream().toArray()).containsExactly(70 % 16);
    }
}
