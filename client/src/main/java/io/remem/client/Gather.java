package io.remem.client;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A gather: many small reads at scattered offsets, such as a graph kernel's pull of its neighbours' values. Read one
 * after another, every miss would wait out a round trip of its own. Here a window of offsets is first read from the
 * cache; the blocks that missed are then fetched together as one hint (a request per run of consecutive blocks, all
 * sent before any answer is awaited), and only then are the missed offsets read, from blocks that have arrived or
 * are arriving. So a window costs about one round trip, however many of its blocks missed.
 *
 * <p>The window is a fraction of the cache, so the blocks fetched for it are still there when it reads them. A
 * window whose misses come in ascending order over one run of at least {@value #MIN_SCAN} consecutive blocks is a
 * scan, and is left to the trend prefetcher, which fetches ahead of it.
 */
final class Gather {
    /** Most offsets per window: enough to overlap many round trips, few enough to bound the scratch arrays. */
    static final int MAX_WINDOW = 256;
    /** Fewest consecutive blocks taken for a scan: enough for the trend detector to see a stride. */
    private static final int MIN_SCAN = 8;

    private Gather() {}

    /** {@code dst[i] = segment.get(layout, offsets[i])} for every {@code i < count}. */
    static void longs(FarSegment segment, LocalCache cache, ValueLayout.OfLong layout, long[] offsets, int count,
                      long[] dst) {
        Objects.checkFromIndexSize(0, count, Math.min(offsets.length, dst.length));
        long base = segment.address();
        long misaligned = layout.byteAlignment() - 1;
        for (int i = 0; i < count; i++) { // every offset, before anything is read
            Objects.checkFromIndexSize(offsets[i], Long.BYTES, segment.byteSize());
            if (((base + offsets[i]) & misaligned) != 0) {
                throw new IllegalArgumentException("misaligned access at offset " + offsets[i] + " for " + layout);
            }
        }
        if (!segment.isAlive()) {
            throw new IllegalStateException("Already freed");
        }
        // Reads go through one constant layout: a layout passed down as a variable makes every access take the
        // var handle's slow path (measured: a cached gather at half the speed of get).
        boolean swap = layout.order() != ByteOrder.nativeOrder();
        int window = Math.max(8, Math.min(MAX_WINDOW, cache.frameCount / 8));
        int[] missed = new int[window];
        long[] blocks = new long[window];
        for (int from = 0; from < count; from += window) {
            int to = Math.min(count, from + window);
            int m = 0;
            for (int i = from; i < to; i++) {
                long addr = base + offsets[i];
                if (!cache.crosses(addr, Long.BYTES)) {
                    long stamp = cache.tryBeginRead(addr);
                    if (stamp != LocalCache.NO_STAMP) {
                        while (true) { // as FarSegment.get: a block evicted mid-read is faulted back, counted once
                            long v = cache.frames.get(ValueLayout.JAVA_LONG_UNALIGNED, cache.offsetIn(stamp, addr));
                            if (cache.endRead(stamp)) {
                                dst[i] = swap ? Long.reverseBytes(v) : v;
                                break;
                            }
                            stamp = cache.retryRead(addr, stamp);
                        }
                        continue;
                    }
                }
                missed[m] = i;
                blocks[m++] = addr >>> cache.blockShift;
            }
            if (m == 0) {
                continue;
            }
            boolean ascending = isAscending(blocks, m); // before distinct() sorts them
            int d = m > 1 ? distinct(blocks, m) : 1;
            // Misses read in ascending order over one run of consecutive blocks are a scan: read in order, they feed
            // the trend prefetcher, which runs ahead into the next window; a hint would fetch this window only, and
            // wait for it. Misses out of order, or a run too short to show a trend, are fetched together.
            boolean scan = ascending && d >= MIN_SCAN && blocks[d - 1] - blocks[0] == d - 1 && cache.followsTrends();
            if (d > 1 && !scan) {
                cache.prefetch(blocks, d);
            }
            for (int j = 0; j < m; j++) {
                long v = segment.get(ValueLayout.JAVA_LONG_UNALIGNED, offsets[missed[j]]);
                dst[missed[j]] = swap ? Long.reverseBytes(v) : v;
            }
        }
    }

    private static boolean isAscending(long[] blocks, int n) {
        for (int i = 1; i < n; i++) {
            if (blocks[i] < blocks[i - 1]) {
                return false;
            }
        }
        return true;
    }

    /** Sorts {@code blocks[0..n)} and moves its distinct values to the front; returns how many there are. */
    private static int distinct(long[] blocks, int n) {
        Arrays.sort(blocks, 0, n);
        int d = 1;
        for (int i = 1; i < n; i++) {
            if (blocks[i] != blocks[d - 1]) {
                blocks[d++] = blocks[i];
            }
        }
        return d;
    }
}
