package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pinned views: one plain segment over cached frames, never evicted while open, nothing written through it lost. */
class PinnedViewTest {
    private static final int BLOCK = 1024;
    private static final long FAR = 512L * BLOCK;

    private static LocalCache cache(InMemoryBackend backend, int frames) {
        return new LocalCache(new CacheConfig(BLOCK, frames, 2, 4, Duration.ofSeconds(5)), backend);
    }

    private static FarSegment segment(LocalCache cache) {
        return new FarSegment(cache, new Allocation(null, 0, FAR), 0, FAR);
    }

    @Test
    void aViewSpanningBlocksIsOneSegmentOverTheSameMemory() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend, 32)) {
            FarSegment seg = segment(cache);
            for (long off = 0; off < 16 * BLOCK; off += 8) {
                seg.set(ValueLayout.JAVA_LONG, off, off);
            }
            cache.flush();
            long from = 3 * BLOCK + 200; // unaligned, and across five blocks
            long length = 4 * BLOCK + 100;
            try (PinnedView view = seg.pin(from, length)) {
                MemorySegment s = view.segment();
                assertThat(s.byteSize()).isEqualTo(length);
                for (long i = 0; i + 8 <= length; i += 8) {
                    assertThat(s.get(ValueLayout.JAVA_LONG_UNALIGNED, i)).isEqualTo(from + i);
                }
                s.set(ValueLayout.JAVA_LONG_UNALIGNED, 1000, -5);
                assertThat(seg.get(ValueLayout.JAVA_LONG_UNALIGNED, from + 1000)).as("others see the view's writes")
                        .isEqualTo(-5);
                seg.set(ValueLayout.JAVA_LONG_UNALIGNED, from + 2000, -6);
                assertThat(s.get(ValueLayout.JAVA_LONG_UNALIGNED, 2000)).as("and the view sees theirs").isEqualTo(-6);
            }
            cache.flush();
            MemorySegment far = MemorySegment.ofArray(backend.snapshot(0, (int) FAR));
            assertThat(far.get(ValueLayout.JAVA_LONG_UNALIGNED, from + 1000)).isEqualTo(-5);
            assertThat(far.get(ValueLayout.JAVA_LONG_UNALIGNED, from + 2000)).isEqualTo(-6);
        }
    }

    @Test
    void aRangeAlreadyInConsecutiveFramesIsPinnedWhereItLies() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend, 64)) {
            FarSegment seg = segment(cache);
            for (long off = 0; off < 32 * BLOCK; off += 8) { // touched in order: consecutive frames
                seg.set(ValueLayout.JAVA_LONG, off, off);
            }
            long evictions = cache.stats().evictions();
            long fetches = backend.fetches.get();
            for (int round = 0; round < 3; round++) {
                for (long from = 0; from < 32 * BLOCK; from += 8 * BLOCK) {
                    try (PinnedView view = seg.pinReadOnly(from, 8 * BLOCK)) {
                        assertThat(view.segment().get(ValueLayout.JAVA_LONG, 8 * BLOCK - 8)).isEqualTo(from + 8 * BLOCK - 8);
                    }
                }
            }
            assertThat(cache.stats().evictions()).as("nothing moved, so nothing was evicted").isEqualTo(evictions);
            assertThat(backend.fetches.get()).as("and nothing fetched again").isEqualTo(fetches);
        }
    }

    @Test
    void onlyTheLinesAViewChangedGoBack() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend, 32)) {
            FarSegment seg = segment(cache);
            try (PinnedView view = seg.pin(0, 8 * BLOCK)) {
                view.segment().set(ValueLayout.JAVA_LONG, 64, 1);         // line 1
                view.segment().set(ValueLayout.JAVA_LONG, 5 * BLOCK, 2);  // line 0 of block 5
            }
            long before = backend.bytesWritten.get();
            cache.flush();
            assertThat(backend.bytesWritten.get() - before).isEqualTo(128);
        }
    }

    @Test
    void aPinnedBlockIsNeverEvicted() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend, 16)) {
            FarSegment seg = segment(cache);
            try (PinnedView view = seg.pin(7 * BLOCK, BLOCK)) {
                view.segment().set(ValueLayout.JAVA_LONG, 0, 77);
                for (long b = 100; b < 400; b++) {
                    seg.set(ValueLayout.JAVA_LONG, b * BLOCK, b); // churn the whole cache many times over
                }
                assertThat(cache.isCached(7)).isTrue();
                assertThat(view.segment().get(ValueLayout.JAVA_LONG, 0)).isEqualTo(77);
            }
            assertThat(seg.get(ValueLayout.JAVA_LONG, 7 * BLOCK)).isEqualTo(77);
        }
    }

    @Test
    void pinningMoreThanTheCacheCanSpareIsAClearError() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend, 16)) {
            FarSegment seg = segment(cache);
            assertThatThrownBy(() -> seg.pin(0, 16L * BLOCK))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE))
                    .hasMessageContaining("pinning 16 blocks").hasMessageContaining("the cache has 16");
            try (PinnedView a = seg.pin(0, 6L * BLOCK)) {
                assertThatThrownBy(() -> seg.pin(10L * BLOCK, 6L * BLOCK))
                        .hasMessageContaining("6 of them pinned already");
                assertThat(a.segment().byteSize()).isEqualTo(6L * BLOCK);
            }
            try (PinnedView b = seg.pin(10L * BLOCK, 6L * BLOCK)) {
                assertThat(b.segment().byteSize()).as("closing gave the frames back").isEqualTo(6L * BLOCK);
            }
        }
    }

    @Test
    void aClosedViewCannotBeUsedAndAReadOnlyOneCannotWrite() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend, 16)) {
            FarSegment seg = segment(cache);
            PinnedView view = seg.pin(0, 64);
            MemorySegment s = view.segment();
            view.close();
            assertThatThrownBy(() -> s.get(ValueLayout.JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(view::segment).isInstanceOf(IllegalStateException.class);
            try (PinnedView ro = seg.pinReadOnly(0, 64)) {
                assertThat(ro.segment().isReadOnly()).isTrue();
                assertThatThrownBy(() -> ro.segment().set(ValueLayout.JAVA_LONG, 0, 1))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
            }
        }
    }

    @Test
    void memoryCannotBeFreedUnderAnOpenView() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend, 16)) {
            FarSegment seg = segment(cache);
            try (PinnedView view = seg.pin(BLOCK, 64)) {
                assertThatThrownBy(() -> cache.discard(0, 4L * BLOCK)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("pinned view");
                assertThat(view.segment().byteSize()).isEqualTo(64);
            }
            cache.discard(0, 4L * BLOCK);
        }
    }
}
