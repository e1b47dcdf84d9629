package io.remem.bench.suite;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

/** The shared YCSB benchmark's arithmetic and its wire format to the client JVMs; the benchmark itself is not run. */
class SharedYcsbTest {
    private static final RecordShape KIB = new RecordShape(10, 100);

    @Test
    void overflowChanceIsPoissonsTail() {
        // P[X > 3] for X ~ Poisson(1) = 1 - e^-1 (1 + 1 + 1/2 + 1/6)
        assertThat(SharedYcsb.overflowChance(1, 3)).isCloseTo(1 - Math.exp(-1) * (8.0 / 3), within(1e-12));
        // far out in the tail, where 1 - (the terms up to 3) would be lost to rounding: the leading term, and a bit
        assertThat(SharedYcsb.overflowChance(0.01, 3)).isCloseTo(Math.exp(-0.01) * 1e-8 / 24, withinPercentage(0.5));
    }

    @Test
    void theDefaultMapKeepsTheExpectedOverflowUnderItsBound() {
        assertThat(SharedYcsb.entriesPerBucket(KIB)).isEqualTo(3); // 8 + 23 + 1000 bytes each, of 4,088
        long bytes = SharedYcsb.defaultMapBytes(1000, KIB);
        long buckets = bytes / SharedYcsb.BUCKET;
        assertThat(bytes % SharedYcsb.BUCKET).isZero();
        assertThat(buckets * SharedYcsb.overflowChance(1000.0 / buckets, 3)).isLessThanOrEqualTo(SharedYcsb.OVERFLOW_BOUND);
        // An eighth fewer buckets would break the bound: the size is not wildly generous.
        long fewer = buckets * 8 / 9;
        assertThat(fewer * SharedYcsb.overflowChance(1000.0 / fewer, 3)).isGreaterThan(SharedYcsb.OVERFLOW_BOUND);
        assertThat(SharedYcsb.defaultMapBytes(2000, KIB)).isGreaterThan(bytes);
    }

    @Test
    void aRecordThatFitsNoBucketIsRefused() {
        assertThatThrownBy(() -> SharedYcsb.defaultMapBytes(1000, new RecordShape(1, 4096)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
    }

    @Test
    void histogramsAndStackTracesCrossTheLineIntact() {
        Histogram h = new Histogram(3);
        for (long v = 1_000; v < 5_000_000; v += 7_919) {
            h.recordValue(v);
        }
        Histogram back = SharedYcsbClient.decode(SharedYcsbClient.encode(h));
        assertThat(back).isEqualTo(h);
        String trace = "java.lang.IllegalStateException: full\n\tat a.b(C.java:1)\\n literal";
        String line = SharedYcsbClient.escape(trace);
        assertThat(line).doesNotContain("\n");
        assertThat(SharedYcsbClient.unescape(line)).isEqualTo(trace);
    }
}
