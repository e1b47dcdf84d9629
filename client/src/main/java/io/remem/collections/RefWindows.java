package io.remem.collections;

/**
 * A {@link FarList}'s refs in order, for its iterator and spliterator, so a scan does not pay a far access per ref
 * and does not wait for each entry. Refs come a window at a time from the index; when a window is taken, the next
 * one is read too and its entries are hinted to the prefetcher (and the refs beyond it), so they arrive while the
 * caller decodes the current window. Hints are bounded by the cache's {@link Window#ahead}, so a window of big
 * elements cannot flush what is about to be used.
 *
 * <p>The list passes its ref epoch with every call; any change to the refs (an update, a structural change, a
 * compaction) drops what was read. Not thread-safe: one per iterator or spliterator.
 */
final class RefWindows {
    static final int REFS = 256;

    private final RefIndex index;
    private final FarHeap heap;
    private final long budget;
    private long[] current = new long[REFS];
    private long[] ahead = new long[REFS];
    private long currentStart;
    private int currentLen;
    private long aheadStart;
    private int aheadLen;
    /** Refs and entries of elements before these were hinted already. */
    private long hintedRefs;
    private long hintedEntries;
    private int epoch;

    RefWindows(RefIndex index, FarHeap heap, Window window) {
        this.index = index;
        this.heap = heap;
        this.budget = window.ahead;
    }

    /** The ref of element {@code i}, for a scan that stops before {@code end}, as of the list's {@code epoch}. */
    long ref(long i, long end, int epoch) {
        long k = i - currentStart;
        if (epoch != this.epoch || k < 0 || k >= currentLen) {
            load(i, end, epoch);
            k = i - currentStart;
        }
        return current[(int) k];
    }

    /**
     * Makes element {@code i} the first of the current window. After a change to the list (a new epoch) the refs are
     * read again, but a scan that carries on where it was does not hint again what it hinted already: re-hinting
     * after every {@code Iterator.remove} would fetch the same entries over and over while the shifts of the index
     * evict them.
     */
    private void load(long i, long end, int epoch) {
        boolean carriesOn = i >= currentStart && i <= aheadStart + aheadLen;
        if (epoch == this.epoch && aheadLen > 0 && i >= aheadStart && i < aheadStart + aheadLen) {
            long[] t = current;
            current = ahead;
            ahead = t;
            currentStart = aheadStart;
            currentLen = aheadLen;
        } else {
            this.epoch = epoch;
            currentStart = i;
            currentLen = (int) Math.min(REFS, end - i);
            if (!carriesOn) {
                hintedRefs = i;
                hintedEntries = i;
            }
            hintRefs(end);
            index.read(i, current, 0, currentLen);
            hintEntries(current, currentStart, currentLen);
        }
        aheadStart = currentStart + currentLen;
        aheadLen = (int) Math.min(REFS, end - aheadStart);
        if (aheadLen > 0) {
            hintRefs(end);
            index.read(aheadStart, ahead, 0, aheadLen);
            hintEntries(ahead, aheadStart, aheadLen);
        }
    }

    /** Hints the entries of {@code refs[0, n)}, elements from {@code start}, that were not hinted yet. */
    private void hintEntries(long[] refs, long start, int n) {
        long from = Math.max(start, hintedEntries);
        if (from < start + n) {
            int skip = (int) (from - start);
            heap.prefetch(refs, skip, n - skip, budget);
            hintedEntries = start + n;
        }
    }

    /** Hints the refs up to four windows past the current one. */
    private void hintRefs(long end) {
        long want = Math.min(end, currentStart + currentLen + 4L * REFS);
        if (want > hintedRefs) {
            index.prefetch(hintedRefs, want);
            hintedRefs = want;
        }
    }
}
