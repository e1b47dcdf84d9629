package io.remem.client;

/**
 * Where a coherent dataset (MRSW or MRMW) keeps its coherence state, as a pure function of its total size, so every
 * runtime that opens it by name agrees without reading anything first. Zeros mean "nothing going on": every lock free,
 * every stripe at sequence 0, the commit log empty.
 *
 * <pre>
 * header, 4 KiB:
 *   [0, 8)        commit-log lock word (far atomics only; line 0 holds nothing else)
 *   [64, 72)      id of the commit in the log, 0 when empty (plain writes, by the log lock's holder)
 *   [72, 104)     bitmap of the stripes that commit touches
 *   [128 + 16 i)  stripe i's lock word (far atomics only), then its sequence word (written by the log lock's
 *                 holder only): odd while a commit applies
 * commit log, {@link #logBytes}: a redo log of the commit being applied ({@link CommitLog})
 * data, {@link #dataBytes}: what the dataset's users see, cut into {@link #stripes} stripes of {@link #stripeBytes}
 * </pre>
 *
 * A user asking for {@code B} bytes gets {@code B} rounded up to 4 KiB; the log can hold a commit of the whole data
 * while that is small, and of {@link #MAX_LOG} bytes otherwise.
 */
final class CoherenceLayout {
    static final int PAGE = 4096;
    static final long HEADER = PAGE;
    static final long LOG_ID = 64;
    static final long LOG_STRIPES = 72;
    static final long STRIPE_WORDS = 128;
    static final int MAX_STRIPES = 240;
    static final long MAX_LOG = 2L << 20;

    final long logOffset = HEADER;
    final long logBytes;
    final long dataOffset;
    final long dataBytes;
    final int stripes;
    final long stripeBytes;

    private CoherenceLayout(long logBytes, long dataBytes) {
        this.logBytes = logBytes;
        this.dataOffset = HEADER + logBytes;
        this.dataBytes = dataBytes;
        this.stripes = (int) Math.max(1, Math.min(MAX_STRIPES, dataBytes / PAGE));
        this.stripeBytes = roundUp(ceilDiv(dataBytes, stripes), PAGE);
    }

    /** The layout of a dataset with {@code dataBytes} for its users (rounded up to 4 KiB). */
    static CoherenceLayout forData(long dataBytes) {
        if (dataBytes <= 0) {
            throw new IllegalArgumentException("bytes: " + dataBytes + " must be positive");
        }
        long data = roundUp(dataBytes, PAGE);
        return new CoherenceLayout(Math.min(MAX_LOG, data + PAGE), data);
    }

    /**
     * The layout of a dataset of {@code totalBytes} in all, as the controller reports its size.
     *
     * @throws IllegalArgumentException if no coherent dataset has that size (it was not created as one)
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
        return (int) (offset / stripeBytes);
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
