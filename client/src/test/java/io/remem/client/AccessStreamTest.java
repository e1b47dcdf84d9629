package io.remem.client;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Leap's majority-trend detector and adaptive window. */
class AccessStreamTest {
    @Test
    void noTrendUntilThereAreEnoughStrides() {
        AccessStream s = new AccessStream(32);
        assertThat(s.trend()).isZero();
        s.record(10);
        assertThat(s.trend()).isZero();
        s.record(11);
        assertThat(s.trend()).as("one stride is not a majority of anything yet").isZero();
        s.record(12);
        assertThat(s.trend()).isEqualTo(1);
    }

    @Test
    void findsSequentialStridedAndBackwardTrends() {
        for (long stride : new long[] {1, 3, -1, -7, 64}) {
            AccessStream s = new AccessStream(32);
            for (int i = 0; i < 10; i++) {
                s.record(1_000_000 + i * stride);
            }
            assertThat(s.trend()).as("stride %d", stride).isEqualTo(stride);
        }
    }

    @Test
    void aMajorityTrendSurvivesIrregularAccesses() {
        AccessStream s = new AccessStream(32);
        long block = 500;
        for (int i = 0; i < 16; i++) {
            block += (i % 4 == 3) ? 1000 : 2; // every fourth access jumps elsewhere
            s.record(block);
        }
        assertThat(s.trend()).isEqualTo(2);
    }

    @Test
    void randomAccessesHaveNoTrend() {
        AccessStream s = new AccessStream(32);
        SplittableRandom random = new SplittableRandom(5);
        int trends = 0;
        for (int i = 0; i < 1000; i++) {
            s.record(random.nextLong(1 << 30));
            if (s.trend() != 0) {
                trends++;
            }
        }
        assertThat(trends).isZero();
    }

    @Test
    void theWindowGrowsWithUseAndShrinksWithout() {
        AccessStream s = new AccessStream(32);
        assertThat(s.window()).isEqualTo(2);
        for (int i = 0; i < 3; i++) {
            s.prefetchUsed();
        }
        assertThat(s.nextWindow()).as("next power of two above 3 used").isEqualTo(4);
        for (int i = 0; i < 100; i++) {
            s.prefetchUsed();
        }
        assertThat(s.nextWindow()).as("capped").isEqualTo(32);
        assertThat(s.nextWindow()).as("none used: halve").isEqualTo(16);
        assertThat(s.nextWindow()).isEqualTo(8);
    }

    @Test
    void consecutivePrefetchesExtendTheRunInsteadOfRepeatingIt() {
        AccessStream s = new AccessStream(8);
        assertThat(s.nextStart(100, 1)).isEqualTo(101);
        s.prefetched(101, 109, 1);
        assertThat(s.nextStart(101, 1)).as("continue after what was already fetched").isEqualTo(109);
        assertThat(s.isMarker(101)).isTrue();
        assertThat(s.isMarker(101)).as("a marker triggers once").isFalse();
        assertThat(s.nextStart(10_000, 1)).as("a jump starts afresh").isEqualTo(10_001);
    }
}
