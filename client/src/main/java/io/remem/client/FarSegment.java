package io.remem.client;

import io.remem.protocol.Opcode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A contiguous range of far memory, used like a {@link MemorySegment}: typed {@code get} and {@code set}
 * with value layouts (their byte order and alignment apply), slices, fills and bulk copies. Accesses go
 * through the session's local cache; a cached access touches no network and allocates nothing.
 *
 * <p>Far segments are safe to use from many threads at once, platform or virtual. As with a shared
 * {@code MemorySegment}, concurrent writes to the same bytes race, and a multi-byte value is not written
 * atomically with respect to other threads' reads of the same bytes, except that each access of 8 bytes or
 * fewer within one 64-byte line is seen whole or not at all by other threads of this runtime.
 *
 * <p>A segment from {@link FarMemory#allocate} owns its memory until {@link #free()}; slices share it.
 */
public final class FarSegment {
    private final LocalCache cache;
    private final Allocation allocation;
    private final long base;
    private final long length;
    private final boolean readOnly;

    FarSegment(LocalCache cache, Allocation allocation, long base, long length) {
        this.cache = cache;
        this.allocation = allocation;
        this.base = base;
        this.length = length;
        this.readOnly = allocation.readOnly;
    }

    /** Size of this segment in bytes. */
    public long byteSize() {
        return length;
    }

    /** The far address of byte 0 of this segment: slab id in the high bits, offset in the slab below. */
    public long address() {
        return base;
    }

    /** False once the memory has been freed. */
    public boolean isAlive() {
        return !allocation.freed;
    }

    /** As {@link #address}, for a write: refused on a read-only segment, as {@link MemorySegment} refuses it. */
    private long writeAddress(long offset, long size) {
        if (readOnly) {
            throw new UnsupportedOperationException("this segment is read-only: dataset " + allocation.dataset
                    + " was granted to this tenant for reading");
        }
        return address(offset, size);
    }

    /** Whether writes are refused: a dataset another tenant granted for reading only. */
    public boolean isReadOnly() {
        return readOnly;
    }

    /** Checks bounds and liveness; returns the far address of {@code offset}. */
    private long address(long offset, long size) {
        Objects.checkFromIndexSize(offset, size, length);
        if (allocation.freed) {
            throw new IllegalStateException("Already freed");
        }
        return base + offset;
    }

    /** Reads a byte at {@code offset}, as {@link MemorySegment#get(ValueLayout.OfByte, long)} does. */
    public byte get(ValueLayout.OfByte layout, long offset) {
        long addr = address(offset, Byte.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Byte.BYTES)) {
            return spill(addr, Byte.BYTES).get(layout, 0);
        }
        long stamp = c.beginRead(addr);
        while (true) {
            byte v = c.frames.get(layout, c.offsetIn(stamp, addr));
            if (c.endRead(stamp)) {
                return v;
            }
            stamp = c.retryRead(addr, stamp);
        }
    }

    /** Writes a byte at {@code offset}, as {@link MemorySegment#set(ValueLayout.OfByte, long, byte)} does. */
    public void set(ValueLayout.OfByte layout, long offset, byte value) {
        long addr = writeAddress(offset, Byte.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Byte.BYTES)) {
            MemorySegment tmp = scratch();
            tmp.set(layout, 0, value);
            unspill(addr, tmp, Byte.BYTES);
            return;
        }
        long stamp = c.beginWrite(addr);
        try {
            c.frames.set(layout, c.offsetIn(stamp, addr), value);
        } catch (Throwable e) {
            c.abortWrite(stamp); // never leave the frame locked, whatever went wrong
            throw e;
        }
        c.endWrite(stamp, addr, Byte.BYTES);
    }

    /** Reads a short at {@code offset}, as {@link MemorySegment#get(ValueLayout.OfShort, long)} does. */
    public short get(ValueLayout.OfShort layout, long offset) {
        long addr = address(offset, Short.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Short.BYTES)) {
            return spill(addr, Short.BYTES).get(layout, 0);
        }
        long stamp = c.beginRead(addr);
        while (true) {
            short v = c.frames.get(layout, c.offsetIn(stamp, addr));
            if (c.endRead(stamp)) {
                return v;
            }
            stamp = c.retryRead(addr, stamp);
        }
    }

    /** Writes a short at {@code offset}, as {@link MemorySegment#set(ValueLayout.OfShort, long, short)} does. */
    public void set(ValueLayout.OfShort layout, long offset, short value) {
        long addr = writeAddress(offset, Short.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Short.BYTES)) {
            MemorySegment tmp = scratch();
            tmp.set(layout, 0, value);
            unspill(addr, tmp, Short.BYTES);
            return;
        }
        long stamp = c.beginWrite(addr);
        try {
            c.frames.set(layout, c.offsetIn(stamp, addr), value);
        } catch (Throwable e) {
            c.abortWrite(stamp); // never leave the frame locked, whatever went wrong
            throw e;
        }
        c.endWrite(stamp, addr, Short.BYTES);
    }

    /** Reads a char at {@code offset}, as {@link MemorySegment#get(ValueLayout.OfChar, long)} does. */
    public char get(ValueLayout.OfChar layout, long offset) {
        long addr = address(offset, Character.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Character.BYTES)) {
            return spill(addr, Character.BYTES).get(layout, 0);
        }
        long stamp = c.beginRead(addr);
        while (true) {
            char v = c.frames.get(layout, c.offsetIn(stamp, addr));
            if (c.endRead(stamp)) {
                return v;
            }
            stamp = c.retryRead(addr, stamp);
        }
    }

    /** Writes a char at {@code offset}, as {@link MemorySegment#set(ValueLayout.OfChar, long, char)} does. */
    public void set(ValueLayout.OfChar layout, long offset, char value) {
        long addr = writeAddress(offset, Character.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Character.BYTES)) {
            MemorySegment tmp = scratch();
            tmp.set(layout, 0, value);
            unspill(addr, tmp, Character.BYTES);
            return;
        }
        long stamp = c.beginWrite(addr);
        try {
            c.frames.set(layout, c.offsetIn(stamp, addr), value);
        } catch (Throwable e) {
            c.abortWrite(stamp); // never leave the frame locked, whatever went wrong
            throw e;
        }
        c.endWrite(stamp, addr, Character.BYTES);
    }

    /** Reads a int at {@code offset}, as {@link MemorySegment#get(ValueLayout.OfInt, long)} does. */
    public int get(ValueLayout.OfInt layout, long offset) {
        long addr = address(offset, Integer.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Integer.BYTES)) {
            return spill(addr, Integer.BYTES).get(layout, 0);
        }
        long stamp = c.beginRead(addr);
        while (true) {
            int v = c.frames.get(layout, c.offsetIn(stamp, addr));
            if (c.endRead(stamp)) {
                return v;
            }
            stamp = c.retryRead(addr, stamp);
        }
    }

    /** Writes a int at {@code offset}, as {@link MemorySegment#set(ValueLayout.OfInt, long, int)} does. */
    public void set(ValueLayout.OfInt layout, long offset, int value) {
        long addr = writeAddress(offset, Integer.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Integer.BYTES)) {
            MemorySegment tmp = scratch();
            tmp.set(layout, 0, value);
            unspill(addr, tmp, Integer.BYTES);
            return;
        }
        long stamp = c.beginWrite(addr);
        try {
            c.frames.set(layout, c.offsetIn(stamp, addr), value);
        } catch (Throwable e) {
            c.abortWrite(stamp); // never leave the frame locked, whatever went wrong
            throw e;
        }
        c.endWrite(stamp, addr, Integer.BYTES);
    }

    /** Reads a float at {@code offset}, as {@link MemorySegment#get(ValueLayout.OfFloat, long)} does. */
    public float get(ValueLayout.OfFloat layout, long offset) {
        long addr = address(offset, Float.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Float.BYTES)) {
            return spill(addr, Float.BYTES).get(layout, 0);
        }
        long stamp = c.beginRead(addr);
        while (true) {
            float v = c.frames.get(layout, c.offsetIn(stamp, addr));
            if (c.endRead(stamp)) {
                return v;
            }
            stamp = c.retryRead(addr, stamp);
        }
    }

    /** Writes a float at {@code offset}, as {@link MemorySegment#set(ValueLayout.OfFloat, long, float)} does. */
    public void set(ValueLayout.OfFloat layout, long offset, float value) {
        long addr = writeAddress(offset, Float.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Float.BYTES)) {
            MemorySegment tmp = scratch();
            tmp.set(layout, 0, value);
            unspill(addr, tmp, Float.BYTES);
            return;
        }
        long stamp = c.beginWrite(addr);
        try {
            c.frames.set(layout, c.offsetIn(stamp, addr), value);
        } catch (Throwable e) {
            c.abortWrite(stamp); // never leave the frame locked, whatever went wrong
            throw e;
        }
        c.endWrite(stamp, addr, Float.BYTES);
    }

    /** Reads a long at {@code offset}, as {@link MemorySegment#get(ValueLayout.OfLong, long)} does. */
    public long get(ValueLayout.OfLong layout, long offset) {
        long addr = address(offset, Long.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Long.BYTES)) {
            return spill(addr, Long.BYTES).get(layout, 0);
        }
        long stamp = c.beginRead(addr);
        while (true) {
            long v = c.frames.get(layout, c.offsetIn(stamp, addr));
            if (c.endRead(stamp)) {
                return v;
            }
            stamp = c.retryRead(addr, stamp);
        }
    }

    /**
     * Reads the longs at {@code offsets[0..count)} into {@code dst[0..count)}: a gather, as a graph kernel pulls its
     * neighbours' values. Equivalent to calling {@link #get(ValueLayout.OfLong, long)} for each, but the blocks that
     * miss are fetched together, their round trips overlapped, rather than one miss after another. Every offset is
     * checked before anything is read.
     */
    public void gather(ValueLayout.OfLong layout, long[] offsets, int count, long[] dst) {
        Gather.longs(this, cache, layout, offsets, count, dst);
    }

    /** Writes a long at {@code offset}, as {@link MemorySegment#set(ValueLayout.OfLong, long, long)} does. */
    public void set(ValueLayout.OfLong layout, long offset, long value) {
        long addr = writeAddress(offset, Long.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Long.BYTES)) {
            MemorySegment tmp = scratch();
            tmp.set(layout, 0, value);
            unspill(addr, tmp, Long.BYTES);
            return;
        }
        long stamp = c.beginWrite(addr);
        try {
            c.frames.set(layout, c.offsetIn(stamp, addr), value);
        } catch (Throwable e) {
            c.abortWrite(stamp); // never leave the frame locked, whatever went wrong
            throw e;
        }
        c.endWrite(stamp, addr, Long.BYTES);
    }

    /** Reads a double at {@code offset}, as {@link MemorySegment#get(ValueLayout.OfDouble, long)} does. */
    public double get(ValueLayout.OfDouble layout, long offset) {
        long addr = address(offset, Double.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Double.BYTES)) {
            return spill(addr, Double.BYTES).get(layout, 0);
        }
        long stamp = c.beginRead(addr);
        while (true) {
            double v = c.frames.get(layout, c.offsetIn(stamp, addr));
            if (c.endRead(stamp)) {
                return v;
            }
            stamp = c.retryRead(addr, stamp);
        }
    }

    /** Writes a double at {@code offset}, as {@link MemorySegment#set(ValueLayout.OfDouble, long, double)} does. */
    public void set(ValueLayout.OfDouble layout, long offset, double value) {
        long addr = writeAddress(offset, Double.BYTES);
        LocalCache c = cache;
        if (c.crosses(addr, Double.BYTES)) {
            MemorySegment tmp = scratch();
            tmp.set(layout, 0, value);
            unspill(addr, tmp, Double.BYTES);
            return;
        }
        long stamp = c.beginWrite(addr);
        try {
            c.frames.set(layout, c.offsetIn(stamp, addr), value);
        } catch (Throwable e) {
            c.abortWrite(stamp); // never leave the frame locked, whatever went wrong
            throw e;
        }
        c.endWrite(stamp, addr, Double.BYTES);
    }

    /** {@link #address(long, long)} for the runtime's other classes. */
    long addressOf(long offset, long size) {
        return address(offset, size);
    }

    /**
     * Whether all of this segment is in the local cache right now, as {@link MemorySegment#isLoaded()} tells for a
     * mapped segment. The answer may be stale as soon as it is returned; use it for decisions, not for correctness.
     */
    public boolean isLoaded() {
        return length == 0 || isLoaded(0, length);
    }

    /** {@link #isLoaded()} for {@code [offset, offset + length)}. */
    public boolean isLoaded(long offset, long length) {
        return length == 0 || cache.isLoaded(address(offset, length), length);
    }

    /**
     * Whether the memory nodes may not yet hold every write made to this segment through the cache: false means an
     * offloaded operation reads the latest bytes without a {@link #force()}. Conservative (any write-back in flight
     * anywhere counts), and like {@link #isLoaded()} an answer for decisions, stale as soon as it is returned.
     */
    public boolean mayHaveUnwritten() {
        return length > 0 && cache.mayHaveUnwritten(base >>> cache.blockShift, (base + length - 1) >>> cache.blockShift);
    }

    /**
     * Writes this segment's dirty cached lines back to the memory nodes and waits until they have applied them, as
     * {@link MemorySegment#force()} does for a mapped segment: afterwards an offloaded operation sees every write to
     * the segment completed before the call.
     *
     * @throws io.remem.protocol.RememException if a memory node could not take the data; it stays dirty in the cache
     */
    public void force() {
        force(0, length);
    }

    /** {@link #force()} for {@code [offset, offset + length)}. */
    public void force(long offset, long length) {
        if (length > 0) {
            long addr = address(offset, length);
            cache.force(addr >>> cache.blockShift, (addr + length - 1) >>> cache.blockShift);
        }
    }

    /**
     * Writes back this session's dirty lines of {@code [offset, offset + length)}, then drops the range from the cache,
     * so the next reads fetch it from the memory nodes: what other runtimes wrote there since shows. For data guarded
     * by a {@link FarLock}: refresh after locking.
     */
    public void refresh(long offset, long length) {
        if (length > 0) {
            force(offset, length);
            cache.dropClean(address(offset, length), length);
        }
    }

    /**
     * Atomically adds {@code delta} to the 8-byte little-endian word at {@code offset}, on the memory node that holds it
     * (Clio's atomics), and returns the value before. It runs exactly once, even when its answer is lost and it is sent
     * again, or its node fails over; every replica ends up with the same result.
     *
     * <p>Atomics bypass the local cache: use only these methods on such a word, not {@code get}/{@code set}, whose
     * cached copy they do not update. {@code offset} must be 8-byte aligned.
     */
    public long getAndAddAtNode(long offset, long delta) {
        writeAddress(offset, 8);
        return cache.atomic(Opcode.FAA, atomicAddress(offset), delta, 0);
    }

    /**
     * Atomically sets the word at {@code offset} to {@code desired} if it is {@code expected}, on the memory node, and
     * returns the value it found (the witness): the swap happened if that equals {@code expected}. Exactly once, like
     * {@link #getAndAddAtNode}.
     */
    public long compareAndExchangeAtNode(long offset, long expected, long desired) {
        writeAddress(offset, 8);
        return cache.atomic(Opcode.CAS, atomicAddress(offset), expected, desired);
    }

    /** The word at {@code offset} as the memory node has it; for words used with the atomics above. */
    public long getAtNode(long offset) {
        return getAndAddAtNode(offset, 0);
    }

    private long atomicAddress(long offset) {
        long addr = address(offset, 8);
        if ((addr & 7) != 0) {
            throw new IllegalArgumentException("offset " + offset + ": atomics need an 8-byte aligned far address");
        }
        force(offset, 8); // a plain write still cached there must not land after the atomic
        return addr;
    }

    /** A view of {@code newSize} bytes from {@code offset}; it shares this segment's memory. */
    public FarSegment asSlice(long offset, long newSize) {
        Objects.checkFromIndexSize(offset, newSize, length);
        return new FarSegment(cache, allocation, base + offset, newSize);
    }

    /** A view from {@code offset} to the end. */
    public FarSegment asSlice(long offset) {
        return asSlice(offset, length - offset);
    }

    /**
     * Starts copying {@code length} bytes at {@code offset} into {@code dst} at {@code dstOffset}; the future
     * completes when they are there. {@code dst} must not be read before that. Cached data is copied at once; a miss
     * does not block the caller, so many can be in flight together. Calls from one thread on a common block keep
     * their order; {@link FarMemory#release()} waits for all of them.
     */
    public CompletableFuture<Void> readAsync(long offset, MemorySegment dst, long dstOffset, long length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.byteSize());
        if (length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return cache.readAsync(address(offset, length), dst, dstOffset, length);
    }

    /** {@link #readAsync(long, MemorySegment, long, long)} into a byte array. */
    public CompletableFuture<Void> readAsync(long offset, byte[] dst, int dstIndex, int length) {
        return readAsync(offset, MemorySegment.ofArray(dst), dstIndex, length);
    }

    /**
     * Starts copying {@code length} bytes of {@code src} at {@code srcOffset} to {@code offset}; the future completes
     * when the write is in the cache (it reaches memory nodes with write-back, or at {@link FarMemory#flush()}).
     * {@code src} may be reused as soon as this returns. Ordering as for {@link #readAsync}.
     */
    public CompletableFuture<Void> writeAsync(long offset, MemorySegment src, long srcOffset, long length) {
        Objects.checkFromIndexSize(srcOffset, length, src.byteSize());
        if (length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return cache.writeAsync(writeAddress(offset, length), src, srcOffset, length);
    }

    /** {@link #writeAsync(long, MemorySegment, long, long)} from a byte array. */
    public CompletableFuture<Void> writeAsync(long offset, byte[] src, int srcIndex, int length) {
        return writeAsync(offset, MemorySegment.ofArray(src), srcIndex, length);
    }

    /**
     * Pins {@code [offset, offset + length)} in the local cache and returns it as one plain, writable
     * {@link MemorySegment}: no lookup per access until the view is closed. See {@link PinnedView} for the rules.
     *
     * @throws io.remem.protocol.RememException TOO_LARGE if the range needs more frames than the cache can spare
     */
    public PinnedView pin(long offset, long length) {
        return new PinnedView(cache, writeAddress(offset, positive(length)), length, true);
    }

    /** As {@link #pin}, read-only: nothing is compared or written back on close. */
    public PinnedView pinReadOnly(long offset, long length) {
        return new PinnedView(cache, address(offset, positive(length)), length, false);
    }

    private static long positive(long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("length: " + length + " must be positive to pin");
        }
        return length;
    }

    /**
     * Hints that {@code [offset, offset + length)} will be used soon: the blocks not cached start arriving now,
     * without waiting for them. A hint never takes the frames kept for demand misses, and may be cut short when
     * the cache has none to spare; it may wait for the reclaimer to finish a sweep.
     */
    public void prefetch(long offset, long length) {
        if (length > 0) {
            long addr = address(offset, length);
            cache.prefetch(addr >>> cache.blockShift, (addr + length - 1) >>> cache.blockShift);
        }
    }

    /** Sets every byte to {@code value}; returns this segment. */
    public FarSegment fill(byte value) {
        if (length > 0) {
            cache.fill(writeAddress(0, length), length, value);
        }
        return this;
    }

    /** Copies all of {@code src} to the start of this segment; returns this segment. */
    public FarSegment copyFrom(MemorySegment src) {
        copy(src, 0, this, 0, src.byteSize());
        return this;
    }

    /** The contents as a new byte array (at most {@link Integer#MAX_VALUE} - 8 bytes). */
    public byte[] toArray() {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("segment of " + length + " bytes is too large for a byte array");
        }
        byte[] out = new byte[(int) length];
        copy(this, 0, out, 0, out.length);
        return out;
    }

    /** Copies {@code length} bytes from far {@code src} at {@code srcOffset} to local {@code dst} at {@code dstOffset}. */
    public static void copy(FarSegment src, long srcOffset, MemorySegment dst, long dstOffset, long length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.byteSize());
        if (length > 0) {
            src.cache.read(src.address(srcOffset, length), dst, dstOffset, length);
        }
    }

    /** Copies {@code length} bytes from local {@code src} at {@code srcOffset} to far {@code dst} at {@code dstOffset}. */
    public static void copy(MemorySegment src, long srcOffset, FarSegment dst, long dstOffset, long length) {
        Objects.checkFromIndexSize(srcOffset, length, src.byteSize());
        if (length > 0) {
            dst.cache.write(dst.writeAddress(dstOffset, length), src, srcOffset, length);
        }
    }

    /** Copies {@code length} bytes from far {@code src} at {@code srcOffset} into {@code dst[dstIndex..]}. */
    public static void copy(FarSegment src, long srcOffset, byte[] dst, int dstIndex, int length) {
        copy(src, srcOffset, MemorySegment.ofArray(dst), dstIndex, length);
    }

    /** Copies {@code src[srcIndex..srcIndex+length)} to far {@code dst} at {@code dstOffset}. */
    public static void copy(byte[] src, int srcIndex, FarSegment dst, long dstOffset, int length) {
        copy(MemorySegment.ofArray(src), srcIndex, dst, dstOffset, length);
    }

    /** Copies between two far segments (they may overlap only if they are the same bytes). */
    public static void copy(FarSegment src, long srcOffset, FarSegment dst, long dstOffset, long length) {
        MemorySegment buf = MemorySegment.ofArray(new byte[(int) Math.min(length, 1 << 16)]);
        for (long done = 0; done < length; ) {
            long n = Math.min(buf.byteSize(), length - done);
            copy(src, srcOffset + done, buf, 0, n);
            copy(buf, 0, dst, dstOffset + done, n);
            done += n;
        }
    }

    /**
     * Returns the memory to the session's allocator. Afterwards every access through this segment or its slices
     * throws {@link IllegalStateException}. Only a segment returned by {@link FarMemory#allocate} may be freed.
     */
    public void free() {
        if (base != allocation.address || length != allocation.bytes) {
            throw new UnsupportedOperationException("free the segment returned by allocate, not a slice of it");
        }
        allocation.memory.release(allocation);
    }

    /**
     * Reads {@code size} bytes that straddle two blocks into a scratch segment. Rare (unaligned layouts only), so
     * it lives out of line and keeps the accessors small enough to inline.
     */
    private MemorySegment spill(long addr, int size) {
        MemorySegment tmp = scratch();
        cache.read(addr, tmp, 0, size);
        return tmp;
    }

    private void unspill(long addr, MemorySegment tmp, int size) {
        cache.write(addr, tmp, 0, size);
    }

    /** Room for one value that straddles two blocks. */
    private static MemorySegment scratch() {
        return MemorySegment.ofArray(new long[1]); // 8-byte aligned, so aligned layouts keep their checks
    }

    @Override
    public String toString() {
        return "FarSegment{address=0x" + Long.toHexString(base) + ", byteSize=" + length + "}";
    }
}
