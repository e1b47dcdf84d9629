package io.remem.client;

import org.junit.jupiter.api.Test;

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
}
