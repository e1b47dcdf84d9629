package io.remem.client;

import java.util.concurrent.atomic.LongAdder;

/**
 * Fetches blocks before they are asked for (docs/design.md, "Prefetching"), two ways:
 *
 * <ul>
 *   <li><b>Trends</b>, after Leap: each thread's misses (and its first uses of prefetched blocks) feed its own
 *       {@link AccessStream}; when a majority of recent strides agree, the blocks ahead along that stride are
 *       fetched, as many as the adaptive window says. Using the first block of a prefetched batch triggers the next
 *       batch, so a steady scan stays one batch ahead and never misses.</li>
 *   <li><b>Hints</b>: {@link FarSegment#prefetch} names a range outright (AIFM, Remote Regions).</li>
 * </ul>
 *
 * <p>Prefetches never delay a demand miss: they travel on their own connection to each memory node (Fastswap keeps
 * separate queues), never wait, and never take the last free frames, which belong to demand misses.
 */
final class Prefetcher {
    private final LocalCache cache;
    private final int maxWindow;
    private final int keepFree;
    private final ThreadLocal<AccessStream> streams;
    final LongAdder issued = new LongAdder();
    final LongAdder useful = new LongAdder();
    final LongAdder late = new LongAdder();
    final LongAdder wasted = new LongAdder();

    /**
     * @param maxWindow most blocks ahead of one stream; 0 turns trend prefetching off (hints still work)
     * @param keepFree  free frames a prefetch never takes
     */
    Prefetcher(LocalCache cache, int maxWindow, int keepFree) {
        this.cache = cache;
        this.maxWindow = maxWindow;
        this.keepFree = keepFree;
        this.streams = ThreadLocal.withInitial(() -> new AccessStream(Math.max(1, maxWindow)));
    }

    /** A demand miss on {@code block} by the calling thread. */
    void missed(long block) {
        if (maxWindow == 0) {
            return;
        }
        AccessStream s = streams.get();
        s.record(block);
        ahead(s, block);
    }

    /** The calling thread used prefetched {@code block} for the first time. */
    void used(long block) {
        useful.increment();
        if (maxWindow == 0) {
            return;
        }
        AccessStream s = streams.get();
        s.record(block);
        s.prefetchUsed();
        if (s.isMarker(block)) {
            ahead(s, block);
        }
    }

    /**
     * A demand access waited for a prefetch still in flight: right block, too late to hide the latency. The access
     * then uses the block, which counts it as useful.
     */
    void late() {
        late.increment();
    }

    /** A prefetched block was evicted without being used. */
    void wasted() {
        wasted.increment();
    }

    /** Hint: fetch blocks {@code first..last} now. */
    void hint(long first, long last) {
        for (long b = first; b <= last; b += LocalCache.PREFETCH_BATCH) {
            boolean[] stopped = {false};
            issued.add(cache.prefetch(b, 1, (int) Math.min(LocalCache.PREFETCH_BATCH, last - b + 1), keepFree, true,
                    stopped));
            if (stopped[0]) {
                return;
            }
        }
    }

    private void ahead(AccessStream s, long block) {
        long stride = s.trend();
        if (stride == 0) {
            return;
        }
        int window = s.nextWindow();
        long start = s.nextStart(block, stride);
        boolean[] stopped = {false};
        int started = cache.prefetch(start, stride, window, keepFree, false, stopped);
        issued.add(started);
        if (started > 0 || !stopped[0]) {
            s.prefetched(start, start + stride * window, stride);
        }
    }
}
