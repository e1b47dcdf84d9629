package io.remem.client;

/**
 * One thread's stream of block accesses as the prefetcher sees it, and Leap's majority-trend detector over it
 * (Al Maruf and Chowdhury, "Effectively Prefetching Remote Memory with Leap", ATC 2020).
 *
 * <p>The stream records the blocks a thread missed on and the prefetched blocks it touched first. The trend is the
 * stride that a strict majority of recent strides agree on, found with the Boyer-Moore majority vote: first over
 * the last {@link #HISTORY} / 4 strides, then over twice as many, up to the whole history, so a young trend is
 * caught early and an old one survives a few irregular accesses. The prefetch window adapts as in Leap: it grows
 * to the next power of two above the number of prefetched blocks used since the last prefetch, and halves when none
 * were used.
 *
 * <p>Not thread-safe: each thread has its own.
 */
final class AccessStream {
    static final int HISTORY = 32;
    private static final int FIRST_WINDOW = HISTORY / 4;

    private final long[] history = new long[HISTORY];
    private final int maxWindow;
    private int recorded;
    private int window;
    private int usedSinceLastPrefetch;
    /** The block after the last one prefetched along the current trend, so a prefetch continues rather than repeats. */
    private long frontier = Long.MIN_VALUE;
    private long frontierStride;
    /** The first block of the latest prefetch: using it triggers the next one, so the stream stays a batch ahead. */
    private long marker = Long.MIN_VALUE;

    AccessStream(int maxWindow) {
        this.maxWindow = Math.max(1, maxWindow);
        this.window = Math.min(2, this.maxWindow);
    }

    /** Records an access to {@code block}. */
    void record(long block) {
        history[recorded++ & (HISTORY - 1)] = block;
    }

    /** A prefetched block was used: widen the next window. */
    void prefetchUsed() {
        usedSinceLastPrefetch++;
    }

    /**
     * The stride most recent accesses agree on, or 0 if there is none. Looks at the last 8, 16, then 32 strides
     * and takes the first window with a strict majority.
     */
    long trend() {
        int strides = Math.min(recorded, HISTORY) - 1;
        for (int w = FIRST_WINDOW; ; w *= 2) {
            int n = Math.min(w, strides);
            if (n < 2) {
                return 0;
            }
            long candidate = 0;
            int votes = 0;
            for (int i = 0; i < n; i++) {
                long d = stride(i);
                if (votes == 0) {
                    candidate = d;
                    votes = 1;
                } else if (d == candidate) {
                    votes++;
                } else {
                    votes--;
                }
            }
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (stride(i) == candidate) {
                    count++;
                }
            }
            if (candidate != 0 && count * 2 > n) {
                return candidate;
            }
            if (n == strides || w >= HISTORY) {
                return 0;
            }
        }
    }

    /** The i-th most recent stride: access[-i] - access[-i-1]. */
    private long stride(int i) {
        long newer = history[(recorded - 1 - i) & (HISTORY - 1)];
        long older = history[(recorded - 2 - i) & (HISTORY - 1)];
        return newer - older;
    }

    /**
     * Sizes the next prefetch: the next power of two above the prefetched blocks used since the last one, capped,
     * or half the last window if none was used.
     */
    int nextWindow() {
        if (usedSinceLastPrefetch == 0) {
            window = Math.max(1, window / 2);
        } else {
            window = Math.min(maxWindow, Integer.highestOneBit(usedSinceLastPrefetch) << 1);
        }
        usedSinceLastPrefetch = 0;
        return window;
    }

    /**
     * Where the next prefetch along {@code stride} should start, given that {@code block} was just accessed: past
     * what an earlier prefetch along the same stride already covered, so consecutive triggers extend the run
     * instead of asking for the same blocks again.
     */
    long nextStart(long block, long stride) {
        long start = block + stride;
        if (stride == frontierStride && frontier != Long.MIN_VALUE) {
            boolean ahead = stride > 0 ? frontier > start : frontier < start;
            boolean near = Math.abs(frontier - block) <= (long) maxWindow * Math.abs(stride) * 2;
            if (ahead && near) {
                start = frontier;
            }
        }
        return start;
    }

    /** Records that blocks from {@code start} up to (not including) {@code end} along {@code stride} were prefetched. */
    void prefetched(long start, long end, long stride) {
        frontier = end;
        frontierStride = stride;
        marker = start;
    }

    /** Whether using prefetched {@code block} should trigger the next prefetch: it is the latest batch's first. */
    boolean isMarker(long block) {
        if (block == marker) {
            marker = Long.MIN_VALUE; // once per batch
            return true;
        }
        return false;
    }

    int window() {
        return window;
    }
}
