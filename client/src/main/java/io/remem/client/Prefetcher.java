package io.remem.client;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntToLongFunction;

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
 * <p>It owns both the policy (when, and what) and the mechanism: reserving frames, sending the fetches, and
 * publishing the frames when the data arrives.
 *
 * <p>Prefetches never delay a demand miss: they travel on their own connection to each memory node (Fastswap keeps
 * separate queues), never wait, and never take the last free frames, which belong to demand misses.
 */
final class Prefetcher {
    private static final int STOP = -1;
    private static final int SKIP = -2;
    /** Most consecutive blocks fetched by one prefetch request. */
    static final int BATCH = 32;

    private final FrameTable table;
    private final FarBackend backend;
    private final Evictor evictor;
    private final CacheMetrics metrics;
    /** Told after a prefetch took a free frame, so a reclaimer can top the reserve up. */
    private final Runnable framesTaken;
    private final int maxWindow;
    private final int keepFree;
    private final ThreadLocal<AccessStream> streams;

    /**
     * @param maxWindow most blocks ahead of one stream; 0 turns trend prefetching off (hints still work)
     * @param keepFree  free frames a prefetch never takes
     */
    Prefetcher(FrameTable table, FarBackend backend, Evictor evictor, CacheMetrics metrics, Runnable framesTaken,
               int maxWindow, int keepFree) {
        this.table = table;
        this.backend = backend;
        this.evictor = evictor;
        this.metrics = metrics;
        this.framesTaken = framesTaken;
        this.maxWindow = maxWindow;
        this.keepFree = keepFree;
        this.streams = ThreadLocal.withInitial(() -> new AccessStream(Math.max(1, maxWindow)));
    }

    /** Whether demand misses are followed by trend prefetches (a window above 0). */
    boolean followsTrends() {
        return maxWindow > 0;
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
        metrics.prefetchesUseful.increment();
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
        metrics.prefetchesLate.increment();
    }

    /** Hint: fetch blocks {@code first..last} now. */
    void hint(long first, long last) {
        for (long b = first; b <= last; b += BATCH) {
            boolean[] stopped = {false};
            metrics.prefetchesIssued.add(prefetch(b, 1, (int) Math.min(BATCH, last - b + 1), true, stopped));
            if (stopped[0]) {
                return;
            }
        }
    }

    /**
     * Hint: fetch {@code blocks[0..count)}, ascending and distinct, now, all in one go: a gather's misses. Returns how
     * many it started; fewer when the cache had no frames to spare for the rest.
     */
    int hint(long[] blocks, int count) {
        boolean[] stopped = {false};
        int started = prefetch(i -> blocks[i], count, true, stopped);
        metrics.prefetchesIssued.add(started);
        return started;
    }

    private void ahead(AccessStream s, long block) {
        long stride = s.trend();
        if (stride == 0) {
            return;
        }
        int window = s.nextWindow();
        long start = s.nextStart(block, stride);
        boolean[] stopped = {false};
        int started = prefetch(start, stride, window, false, stopped);
        metrics.prefetchesIssued.add(started);
        if (started > 0 || !stopped[0]) {
            s.prefetched(start, start + stride * window, stride);
        }
    }

    // ---------------------------------------------------------------------- fills

    /**
     * Prefetches {@code count} blocks from {@code first} along {@code stride} without waiting. A {@code hinted}
     * prefetch looks harder for clean frames to evict than a trend's (see {@link Evictor#evictClean}).
     * Consecutive blocks of one slab travel in one request, scattered into their frames on arrival, so a sequential
     * scan costs one round trip per batch rather than per block. Returns how many blocks it started fetching; stops
     * early (and says so through {@code stopped}) at the edge of far memory or when no frame can be spared.
     */
    private int prefetch(long first, long stride, int count, boolean hinted, boolean[] stopped) {
        return prefetch(i -> first + i * stride, count, hinted, stopped);
    }

    /** As above, for the blocks {@code blocks.applyAsLong(i)}, {@code i < count}, in the order given. */
    private int prefetch(IntToLongFunction blocks, int count, boolean hinted, boolean[] stopped) {
        List<Run> runs = new ArrayList<>();
        Run run = null;
        long previous = Long.MIN_VALUE;
        for (int i = 0; i < count; i++) {
            long block = blocks.applyAsLong(i);
            int outcome;
            if (block < 0) {
                outcome = STOP;
            } else {
                long far = block << table.blockShift;
                if (run != null && !(block == previous + 1 && run.size() < BATCH
                        && backend.sameSlab(run.first() << table.blockShift, far))) {
                    run = null; // ends the run: the next block starts a request of its own
                }
                previous = block;
                outcome = reserve(block, hinted);
                if (outcome >= 0) {
                    if (run == null) {
                        run = new Run(block);
                        runs.add(run);
                    }
                    run.add(outcome, table.stateOf(outcome)); // FILLING, ours until sent
                    continue;
                }
            }
            run = null; // a gap (cached, never written) or a stop ends the run
            if (outcome == STOP) {
                stopped[0] = true;
                break;
            }
        }
        return runs.isEmpty() ? 0 : send(runs);
    }

    /** Consecutive blocks reserved for one prefetch request: their frames and the FILLING states they were given. */
    private final class Run {
        final long first;
        final int[] frames = new int[BATCH];
        final long[] fillStates = new long[BATCH];
        int n;

        Run(long first) {
            this.first = first;
        }

        long first() {
            return first;
        }

        int size() {
            return n;
        }

        void add(int frame, long fillState) {
            frames[n] = frame;
            fillStates[n] = fillState;
            n++;
        }

        FarBackend.FetchRun fetch() {
            MemorySegment[] dsts = new MemorySegment[n];
            for (int i = 0; i < n; i++) {
                dsts[i] = table.frame(frames[i]);
            }
            return new FarBackend.FetchRun(first << table.blockShift, dsts);
        }

        void done(Throwable error) {
            for (int i = 0; i < n; i++) {
                if (error == null) {
                    metrics.bytesFetched.add(table.blockSize);
                    table.publish(frames[i], fillStates[i], FrameTable.REF_PREFETCHED, 0);
                } else {
                    table.abortFill(frames[i], first + i, fillStates[i]);
                }
            }
        }
    }

    /** Sends every run at once (one write per memory node); returns the blocks requested. */
    private int send(List<Run> runs) {
        List<FarBackend.FetchRun> fetches = new ArrayList<>(runs.size());
        int blocks = 0;
        for (Run r : runs) {
            fetches.add(r.fetch());
            blocks += r.size();
        }
        List<CompletableFuture<Void>> sent;
        try {
            sent = backend.fetchAsync(fetches);
        } catch (RuntimeException e) {
            sent = Collections.nCopies(runs.size(), CompletableFuture.failedFuture(e));
        }
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            sent.get(i).whenComplete((v, error) -> r.done(error));
        }
        return blocks;
    }

    /**
     * Takes a frame for prefetching {@code block}: returns the frame, or {@link #SKIP} if the block is cached or
     * being fetched already, or was never written (a miss on it zero-fills locally, nothing to win), or {@link #STOP}
     * if it lies outside every slab or taking a frame would eat into the frames kept for demand misses.
     */
    private int reserve(long block, boolean hinted) {
        long far = block << table.blockShift;
        if (table.isClosed() || !backend.holds(far)) {
            return STOP;
        }
        if (!backend.mayHoldData(far, table.blockSize)) {
            return SKIP;
        }
        // Evicting one frame is not always enough: the reserve may have been short by more than one.
        for (int evicted = 0; table.freeCount() <= keepFree; evicted++) {
            if (evicted > keepFree || !evictor.evictClean(hinted)) {
                return STOP;
            }
        }
        table.mapLock.lock();
        try {
            if (table.find(block) >= 0) {
                return SKIP;
            }
            if (table.freeCount() <= keepFree) {
                return STOP;
            }
            int f = table.claimFree(block);
            table.referenced[f] = FrameTable.REF_PREFETCHING;
            return f;
        } finally {
            table.mapLock.unlock();
            framesTaken.run();
        }
    }
}
