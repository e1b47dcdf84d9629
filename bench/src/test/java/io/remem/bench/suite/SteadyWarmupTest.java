package io.remem.bench.suite;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.assertj.core.api.Assertions.assertThat;

class SteadyWarmupTest {
    private static final long MS = 1_000_000;

    @Test
    void steadyMeansWithinTenPercentOfEachOther() {
        assertThat(SteadyWarmup.steady(1000, 1100)).isTrue();
        assertThat(SteadyWarmup.steady(1100, 1000)).isTrue();
        assertThat(SteadyWarmup.steady(1000, 1112)).isFalse();
        assertThat(SteadyWarmup.steady(0, 0)).isTrue();
        assertThat(SteadyWarmup.steady(0, 5)).isFalse();
    }

    @Test
    void itLastsAtLeastTheMinimumThenUntilSteadyThenNoLongerThanTheCap() {
        long min = 1000 * MS;
        long cap = 5000 * MS;
        assertThat(SteadyWarmup.over(900 * MS, min, cap, 100, 100)).as("steady, but before the minimum").isFalse();
        assertThat(SteadyWarmup.over(1000 * MS, min, cap, -1, 100)).as("one slice seen: nothing to compare").isFalse();
        assertThat(SteadyWarmup.over(1000 * MS, min, cap, 50, 100)).as("still speeding up: a cache filling").isFalse();
        assertThat(SteadyWarmup.over(1200 * MS, min, cap, 95, 100)).isTrue();
        assertThat(SteadyWarmup.over(5000 * MS, min, cap, 10, 100)).as("never steady: the cap ends it").isTrue();
    }

    @Test
    void noWarmupAskedForIsNone() {
        long start = System.nanoTime();
        assertThat(SteadyWarmup.await(start, Duration.ZERO, new AtomicLongArray(2))).isEqualTo(start);
    }

    @Test
    void anIdleWorkloadIsSteadyAtOnceAfterTheMinimum() {
        long start = System.nanoTime();
        long end = SteadyWarmup.await(start, Duration.ofMillis(200), new AtomicLongArray(2));
        assertThat(end - start).isBetween(200 * MS, 200 * MS * SteadyWarmup.MAX_FACTOR + 200 * MS);
        assertThat(SteadyWarmup.cap(Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(5));
    }
}
