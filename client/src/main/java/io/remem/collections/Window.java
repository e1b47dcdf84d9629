package io.remem.collections;

import io.remem.client.FarMemory;
import io.remem.client.FarSegment;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * How far collections move long ranges: in windows, each copied with one bulk copy (one cache lookup per block,
 * not per element), while {@link FarSegment#prefetch} is told about the bytes after the window. The cache then
 * fetches the next windows, in batches of blocks per request, while the caller works through the current one, so a
 * sequential scan overlaps the network instead of waiting for it block by block.
 *
 * <p>Both sizes follow the session's cache: a window is an eighth of it (1 to 64 KiB) and the hints reach a quarter
 * of it ahead (at least one window, at most 16). Hinting further than the cache holds would only evict prefetched
 * blocks before they are used. Immutable.
 */
final class Window {
    /** Far collections store multi-byte values little-endian, whatever the host (memory nodes read them too). */
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** On the usual (little-endian) hosts bulk copies are raw byte copies; a constant, so the JIT drops the rest. */
    private static final boolean NATIVE_LE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private static final int MIN_BYTES = 1 << 10;
    private static final int MAX_BYTES = 64 << 10;

    /** Bytes per window: a power of two, so a multiple of every element size. */
    final int bytes;
    /** Bytes hinted beyond the end of the current window. */
    final long ahead;

    private Window(int bytes, long ahead) {
        this.bytes = bytes;
        this.ahead = ahead;
    }

    static Window of(FarMemory memory) {
        long cache = memory.cacheBytes();
        int bytes = Integer.highestOneBit(Math.clamp(cache / 8, MIN_BYTES, MAX_BYTES));
        return new Window(bytes, Math.clamp(cache / 4, bytes, 16L * bytes));
    }

    /** Elements of {@code 1 << shift} bytes per window. */
    int elements(int shift) {
        return bytes >>> shift;
    }

    /**
     * Hints {@code [hinted, want)} of {@code segment} unless it was hinted already; returns the new hinted limit.
     * Callers keep the limit, so every byte is hinted once however the windows fall.
     */
    static long hint(FarSegment segment, long hinted, long want) {
        if (want <= hinted) {
            return hinted;
        }
        segment.prefetch(hinted, want - hinted);
        return want;
    }

    /**
     * Copies {@code length} far bytes into {@code dst}, a heap view of a primitive array whose elements are
     * {@code element}; ranges over a window go window by window with hints. Elements arrive in the host's order.
     */
    void read(FarSegment src, long srcOffset, MemorySegment dst, long dstOffset, long length, ValueLayout element) {
        if (length <= bytes) {
            FarSegment.copy(src, srcOffset, dst, dstOffset, length);
        } else {
            long hinted = srcOffset;
            for (long done = 0; done < length; ) {
                long n = Math.min(bytes, length - done);
                hinted = hint(src, hinted, srcOffset + Math.min(length, done + n + ahead));
                FarSegment.copy(src, srcOffset + done, dst, dstOffset + done, n);
                done += n;
            }
        }
        toHostOrder(dst, dstOffset, length, element);
    }

    /** Copies {@code length} bytes of {@code src} (a heap view as for {@link #read}) to far memory, little-endian. */
    void write(MemorySegment src, long srcOffset, FarSegment dst, long dstOffset, long length, ValueLayout element) {
        boolean swap = !NATIVE_LE && element.byteSize() > 1;
        MemorySegment staging = swap
                ? MemorySegment.ofArray(new long[(int) ((Math.min(length, bytes) + 7) >>> 3)])
                : null;
        long hinted = dstOffset;
        for (long done = 0; done < length; ) {
            long n = Math.min(bytes, length - done);
            if (length > bytes) {
                hinted = hint(dst, hinted, dstOffset + Math.min(length, done + n + ahead));
            }
            if (swap) {
                MemorySegment.copy(src, element, srcOffset + done, staging,
                        element.withOrder(ByteOrder.LITTLE_ENDIAN), 0, n / element.byteSize());
                FarSegment.copy(staging, 0, dst, dstOffset + done, n);
            } else {
                FarSegment.copy(src, srcOffset + done, dst, dstOffset + done, n);
            }
            done += n;
        }
    }

    /**
     * Sets all of {@code dst} to repeats of {@code pattern} (little-endian elements, as many bytes as a window or
     * fewer), window by window with hints: a write to a block not cached fetches it first, and the hints batch
     * those fetches. Blocks never written are not fetched at all.
     */
    void fill(FarSegment dst, MemorySegment pattern) {
        long length = dst.byteSize();
        long hinted = 0;
        for (long done = 0; done < length; ) {
            long n = Math.min(pattern.byteSize(), length - done);
            hinted = hint(dst, hinted, Math.min(length, done + n + ahead));
            FarSegment.copy(pattern, 0, dst, done, n);
            done += n;
        }
    }

    /** {@code value} as a host-order long whose bytes in memory are {@code value} little-endian. */
    static long littleEndian(long value) {
        return NATIVE_LE ? value : Long.reverseBytes(value);
    }

    /**
     * The far segment for {@code length} elements of {@code 1 << shift} bytes, all zero. Far memory has no empty
     * allocations, so an empty array still takes one element's worth.
     */
    static FarSegment allocate(FarMemory memory, long length, int shift) {
        Objects.requireNonNull(memory, "memory");
        if (length < 0 || length > Long.MAX_VALUE >>> shift) {
            throw new IllegalArgumentException("length: " + length + " is negative or too large");
        }
        return memory.allocate(Math.max(1, length) << shift);
    }

    /** Turns little-endian elements just copied into {@code dst} into the host's order (nothing to do on most). */
    static void toHostOrder(MemorySegment dst, long offset, long length, ValueLayout element) {
        if (!NATIVE_LE && element.byteSize() > 1) {
            MemorySegment.copy(dst, element.withOrder(ByteOrder.LITTLE_ENDIAN), offset, dst, element, offset,
                    length / element.byteSize());
        }
    }
}
