package io.remem.client;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link FarSegment#gather}: the values {@code get} would read, with a window's misses fetched together. */
class GatherTest {
    private static final int BLOCK = 1024;
    private static final long FAR = 4096L * BLOCK;

    private static LocalCache cache(InMemoryBackend backend) {
        return new LocalCache(new CacheConfig(BLOCK, 256, 4, 8, Duration.ofSeconds(10), EvictionPolicy.CLOCK,
                DirtyTracking.LINE, true, 0), backend);
    }

    /** Every long slot holds its own offset times 3, written back, so every later miss really fetches. */
    private static FarSegment populated(LocalCache cache) {
        FarSegment seg = new FarSegment(cache, new Allocation(null, 0, FAR), 0, FAR);
        for (long off = 0; off < FAR; off += 8) {
            seg.set(ValueLayout.JAVA_LONG, off, off * 3);
        }
        cache.flush();
        return seg;
    }

    @Test
    void readsWhatGetReadsAnywhereIncludingRepeatsAndLongsAcrossBlocks() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populated(cache);
            SplittableRandom r = new SplittableRandom(5);
            int n = 5_000;
            long[] offsets = new long[n];
            for (int i = 0; i < n; i++) {
                offsets[i] = i % 50 == 0 ? BLOCK * (1 + r.nextLong(FAR / BLOCK - 1)) - 4 // straddles two blocks
                        : i % 7 == 0 ? offsets[i / 2] : r.nextLong(FAR / 8) * 8;
            }
            long[] got = new long[n + 3];
            seg.gather(ValueLayout.JAVA_LONG_UNALIGNED, offsets, n, got);
            for (int i = 0; i < n; i++) {
                assertThat(got[i]).as("offset %d", offsets[i]).isEqualTo(seg.get(ValueLayout.JAVA_LONG_UNALIGNED, offsets[i]));
            }
            assertThat(got[n]).as("nothing past count is written").isZero();
            long[] swapped = new long[n];
            seg.gather(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), offsets, n, swapped);
            for (int i = 0; i < n; i++) {
                assertThat(swapped[i]).isEqualTo(Long.reverseBytes(got[i]));
            }
        }
    }

    @Test
    void aWindowsMissesAreFetchedTogetherNotOneByOne() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populated(cache);
            cache.dropClean(0, FAR);
            int n = 24; // within one window (256 frames / 8), every offset in a block of its own, none cached
            long[] offsets = new long[n];
            for (int i = 0; i < n; i++) {
                offsets[i] = (100L + 37L * i) * BLOCK + 8;
            }
            long fetchesBefore = backend.fetches.get();
            long asyncBefore = backend.asyncBlocks.get();
            long[] got = new long[n];
            seg.gather(ValueLayout.JAVA_LONG, offsets, n, got);
            for (int i = 0; i < n; i++) {
                assertThat(got[i]).isEqualTo(offsets[i] * 3);
            }
            long fetched = backend.fetches.get() - fetchesBefore;
            long together = backend.asyncBlocks.get() - asyncBefore;
            assertThat(fetched).as("each block once").isEqualTo(n);
            assertThat(together).as("fetched as one hint, not as demand misses").isEqualTo(n);
        }
    }

    /** Neighbouring blocks read out of order are no scan: with trend prefetching on, they are still hinted. */
    @Test
    void consecutiveBlocksOutOfOrderAreFetchedTogetherEvenWithTrendsOn() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = new LocalCache(new CacheConfig(BLOCK, 256, 4, 8, Duration.ofSeconds(10),
                     EvictionPolicy.CLOCK, DirtyTracking.LINE, true, 32), backend)) {
            FarSegment seg = populated(cache);
            cache.dropClean(0, FAR);
            int n = 24;
            long[] offsets = new long[n];
            for (int i = 0; i < n; i++) {
                offsets[i] = (200L + (i * 7L) % n) * BLOCK; // blocks 200..223, a permutation
            }
            long asyncBefore = backend.asyncBlocks.get();
            long[] got = new long[n];
            seg.gather(ValueLayout.JAVA_LONG, offsets, n, got);
            for (int i = 0; i < n; i++) {
                assertThat(got[i]).isEqualTo(offsets[i] * 3);
            }
            assertThat(backend.asyncBlocks.get() - asyncBefore).as("hinted, not left to demand misses").isGreaterThanOrEqualTo(n);
        }
    }

    @Test
    void aBadOffsetOrCountIsRefusedBeforeAnythingIsRead() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populated(cache);
            cache.dropClean(0, FAR);
            long before = backend.fetches.get();
            long[] out = new long[4];
            assertThatThrownBy(() -> seg.gather(ValueLayout.JAVA_LONG, new long[] {0, 4096, FAR - 4, 8}, 4, out))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> seg.gather(ValueLayout.JAVA_LONG, new long[] {0, 8}, 3, out))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> seg.gather(ValueLayout.JAVA_LONG, new long[] {-8}, 1, out))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> seg.gather(ValueLayout.JAVA_LONG, new long[] {0, 12}, 2, out))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("misaligned");
            assertThat(backend.fetches.get()).as("nothing fetched").isEqualTo(before);
            assertThat(out).containsOnly(0L);
        }
    }
}
