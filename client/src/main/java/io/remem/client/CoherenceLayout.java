package io.remem.client;

import java.util.BitSet;

/**
 * Where a coherent dataset (MRSW or MRMW) keeps its coherence state: a pure function of the data size it was created
 * with ({@link #createdBytes}, kept in its header) and of its size now, so every runtime that opens it by name agrees.
 * Zeros mean "nothing going on": every lock free, every stripe at sequence 0, the commit log empty.
 *
 * <pre>
 * header, 4 KiB:
 *   [0, 8)        commit-log lock word (far atomics only; line 0 holds nothing else)
 *   [64, 72)      id of the commit in the log, 0 when empty (plain writes, by the log lock's holder)
 *   [72, 104)     bitmap of the stripes that commit touches
 *   [104, 112)    the data bytes it was created with; 0 until the first runtime that opens it to write sets it (far
 *                 atomics only), and set before it first grows, so 0 means "never grown"
 *   [128 + 16 i)  stripe i's lock word (far atomics only), then its sequence word (written by the log lock's
 *                 holder only): odd while a commit applies
 * commit log, {@link #logBytes}: a redo log of the commit being applied ({@link CommitLog})
 * data, {@link #dataBytes}: what the dataset's users see, cut into units of {@link #stripeBytes}; unit {@code u}
 *                 belongs to stripe {@code u mod stripes}
 * </pre>
 *
 * A user asking for {@code B} bytes gets {@code B} rounded up to 4 KiB; the log can hold a commit of the whole data
 * while that is small, and of {@link #MAX_LOG} bytes otherwise. The header, the log and the stripes' unit are laid
 * out for the size it was created with and never move: a dataset that grows adds units past its end, which share the
 * stripes with the units before them (Dataset#grow), so runtimes that still know the old size stay correct.
 */
final class CoherenceLayout {
    static final int PAGE = 4096;
    static final long HEADER = PAGE;
    static final long LOG_ID = 64;
    static final long LOG_STRIPES = 72;
    static final long CREATED_BYTES = 104;
    static final long STRIPE_WORDS = 128;
    static final int MAX_STRIPES = 240;
    static final long MAX_LOG = 2L << 20;

    final long logOffset = HEADER;
    final long logBytes;
    final long dataOffset;
    /** The data bytes it was created with, which the log and the stripes are laid out for. */
    final long createdBytes;
    final long dataBytes;
    final int stripes;
    final long stripeBytes;

    private CoherenceLayout(long createdBytes, long dataBytes) {
        this.createdBytes = createdBytes;
        this.logBytes = Math.min(MAX_LOG, createdBytes + PAGE);
        this.dataOffset = HEADER + logBytes;
        this.dataBytes = dataBytes;
        this.stripes = (int) Math.max(1, Math.min(MAX_STRIPES, createdBytes / PAGE));
        this.stripeBytes = roundUp(ceilDiv(createdBytes, stripes), PAGE);
    }

    /** The layout of a new dataset with {@code dataBytes} for its users (rounded up to 4 KiB). */
    static CoherenceLayout forData(long dataBytes) {
        if (dataBytes <= 0) {
            throw new IllegalArgumentException("bytes: " + dataBytes + " must be positive");
        }
        long data = roundUp(dataBytes, PAGE);
        return new CoherenceLayout(data, data);
    }

    /**
     * The layout of a dataset created with {@code createdBytes} of data and of {@code totalBytes} in all now; a tail of
     * less than 4 KiB past its last whole page is not data.
     *
     * @throws IllegalArgumentException if it is smaller than it was created
     */
    static CoherenceLayout of(long createdBytes, long totalBytes) {
        CoherenceLayout created = forData(createdBytes);
        if (created.dataBytes != createdBytes || totalBytes < created.totalBytes()) {
            throw new IllegalArgumentException("a dataset of " + totalBytes + " bytes is not laid out for coherence"
                    + " with " + createdBytes + " bytes of data");
        }
        long data = (totalBytes - created.dataOffset) / PAGE * PAGE;
        return data == createdBytes ? created : new CoherenceLayout(createdBytes, data);
    }

    /** This layout, holding {@code totalBytes} in all now (no smaller than before). */
    CoherenceLayout withTotal(long totalBytes) {
        return totalBytes <= totalBytes() ? this : of(createdBytes, totalBytes);
    }

    /**
     * The layout of a dataset of {@code totalBytes} in all, as the controller reports its size, if it never grew.
     *
     * @throws IllegalArgumentException if no coherent dataset that never grew has that size
     */
    static CoherenceLayout forTotal(long totalBytes) {
        // Small: total = header + (data + page) + data. Large: total = header + MAX_LOG + data.
        long data = totalBytes <= HEADER + 2 * MAX_LOG - PAGE ? (totalBytes - HEADER - PAGE) / 2 : totalBytes - HEADER - MAX_LOG;
        if (data <= 0 || data % PAGE != 0 || forData(data).totalBytes() != totalBytes) {
            throw new IllegalArgumentException("a dataset of " + totalBytes + " bytes is not laid out for coherence");
        }
        return forData(data);
    }

    long totalBytes() {
        return dataOffset + dataBytes;
    }

    /** The stripe holding data byte {@code offset}. */
    int stripeOf(long offset) {
        return (int) (offset / stripeBytes % stripes);
    }

    /** Adds to {@code out} the stripes holding data bytes {@code [offset, end)}. */
    void stripesOf(long offset, long end, BitSet out) {
        long first = offset / stripeBytes;
        long last = (end - 1) / stripeBytes;
        if (last - first + 1 >= stripes) {
            out.set(0, stripes);
            return;
        }
        for (long u = first; u <= last; u++) {
            out.set((int) (u % stripes));
        }
    }

    /** Header offset of stripe {@code i}'s lock word. */
    static long lockWord(int i) {
        return STRIPE_WORDS + 16L * i;
    }

    /** Header offset of stripe {@code i}'s sequence word. */
    static long sequenceWord(int i) {
        return STRIPE_WORDS + 16L * i + 8;
    }

    /** The largest commit payload the log holds (its ranges' bytes, with their entry headers). */
    long logCapacity() {
        return logBytes - CommitLog.HEADER_BYTES;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    static long roundUp(long a, long to) {
        return ceilDiv(a, to) * to;
    }
}
