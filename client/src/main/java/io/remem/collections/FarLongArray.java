package io.remem.collections;

import io.remem.client.Aggregate;
import io.remem.client.Dataset;
import io.remem.client.FarMemory;
import io.remem.client.FarSegment;
import io.remem.client.OffloadMode;
import io.remem.protocol.ElementType;
import io.remem.protocol.Filter;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import java.util.Spliterator;
import java.util.function.LongConsumer;
import java.util.stream.LongStream;
import java.util.stream.StreamSupport;

/**
 * A fixed-length array of {@code long}s in far memory, indexed by {@code long}, so it may be far longer than a Java
 * array. Element accesses go through the session's local cache like any {@link FarSegment} access; scans
 * ({@link #stream}, {@link #forEach}, large bulk copies) read window by window and tell the prefetcher what comes
 * next, so they overlap the network and pay one cache lookup per block instead of one per element.
 *
 * <p><b>Layout</b> (a contract: memory-node-side operations read it): element {@code i} is the 8 bytes at byte
 * offset {@code i * 8} of {@link #segment()}, little-endian, whatever the host's byte order. The segment is
 * exactly {@code length * 8} bytes and starts 8-byte aligned (allocations are 16-byte aligned).
 *
 * <p>Safe to use from many threads, as a {@link FarSegment} is: concurrent writes to one element race, but a
 * single element is read and written whole. Not safe to {@link #close} while other threads use it.
 */
public final class FarLongArray extends FarArray {
    private static final int SHIFT = 3;

    private FarLongArray(FarMemory memory, long length) {
        super(memory, length, SHIFT);
    }

    /**
     * A new array of {@code length} zeros. Costs no memory-node memory until written: never-written blocks read as
     * zeros without a round trip.
     *
     * @throws IllegalArgumentException if {@code length} is negative or too large to address
     */
    public static FarLongArray allocate(FarMemory memory, long length) {
        return new FarLongArray(memory, length);
    }

    /**
     * The named dataset {@code dataset} as an array of longs: {@code byteSize / 8} of them, shared with every runtime
     * that opens the dataset. Closing the array frees nothing; read-only if the dataset was granted for reading only.
     */
    public static FarLongArray open(FarMemory memory, Dataset dataset) {
        return new FarLongArray(memory, dataset.segment());
    }

    private FarLongArray(FarMemory memory, FarSegment over) {
        super(memory, over, SHIFT);
    }

    public long get(long index) {
        Objects.checkIndex(index, length);
        return segment.get(Window.LONG, index << SHIFT);
    }

    public void set(long index, long value) {
        Objects.checkIndex(index, length);
        segment.set(Window.LONG, index << SHIFT, value);
    }

    /** Sets every element to {@code value}, window by window. */
    public void fill(long value) {
        checkOpen();
        if (length > 0) {
            long[] pattern = new long[(int) Math.min(length, window.elements(SHIFT))];
            Arrays.fill(pattern, Window.littleEndian(value));
            window.fill(segment, MemorySegment.ofArray(pattern));
        }
    }

    /** Copies elements {@code [from, from + count)} into {@code dst[dstIndex..]}. */
    public void copyTo(long from, long[] dst, int dstIndex, int count) {
        Objects.checkFromIndexSize(from, count, length);
        Objects.checkFromIndexSize(dstIndex, count, dst.length);
        checkOpen();
        window.read(segment, from << SHIFT, MemorySegment.ofArray(dst), (long) dstIndex << SHIFT,
                (long) count << SHIFT, ValueLayout.JAVA_LONG);
    }

    /** Copies {@code src[srcIndex, srcIndex + count)} to elements {@code [to, to + count)}. */
    public void copyFrom(long[] src, int srcIndex, long to, int count) {
        Objects.checkFromIndexSize(srcIndex, count, src.length);
        Objects.checkFromIndexSize(to, count, length);
        checkOpen();
        window.write(MemorySegment.ofArray(src), (long) srcIndex << SHIFT, segment, to << SHIFT,
                (long) count << SHIFT, ValueLayout.JAVA_LONG);
    }

    /** Hands elements {@code [from, to)} to {@code action} in order, reading ahead as {@link #stream()} does. */
    public void forEach(long from, long to, LongConsumer action) {
        Objects.requireNonNull(action, "action");
        spliterator(from, to).forEachRemaining(action);
    }

    /** All elements in order; {@code .parallel()} splits the array into ranges that each read ahead on their own. */
    public LongStream stream() {
        return stream(0, length);
    }

    /** Elements {@code [from, to)} in order. */
    public LongStream stream(long from, long to) {
        return StreamSupport.longStream(spliterator(from, to), false);
    }

    /** Elements {@code [from, to)}: SIZED, SUBSIZED, ORDERED, NONNULL; reads window by window with hints. */
    public Spliterator.OfLong spliterator(long from, long to) {
        Objects.checkFromToIndex(from, to, length);
        checkOpen();
        return new Windows(segment, window, from, to);
    }

    /**
     * Counts the elements of {@code [from, to)} that pass {@code filter} and finds their sum, min and max, at the
     * memory nodes or over the local cache as {@code mode} says (see {@link Offload}). A scan-filter-aggregate at the
     * memory node moves only the answer over the network (Clio-DF).
     */
    public Aggregate aggregate(long from, long to, Filter filter, OffloadMode mode) {
        return aggregate(from, to, ElementType.I64, filter, mode);
    }

    /** {@link #aggregate(long, long, Filter, OffloadMode)} over the whole array, where remem decides. */
    public Aggregate aggregate(Filter filter) {
        return aggregate(0, length, filter, OffloadMode.AUTO);
    }

    /**
     * The indexes, ascending, of the elements of {@code [from, to)} that pass {@code filter}; run as {@code mode}
     * says. Near, only 4 bytes per match cross the network.
     */
    public long[] select(long from, long to, Filter filter, OffloadMode mode) {
        return select(from, to, ElementType.I64, filter, mode);
    }

    private static final class Windows extends WindowedRange implements Spliterator.OfLong {
        private long[] buffer;

        Windows(FarSegment segment, Window window, long from, long to) {
            super(segment, window, SHIFT, ValueLayout.JAVA_LONG, from, to);
        }

        @Override
        MemorySegment newBuffer(int elements) {
            buffer = new long[elements];
            return MemorySegment.ofArray(buffer);
        }

        @Override
        public boolean tryAdvance(LongConsumer action) {
            Objects.requireNonNull(action);
            if (pos == limit && !refill()) {
                return false;
            }
            action.accept(buffer[pos++]);
            return true;
        }

        @Override
        public void forEachRemaining(LongConsumer action) {
            Objects.requireNonNull(action);
            while (pos < limit || refill()) {
                long[] b = buffer;
                for (int i = pos, n = limit; i < n; i++) {
                    action.accept(b[i]);
                }
                pos = limit;
            }
        }

        @Override
        public Spliterator.OfLong trySplit() {
            long from = cut();
            return from < 0 ? null : new Windows(segment(), window(), from, next());
        }
    }
}
