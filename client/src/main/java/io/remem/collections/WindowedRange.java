package io.remem.collections;

import io.remem.client.FarSegment;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Spliterator;

/**
 * What a spliterator over a far array does whatever its element type: it keeps a range of elements, copies the next
 * {@link Window} of them into a heap buffer with one bulk copy, hints the bytes after it to the prefetcher before
 * handing out the current one, and splits for parallel streams. Subclasses own the buffer (a primitive array, so
 * handing out an element is a plain array load) and the typed {@code tryAdvance}/{@code forEachRemaining}.
 *
 * <p>Binds to its range when created. Concurrent writes to the array are seen or not, window by window, as with any
 * shared memory; a closed array makes the next window read throw {@link IllegalStateException}.
 */
abstract class WindowedRange {
    static final int CHARACTERISTICS = Spliterator.SIZED | Spliterator.SUBSIZED | Spliterator.ORDERED
            | Spliterator.NONNULL;

    private final FarSegment segment;
    private final Window window;
    private final int shift;
    private final ValueLayout hostLayout;
    private final long end;
    /** First element not read into the buffer yet. */
    private long next;
    /** Byte offset up to which this spliterator has hinted the segment. */
    private long hinted;
    private MemorySegment bufferView;
    /** Elements {@code [pos, limit)} of the buffer are still to be handed out. */
    int pos;
    int limit;

    /**
     * @param shift      log2 of the element size in bytes
     * @param hostLayout the element's layout in the host's byte order (for the order fix on big-endian hosts)
     */
    WindowedRange(FarSegment segment, Window window, int shift, ValueLayout hostLayout, long from, long to) {
        this.segment = segment;
        this.window = window;
        this.shift = shift;
        this.hostLayout = hostLayout;
        this.next = from;
        this.end = to;
        this.hinted = from << shift;
    }

    /** A new buffer of {@code elements} elements, as a heap segment over the subclass's array (called once). */
    abstract MemorySegment newBuffer(int elements);

    /** Elements of one window for this element size. */
    final int windowElements() {
        return window.elements(shift);
    }

    /**
     * Reads the next window into the buffer, after hinting what follows it; false at the end of the range. The
     * first call also hints the first window itself, so it arrives in batched requests rather than block by block.
     */
    final boolean refill() {
        long n = Math.min(windowElements(), end - next);
        if (n <= 0) {
            return false;
        }
        long offset = next << shift;
        long bytes = n << shift;
        hinted = Window.hint(segment, hinted, Math.min(end << shift, offset + bytes + window.ahead));
        if (bufferView == null) {
            bufferView = newBuffer((int) n); // later windows are never larger: a short range gets a short buffer
        }
        FarSegment.copy(segment, offset, bufferView, 0, bytes);
        Window.toHostOrder(bufferView, 0, bytes, hostLayout);
        next += n;
        pos = 0;
        limit = (int) n;
        return true;
    }

    /**
     * Where to cut a prefix off for a parallel stream: half the range left, on a window boundary, or -1 when the
     * range is under two windows or part of it is buffered already. On success this range starts at the cut.
     */
    final long cut() {
        long span = end - next;
        int w = windowElements();
        if (pos < limit || span < 2L * w) {
            return -1;
        }
        long mid = next + (span >>> 1) / w * w;
        long prefixStart = next;
        next = mid;
        hinted = Math.max(hinted, mid << shift);
        return prefixStart;
    }

    /** Skips up to {@code n} elements not buffered yet (the buffer must be used up); returns how many. */
    final long skip(long n) {
        long skipped = Math.min(n, end - next);
        next += skipped;
        hinted = Math.max(hinted, next << shift);
        return skipped;
    }

    final long next() {
        return next;
    }

    final FarSegment segment() {
        return segment;
    }

    final Window window() {
        return window;
    }

    public final long estimateSize() {
        return (limit - pos) + (end - next);
    }

    public final int characteristics() {
        return CHARACTERISTICS;
    }
}
