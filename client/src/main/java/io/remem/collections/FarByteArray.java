package io.remem.collections;

import io.remem.client.FarMemory;
import io.remem.client.FarSegment;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import java.util.Spliterator;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;

/**
 * A fixed-length array of bytes in far memory, indexed by {@code long}, so it may hold more than the 2 GiB of a
 * Java array. Element accesses go through the session's local cache like any {@link FarSegment} access; scans
 * ({@link #inputStream}, {@link #stream}, {@link #forEach}, large bulk copies) read window by window and tell the
 * prefetcher what comes next, so they overlap the network and pay one cache lookup per block, not per byte.
 *
 * <p><b>Layout</b> (a contract: memory-node-side operations read it): byte {@code i} is at offset {@code i} of
 * {@link #segment()}, which is exactly {@code length} bytes and starts 8-byte aligned.
 *
 * <p>Safe to use from many threads, as a {@link FarSegment} is (concurrent writes to one byte race). Not safe to
 * {@link #close} while other threads use it.
 */
public final class FarByteArray extends FarArray {
    private FarByteArray(FarMemory memory, long length) {
        super(memory, length, 0);
    }

    /**
     * A new array of {@code length} zero bytes. Costs no memory-node memory until written: never-written blocks
     * read as zeros without a round trip.
     *
     * @throws IllegalArgumentException if {@code length} is negative
     */
    public static FarByteArray allocate(FarMemory memory, long length) {
        return new FarByteArray(memory, length);
    }


    public byte get(long index) {
        Objects.checkIndex(index, length);
        return segment.get(ValueLayout.JAVA_BYTE, index);
    }

    public void set(long index, byte value) {
        Objects.checkIndex(index, length);
        segment.set(ValueLayout.JAVA_BYTE, index, value);
    }

    /** Sets every byte to {@code value}, window by window. */
    public void fill(byte value) {
        checkOpen();
        if (length > 0) {
            byte[] pattern = new byte[(int) Math.min(length, window.bytes)];
            Arrays.fill(pattern, value);
            window.fill(segment, MemorySegment.ofArray(pattern));
        }
    }

    /** Copies bytes {@code [from, from + count)} into {@code dst[dstIndex..]}. */
    public void copyTo(long from, byte[] dst, int dstIndex, int count) {
        Objects.checkFromIndexSize(from, count, length);
        Objects.checkFromIndexSize(dstIndex, count, dst.length);
        checkOpen();
        window.read(segment, from, MemorySegment.ofArray(dst), dstIndex, count, ValueLayout.JAVA_BYTE);
    }

    /** Copies {@code src[srcIndex, srcIndex + count)} to bytes {@code [to, to + count)}. */
    public void copyFrom(byte[] src, int srcIndex, long to, int count) {
        Objects.checkFromIndexSize(srcIndex, count, src.length);
        Objects.checkFromIndexSize(to, count, length);
        checkOpen();
        window.write(MemorySegment.ofArray(src), srcIndex, segment, to, count, ValueLayout.JAVA_BYTE);
    }

    /**
     * Bytes {@code [from, to)} as a stream, reading ahead: for parsers, digests, {@link InputStream#transferTo}.
     * Closing the stream does not close the array; reading after the array is closed throws
     * {@link IllegalStateException}. Like any {@code InputStream}, for one thread at a time.
     */
    public InputStream inputStream(long from, long to) {
        return new Reader(windows(from, to));
    }

    /** Hands bytes {@code [from, to)}, unsigned (0..255), to {@code action} in order, reading ahead. */
    public void forEach(long from, long to, IntConsumer action) {
        Objects.requireNonNull(action, "action");
        spliterator(from, to).forEachRemaining(action);
    }

    /** All bytes in order, unsigned (0..255); {@code .parallel()} splits into ranges that each read ahead. */
    public IntStream stream() {
        return stream(0, length);
    }

    /** Bytes {@code [from, to)} in order, unsigned. */
    public IntStream stream(long from, long to) {
        return StreamSupport.intStream(spliterator(from, to), false);
    }

    /** Bytes {@code [from, to)}, unsigned: SIZED, SUBSIZED, ORDERED, NONNULL; reads window by window with hints. */
    public Spliterator.OfInt spliterator(long from, long to) {
        return windows(from, to);
    }

    private Windows windows(long from, long to) {
        Objects.checkFromToIndex(from, to, length);
        checkOpen();
        return new Windows(segment, window, from, to);
    }




    private static final class Windows extends WindowedRange implements Spliterator.OfInt {
        private byte[] buffer;

        Windows(FarSegment segment, Window window, long from, long to) {
            super(segment, window, 0, ValueLayout.JAVA_BYTE, from, to);
        }

        @Override
        MemorySegment newBuffer(int elements) {
            buffer = new byte[elements];
            return MemorySegment.ofArray(buffer);
        }

        @Override
        public boolean tryAdvance(IntConsumer action) {
            Objects.requireNonNull(action);
            if (pos == limit && !refill()) {
                return false;
            }
            action.accept(buffer[pos++] & 0xFF);
            return true;
        }

        @Override
        public void forEachRemaining(IntConsumer action) {
            Objects.requireNonNull(action);
            while (pos < limit || refill()) {
                byte[] b = buffer;
                for (int i = pos, n = limit; i < n; i++) {
                    action.accept(b[i] & 0xFF);
                }
                pos = limit;
            }
        }

        @Override
        public Spliterator.OfInt trySplit() {
            long from = cut();
            return from < 0 ? null : new Windows(segment(), window(), from, next());
        }
    }

    /** An {@link InputStream} over a {@link Windows}: its buffer is the stream's buffer. */
    private static final class Reader extends InputStream {
        private final Windows w;

        Reader(Windows w) {
            this.w = w;
        }

        @Override
        public int read() {
            if (w.pos == w.limit && !w.refill()) {
                return -1;
            }
            return w.buffer[w.pos++] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (w.pos == w.limit && !w.refill()) {
                return -1;
            }
            int n = Math.min(len, w.limit - w.pos);
            System.arraycopy(w.buffer, w.pos, b, off, n);
            w.pos += n;
            return n;
        }

        @Override
        public long skip(long n) {
            if (n <= 0) {
                return 0;
            }
            int buffered = (int) Math.min(n, w.limit - w.pos);
            w.pos += buffered;
            return buffered + w.skip(n - buffered);
        }

        @Override
        public int available() {
            return w.limit - w.pos;
        }
    }
}
