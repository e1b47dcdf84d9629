package io.remem.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each eviction policy must behave as its name says. With inline reclaim and four frames, one frame is always kept
 * free, so three blocks fit, and the order of evictions is exactly determined by the policy.
 */
class EvictionPolicyTest {
    private static final int BLOCK = 256;

    private static LocalCache cache(InMemoryBackend backend, EvictionPolicy policy) {
        return new LocalCache(new CacheConfig(BLOCK, 4, 1, 2, Duration.ofSeconds(10), policy, DirtyTracking.LINE,
                false, 0), backend);
    }

    private static void touch(FarSegment seg, long block) {
        seg.get(ValueLayout.JAVA_LONG, block * BLOCK);
    }

    /**
     * A, B, C fill the cache; D evicts one; B is used again; E evicts another. FIFO evicts by arrival, whatever the
     * use; CLOCK and LRU keep B, which was used after the others.
     */
    @ParameterizedTest
    @EnumSource(EvictionPolicy.class)
    void aBlockUsedAgainSurvivesUnderClockAndLruButNotUnderFifo(EvictionPolicy policy) {
        try (InMemoryBackend backend = new InMemoryBackend(64 * BLOCK, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend, policy)) {
            FarSegment seg = new FarSegment(cache, new Allocation(null, 0, 64 * BLOCK), 0, 64 * BLOCK);
            long a = 0, b = 1, c = 2, d = 3, e = 4;
            touch(seg, a);
            touch(seg, b);
            touch(seg, c);
            touch(seg, d);
            assertThat(cache.isCached(a)).as("%s: the first block in is the first out", policy).isFalse();
            assertThat(cache.isCached(b) && cache.isCached(c) && cache.isCached(d)).isTrue();
            touch(seg, b);
            touch(seg, e);
            if (policy == EvictionPolicy.FIFO) {
                assertThat(cache.isCached(b)).as("FIFO evicts B, the oldest arrival, although it was just used").isFalse();
                assertThat(cache.isCached(c)).isTrue();
            } else {
                assertThat(cache.isCached(b)).as("%s keeps B, which was used again", policy).isTrue();
                assertThat(cache.isCached(c)).as("%s evicts C instead", policy).isFalse();
            }
            assertThat(cache.isCached(d) && cache.isCached(e)).isTrue();
        }
    }

    @Test
    void fifoEvictsInInsertionOrderHoweverHotTheOldestIs() {
        try (InMemoryBackend backend = new InMemoryBackend(64 * BLOCK, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend, EvictionPolicy.FIFO)) {
            FarSegment seg = new FarSegment(cache, new Allocation(null, 0, 64 * BLOCK), 0, 64 * BLOCK);
            for (long block = 0; block < 12; block++) {
                touch(seg, block);
                long oldest = Math.max(0, block - 2);
                for (int i = 0; i < 5; i++) {
                    touch(seg, oldest); // hot, and still the next to go
                }
                for (long b = 0; b <= block; b++) {
                    assertThat(cache.isCached(b)).as("after block %d arrived: block %d", block, b).isEqualTo(b >= oldest);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DirtyTracking.class)
    void dirtyTrackingDecidesHowMuchGoesBack(DirtyTracking tracking) {
        try (InMemoryBackend backend = new InMemoryBackend(64 * 4096, 4096, new SplittableRandom(1));
             LocalCache cache = new LocalCache(new CacheConfig(4096, 16, 1, 2, Duration.ofSeconds(10),
                     EvictionPolicy.CLOCK, tracking, true, 0), backend)) {
            FarSegment seg = new FarSegment(cache, new Allocation(null, 0, 64 * 4096), 0, 64 * 4096);
            for (int block = 0; block < 8; block++) {
                seg.set(ValueLayout.JAVA_LONG, block * 4096L + 512, block);
            }
            cache.flush();
            long expected = tracking == DirtyTracking.LINE ? 8 * 64 : 8 * 4096;
            assertThat(backend.bytesWritten.get()).isEqualTo(expected);
            assertThat(cache.stats().dirtyAmplification()).isEqualTo(expected / 64.0);
        }
    }
}
