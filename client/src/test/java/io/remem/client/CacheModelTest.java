package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model-based test of the cache: random sequences of typed and bulk accesses, flushes and reads through a
 * cache of a handful of frames (so nearly every access evicts and writes back), each read checked against a
 * plain {@code byte[]} holding what should be there. Runs with and without injected write-back failures: a
 * failed write-back must never lose data.
 */
class CacheModelTest {
    private static final long FAR = 64 << 10;

    static Stream<Arguments> cases() {
        return IntStream.range(0, 24).mapToObj(seed -> Arguments.of(seed,
                new int[] {256, 1024, 4096}[seed % 3], 4 + seed % 5, seed % 2 == 0 ? 0.0 : 0.2));
    }

    /** A flush may still report a failure of a write-back sent before failures stopped; the next one is clean. */
    static void flushUntilClean(LocalCache cache) {
        for (int attempt = 0; ; attempt++) {
            try {
                cache.flush();
                return;
            } catch (RememException e) {
                assertThat(attempt).as("flush keeps failing: %s", e.getMessage()).isLessThan(3);
            }
        }
    }

    /** One async or pinned operation, applied to the model in program order. */
    private static void asyncAndPinned(int op, SplittableRandom random, FarSegment seg, LocalCache cache, byte[] model,
                                       int blockSize, List<Runnable> checks, int step) {
        int len = 1 + random.nextInt(2 * blockSize);
        long off = random.nextLong(FAR - len);
        if (op < 3) {
            byte[] data = new byte[len];
            random.nextBytes(data);
            seg.writeAsync(off, data, 0, len);
            System.arraycopy(data, 0, model, (int) off, len);
        } else if (op < 6) {
            byte[] out = new byte[len];
            byte[] expected = Arrays.copyOfRange(model, (int) off, (int) off + len);
            var done = seg.readAsync(off, out, 0, len);
            checks.add(() -> {
                assertThat(done).isDone();
                assertThat(out).as("step %d: async read of %d bytes at %d", step, len, off).isEqualTo(expected);
            });
        } else {
            releaseAndCheck(cache, checks);
            boolean writable = op < 9;
            try (PinnedView view = writable ? seg.pin(off, len) : seg.pinReadOnly(off, len)) {
                MemorySegment v = view.segment();
                assertThat(v.toArray(ValueLayout.JAVA_BYTE)).as("step %d: pinned %d bytes at %d", step, len, off)
                        .isEqualTo(Arrays.copyOfRange(model, (int) off, (int) off + len));
                if (writable) {
                    for (int i = 0; i < 4; i++) {
                        int at = random.nextInt(len);
                        byte b = (byte) random.nextInt();
                        v.set(ValueLayout.JAVA_BYTE, at, b);
                        model[(int) off + at] = b;
                    }
                }
            } catch (RememException e) {
                assertThat(e.code()).as("only a pin too large for this tiny cache may fail")
                        .isEqualTo(ErrorCode.TOO_LARGE);
            }
        }
    }

    /** A scan the prefetcher can follow, or a prefetch hint; either way what is read must match the model. */
    private static void prefetched(int op, SplittableRandom random, FarSegment seg, byte[] model, int blockSize, int step) {
        int blocks = 2 + random.nextInt(12);
        long len = Math.min(FAR, (long) blocks * blockSize);
        long from = random.nextLong(FAR - len + 1);
        if (op < 3) {
            seg.prefetch(from, len);
            return;
        }
        int stride = op < 7 ? blockSize : 2 * blockSize; // sequential, or every other block
        for (long off = from; off + 8 <= from + len; off += stride) {
            assertThat(seg.get(ValueLayout.JAVA_LONG_UNALIGNED, off)).as("step %d: scan at %d", step, off)
                    .isEqualTo(MemorySegment.ofArray(model).get(ValueLayout.JAVA_LONG_UNALIGNED, off));
        }
    }

    /** Trend prefetching on for three seeds of four, with a window up to the whole tiny cache. */
    private static int prefetchWindow(int seed) {
        return seed % 4 == 0 ? 0 : 1 + seed % 8;
    }

    private static void releaseAndCheck(LocalCache cache, List<Runnable> checks) {
        try {
            cache.releaseAsync();
        } catch (RememException e) {
            throw new AssertionError("an async call failed", e);
        }
        checks.forEach(Runnable::run);
        checks.clear();
    }

    @ParameterizedTest(name = "seed {0}: {1}-byte blocks, {2} frames, failure rate {3}")
    @MethodSource("cases")
    void everyReadMatchesTheModel(int seed, int blockSize, int frames, double failureRate) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] model = new byte[(int) FAR];
        try (InMemoryBackend backend = new InMemoryBackend(FAR, blockSize, new SplittableRandom(seed + 1000));
             LocalCache cache = new LocalCache(new CacheConfig(blockSize, frames, 1, 2, Duration.ofSeconds(30),
                     EvictionPolicy.CLOCK, DirtyTracking.LINE, true, prefetchWindow(seed)), backend)) {
            backend.failBatches(failureRate);
            FarSegment seg = new FarSegment(cache, new Allocation(null, 0, FAR), 0, FAR);
            MemorySegment view = MemorySegment.ofArray(model);
            List<Runnable> asyncChecks = new ArrayList<>();
            for (int step = 0; step < 4000; step++) {
                int op = random.nextInt(120);
                if (op >= 110) {
                    releaseAndCheck(cache, asyncChecks);
                    prefetched(op - 110, random, seg, model, blockSize, step);
                    continue;
                }
                if (op >= 100) {
                    asyncAndPinned(op - 100, random, seg, cache, model, blockSize, asyncChecks, step);
                    continue;
                }
                releaseAndCheck(cache, asyncChecks); // synchronous calls do not wait for async ones: release first
                if (op < 20) {
                    long off = random.nextLong(FAR / 8) * 8;
                    long v = random.nextLong();
                    seg.set(ValueLayout.JAVA_LONG, off, v);
                    view.set(ValueLayout.JAVA_LONG_UNALIGNED, off, v);
                } else if (op < 30) {
                    long off = random.nextLong(FAR - 4);
                    int v = random.nextInt();
                    seg.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off, v);
                    view.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off, v);
                } else if (op < 35) {
                    long off = random.nextLong(FAR);
                    byte v = (byte) random.nextInt();
                    seg.set(ValueLayout.JAVA_BYTE, off, v);
                    model[(int) off] = v;
                } else if (op < 45) {
                    int len = 1 + random.nextInt(3 * blockSize);
                    long off = random.nextLong(FAR - len);
                    byte[] data = new byte[len];
                    random.nextBytes(data);
                    FarSegment.copy(data, 0, seg, off, len);
                    System.arraycopy(data, 0, model, (int) off, len);
                } else if (op < 48) {
                    int len = 1 + random.nextInt(2 * blockSize);
                    long off = random.nextLong(FAR - len);
                    byte v = (byte) random.nextInt();
                    seg.asSlice(off, len).fill(v);
                    Arrays.fill(model, (int) off, (int) off + len, v);
                } else if (op < 50) {
                    try {
                        cache.flush();
                    } catch (RememException e) {
                        assertThat(failureRate).as("a flush may fail only when failures are injected").isPositive();
                    }
                } else if (op < 70) {
                    long off = random.nextLong(FAR / 8) * 8;
                    assertThat(seg.get(ValueLayout.JAVA_LONG, off)).as("step %d: long at %d", step, off)
                            .isEqualTo(view.get(ValueLayout.JAVA_LONG_UNALIGNED, off));
                } else if (op < 80) {
                    long off = random.nextLong(FAR - 8);
                    assertThat(Double.doubleToRawLongBits(seg.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, off)))
                            .as("step %d: double at %d", step, off)
                            .isEqualTo(Double.doubleToRawLongBits(view.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, off)));
                } else {
                    int len = 1 + random.nextInt(3 * blockSize);
                    long off = random.nextLong(FAR - len);
                    byte[] out = new byte[len];
                    FarSegment.copy(seg, off, out, 0, len);
                    assertThat(out).as("step %d: %d bytes at %d", step, len, off)
                            .isEqualTo(Arrays.copyOfRange(model, (int) off, (int) off + len));
                }
            }
            releaseAndCheck(cache, asyncChecks);
            // Everything must reach far memory once write-back stops failing.
            backend.failBatches(0);
            flushUntilClean(cache);
            byte[] farNow = backend.snapshot(0, (int) FAR);
            if (!Arrays.equals(farNow, model)) {
                int first = Arrays.mismatch(farNow, model);
                int last = first;
                for (int i = first; i < FAR; i++) {
                    if (farNow[i] != model[i]) {
                        last = i;
                    }
                }
                byte[] viaCache = new byte[8];
                FarSegment.copy(seg, first, viaCache, 0, 8);
                throw new AssertionError("far memory differs from the model in [" + first + ", " + last + "] (block "
                        + first / blockSize + ".." + last / blockSize + "); the cache reads "
                        + Arrays.toString(viaCache) + " there, the model has "
                        + Arrays.toString(Arrays.copyOfRange(model, first, first + 8))
                        + ", far has " + Arrays.toString(Arrays.copyOfRange(farNow, first, first + 8)));
            }
            CacheStats stats = cache.stats();
            assertThat(stats.evictions()).as("a tiny cache must evict").isPositive();
            assertThat(stats.bytesWrittenBack()).isPositive();
            assertThat(stats.prefetchesIssued()).as("scans and hints prefetch").isPositive();
            assertThat(stats.prefetchesUsed() + stats.prefetchesWasted()).as("a prefetched block is used or wasted, once")
                    .isLessThanOrEqualTo(stats.prefetchesIssued());
            if (failureRate > 0) {
                assertThat(backend.failedBatches.get()).as("failures were injected").isPositive();
            }
        }
    }
}
