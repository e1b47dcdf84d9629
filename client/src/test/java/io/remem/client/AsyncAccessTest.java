package io.remem.client;

import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Clio's ordering rules for asynchronous calls: one thread's calls on a common block keep program order (read after
 * write, write after read, write after write), and release() waits for all of them. Fetches are slowed down so that
 * any call that jumped the queue would be caught.
 */
class AsyncAccessTest {
    private static final int BLOCK = 1024;
    private static final long FAR = 256L * BLOCK;

    private static LocalCache cache(InMemoryBackend backend) {
        return new LocalCache(new CacheConfig(BLOCK, 16, 2, 4, Duration.ofSeconds(20)), backend);
    }

    /** Blocks 0..255 each hold their own number in every word, written back, and not cached. */
    private static FarSegment populatedAndCold(LocalCache cache, InMemoryBackend backend) {
        FarSegment seg = new FarSegment(cache, new Allocation(null, 0, FAR), 0, FAR);
        for (long off = 0; off < FAR; off += 8) {
            seg.set(ValueLayout.JAVA_LONG, off, off / BLOCK);
        }
        cache.flush();
        for (long b = 0; b < FAR / BLOCK; b++) { // touch other blocks until these are evicted
            cache.discard(b * BLOCK, BLOCK);
        }
        return seg;
    }

    private static MemorySegment longs(long... values) {
        MemorySegment s = MemorySegment.ofArray(new long[values.length]);
        for (int i = 0; i < values.length; i++) {
            s.setAtIndex(ValueLayout.JAVA_LONG, i, values[i]);
        }
        return s;
    }

    @Test
    void aReadAfterAWriteOnTheSameBlockSeesTheWrite() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populatedAndCold(cache, backend);
            backend.delayFetches(30);
            List<CompletableFuture<Void>> reads = new ArrayList<>();
            List<MemorySegment> results = new ArrayList<>();
            for (int b = 0; b < 8; b++) {
                seg.writeAsync(b * BLOCK + 16L, longs(1000 + b), 0, 8);
                MemorySegment out = MemorySegment.ofArray(new long[1]);
                results.add(out);
                reads.add(seg.readAsync(b * BLOCK + 16L, out, 0, 8));
            }
            cache.releaseAsync();
            for (int b = 0; b < 8; b++) {
                assertThat(reads.get(b)).isDone();
                assertThat(results.get(b).getAtIndex(ValueLayout.JAVA_LONG, 0)).as("block %d", b).isEqualTo(1000 + b);
            }
        }
    }

    @Test
    void aWriteAfterAReadOnTheSameBlockDoesNotLeakIntoTheRead() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populatedAndCold(cache, backend);
            backend.delayFetches(30);
            MemorySegment before = MemorySegment.ofArray(new long[1]);
            seg.readAsync(5 * BLOCK, before, 0, 8);
            seg.writeAsync(5 * BLOCK, longs(-1), 0, 8);
            cache.releaseAsync();
            assertThat(before.getAtIndex(ValueLayout.JAVA_LONG, 0)).isEqualTo(5);
            assertThat(seg.get(ValueLayout.JAVA_LONG, 5 * BLOCK)).isEqualTo(-1);
        }
    }

    @Test
    void writesToTheSameBlockLandInProgramOrder() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populatedAndCold(cache, backend);
            backend.delayFetches(20);
            for (long v = 1; v <= 50; v++) {
                seg.writeAsync(9 * BLOCK + 8 * (v % 3), longs(v), 0, 8); // three words of one block, interleaved
            }
            cache.releaseAsync();
            assertThat(seg.get(ValueLayout.JAVA_LONG, 9 * BLOCK)).isEqualTo(48);
            assertThat(seg.get(ValueLayout.JAVA_LONG, 9 * BLOCK + 8)).isEqualTo(49);
            assertThat(seg.get(ValueLayout.JAVA_LONG, 9 * BLOCK + 16)).isEqualTo(50);
        }
    }

    @Test
    void aCallerMayReuseItsWriteBufferAtOnce() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populatedAndCold(cache, backend);
            backend.delayFetches(20);
            MemorySegment buffer = longs(7);
            seg.writeAsync(3 * BLOCK, buffer, 0, 8);
            buffer.setAtIndex(ValueLayout.JAVA_LONG, 0, 8); // must not change what was written
            cache.releaseAsync();
            assertThat(seg.get(ValueLayout.JAVA_LONG, 3 * BLOCK)).isEqualTo(7);
        }
    }

    @Test
    void manyMissesAreInFlightTogetherAndReleaseWaitsForAll() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populatedAndCold(cache, backend);
            backend.delayFetches(100);
            long t0 = System.nanoTime();
            List<MemorySegment> outs = new ArrayList<>();
            for (int b = 100; b < 110; b++) {
                MemorySegment out = MemorySegment.ofArray(new long[1]);
                outs.add(out);
                seg.readAsync(b * (long) BLOCK, out, 0, 8);
            }
            long issued = System.nanoTime() - t0;
            cache.releaseAsync();
            long all = System.nanoTime() - t0;
            assertThat(issued).as("issuing does not wait for the fetches").isLessThan(Duration.ofMillis(100).toNanos());
            assertThat(all).as("ten 100 ms fetches overlap").isLessThan(Duration.ofMillis(900).toNanos());
            for (int i = 0; i < outs.size(); i++) {
                assertThat(outs.get(i).getAtIndex(ValueLayout.JAVA_LONG, 0)).isEqualTo(100 + i);
            }
        }
    }

    @Test
    void cachedDataIsCopiedOnTheSpot() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populatedAndCold(cache, backend);
            seg.get(ValueLayout.JAVA_LONG, 2 * BLOCK);
            MemorySegment out = MemorySegment.ofArray(new long[1]);
            CompletableFuture<Void> f = seg.readAsync(2 * BLOCK + 8, out, 0, 8);
            assertThat(f).isDone();
            assertThat(out.getAtIndex(ValueLayout.JAVA_LONG, 0)).isEqualTo(2);
        }
    }

    @Test
    void releaseReportsAFailedCall() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = cache(backend)) {
            FarSegment seg = populatedAndCold(cache, backend);
            FarSegment beyond = new FarSegment(cache, new Allocation(null, FAR, FAR), FAR, FAR);
            CompletableFuture<Void> bad = beyond.readAsync(0, MemorySegment.ofArray(new long[1]), 0, 8);
            seg.readAsync(0, MemorySegment.ofArray(new long[1]), 0, 8);
            assertThatThrownBy(cache::releaseAsync).isInstanceOf(RuntimeException.class);
            assertThat(bad).isCompletedExceptionally();
        }
    }
}
