package io.remem.collections;

import io.remem.client.FarMemory;
import io.remem.client.FarSegment;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A {@link FarList}'s index: one 8-byte ref per element (see {@link FarHeap}), little-endian, in far chunks of
 * {@link #CHUNK} refs. Growing adds a chunk and never copies the refs already there; only the chunk table (one
 * Java reference per 4096 elements) lives on the heap. Not thread-safe.
 */
final class RefIndex {
    static final int SHIFT = 12;
    /** Refs per chunk: 32 KiB of far memory, small enough for the allocator's size classes (no round trip). */
    static final int CHUNK = 1 << SHIFT;
    private static final long MASK = CHUNK - 1;

    private final FarMemory memory;
    private final Window window;
    private FarSegment[] chunks = new FarSegment[4];
    private int count;
    private long[] moveBuffer;

    RefIndex(FarMemory memory, Window window) {
        this.memory = memory;
        this.window = window;
    }

    long get(long i) {
        return chunks[(int) (i >>> SHIFT)].get(Window.LONG, (i & MASK) << 3);
    }

    void set(long i, long ref) {
        chunks[(int) (i >>> SHIFT)].set(Window.LONG, (i & MASK) << 3, ref);
    }

    /** Makes room for refs {@code [0, n)}. */
    void ensureCapacity(long n) {
        while ((long) count << SHIFT < n) {
            if (count == chunks.length) {
                chunks = Arrays.copyOf(chunks, count * 2);
            }
            chunks[count] = memory.allocate((long) CHUNK << 3);
            count++;
        }
    }

    /** Frees chunks past those {@code n} refs need, but one, so a list hovering at a chunk boundary does not churn. */
    void trim(long n) {
        long keep = ((n + MASK) >>> SHIFT) + 1;
        while (count > keep) {
            count--;
            chunks[count].free();
            chunks[count] = null;
        }
    }

    /** Frees every chunk; the index can grow again afterwards. */
    void clear() {
        while (count > 0) {
            count--;
            chunks[count].free();
            chunks[count] = null;
        }
    }

    /** Copies refs {@code [from, from + n)} into {@code dst[off..]}. */
    void read(long from, long[] dst, int off, int n) {
        MemorySegment view = MemorySegment.ofArray(dst);
        while (n > 0) {
            int in = (int) (from & MASK);
            int k = Math.min(n, CHUNK - in);
            window.read(chunks[(int) (from >>> SHIFT)], (long) in << 3, view, (long) off << 3, (long) k << 3,
                    ValueLayout.JAVA_LONG);
            from += k;
            off += k;
            n -= k;
        }
    }

    /** Copies {@code src[off, off + n)} to refs {@code [to, to + n)}. */
    void write(long to, long[] src, int off, int n) {
        MemorySegment view = MemorySegment.ofArray(src);
        while (n > 0) {
            int in = (int) (to & MASK);
            int k = Math.min(n, CHUNK - in);
            window.write(view, (long) off << 3, chunks[(int) (to >>> SHIFT)], (long) in << 3, (long) k << 3,
                    ValueLayout.JAVA_LONG);
            to += k;
            off += k;
            n -= k;
        }
    }

    /**
     * Moves refs {@code [from, from + n)} to {@code [to, to + n)}, overlapping or not, as {@link System#arraycopy}
     * does: a window at a time through a heap buffer, starting at the end that is not overwritten first.
     */
    void move(long from, long to, long n) {
        if (n <= 0 || from == to) {
            return;
        }
        if (moveBuffer == null) {
            moveBuffer = new long[window.elements(3)];
        }
        long[] buf = moveBuffer;
        if (to > from) {
            for (long left = n; left > 0; ) {
                int k = (int) Math.min(buf.length, left);
                left -= k;
                read(from + left, buf, 0, k);
                write(to + left, buf, 0, k);
            }
        } else {
            for (long done = 0; done < n; ) {
                int k = (int) Math.min(buf.length, n - done);
                read(from + done, buf, 0, k);
                write(to + done, buf, 0, k);
                done += k;
            }
        }
    }

    /** Hints refs {@code [from, to)} (clipped to the chunks there are) to the prefetcher. */
    void prefetch(long from, long to) {
        to = Math.min(to, (long) count << SHIFT);
        while (from < to) {
            int in = (int) (from & MASK);
            long k = Math.min(to - from, CHUNK - in);
            chunks[(int) (from >>> SHIFT)].prefetch((long) in << 3, k << 3);
            from += k;
        }
    }
}
