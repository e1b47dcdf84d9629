package io.remem.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every access counts once, as a hit or a miss, even when an optimistic read has to be retried because its block
 * was evicted (and its frame reused) before the read validated. The interleaving is driven step by step.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class AccessCountingTest {
    private static final int BLOCK = 4096;
    private static final long FAR = 64L * BLOCK;

    private static int frame(LocalCache cache, long stamp, long addr) {
        return (int) (cache.offsetIn(stamp, addr) >>> cache.blockShift);
    }

    /** As {@link FarSegment}'s getters do after a failed {@link LocalCache#endRead}. */
    private static long retry(LocalCache cache, long addr, long failedStamp) {
        return cache.retryRead(addr, failedStamp);
    }

    /** The first attempt of a read misses; its frame is evicted and reused before it validates; the retry misses. */
    @Test
    void aRetriedReadThatMissesCountsOneMiss() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = new LocalCache(new CacheConfig(BLOCK, 8, 1, 2, Duration.ofSeconds(30)), backend)) {
            long stamp = cache.beginRead(0); // access 1: a miss
            assertThat(cache.evictor().tryEvict(frame(cache, stamp, 0))).as("evicted before the read validates").isTrue();
            long other = cache.beginRead(2L * BLOCK); // access 2: a miss, into the frame just freed
            assertThat(cache.endRead(other)).isTrue();
            assertThat(cache.endRead(stamp)).as("access 1 sees its frame reused").isFalse();
            stamp = retry(cache, 0, stamp); // still access 1: misses again
            assertThat(cache.endRead(stamp)).isTrue();

            CacheStats stats = cache.stats();
            assertThat(stats.hits()).as("hits").isZero();
            assertThat(stats.misses()).as("misses").isEqualTo(2);
        }
    }

    /** The first attempt hits, the block is evicted and its frame reused, the retry misses: one miss, no hit. */
    @Test
    void aRetriedReadThatFirstHitAndThenMissedCountsOneMiss() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = new LocalCache(new CacheConfig(BLOCK, 8, 1, 2, Duration.ofSeconds(30)), backend)) {
            long warm = cache.beginRead(0); // access 1: a miss
            assertThat(cache.endRead(warm)).isTrue();
            long stamp = cache.beginRead(0); // access 2: a hit, so far
            assertThat(cache.evictor().tryEvict(frame(cache, stamp, 0))).isTrue();
            long other = cache.beginRead(2L * BLOCK); // access 3: a miss, into the frame just freed
            assertThat(cache.endRead(other)).isTrue();
            assertThat(cache.endRead(stamp)).isFalse();
            stamp = retry(cache, 0, stamp); // access 2 turns out to be a miss
            assertThat(cache.endRead(stamp)).isTrue();

            CacheStats stats = cache.stats();
            assertThat(stats.hits()).as("hits").isZero();
            assertThat(stats.misses()).as("misses").isEqualTo(3);
        }
    }
}
