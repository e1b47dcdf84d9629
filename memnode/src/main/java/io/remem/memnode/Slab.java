package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One slab: a tenant's range of far memory, backed lazily in chunks of {@link Limits#SLAB_GRANULE} bytes on
 * first write (Clio's on-demand allocation). A chunk never written reads as zeros and costs no memory.
 *
 * <p>Chunks are off-heap segments of one shared arena; deleting the slab closes the arena. FFM makes that
 * safe against a concurrent access on another I/O thread: the access fails with {@link IllegalStateException},
 * which callers report as {@link ErrorCode#NO_SUCH_SLAB}, and never touches freed memory.
 */
final class Slab {
    static final int CHUNK_SHIFT = Long.numberOfTrailingZeros(Limits.SLAB_GRANULE);
    static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;
    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(MemorySegment[].class);
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG;

    private final long id;
    private final int tenant;
    private final long size;
    private final Capacity capacity;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] chunks;
    private int backedChunks; // guarded by this
    private boolean deleted;  // guarded by this

    Slab(long id, int tenant, long size, Capacity capacity) {
        this.id = id;
        this.tenant = tenant;
        this.size = size;
        this.capacity = capacity;
        this.chunks = new MemorySegment[(int) ((size + CHUNK_MASK) >>> CHUNK_SHIFT)];
    }

    long id() {
        return id;
    }

    int tenant() {
        return tenant;
    }

    long size() {
        return size;
    }

    synchronized long backedBytes() {
        return (long) backedChunks << CHUNK_SHIFT;
    }

    /** Throws unless {@code [offset, offset + length)} lies inside the slab. */
    void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size - length) {
            throw new RememException(ErrorCode.OUT_OF_BOUNDS, "range [" + offset + ", +" + length
                    + ") is outside slab " + id + " of " + size + " bytes");
        }
    }

    /** Appends {@code length} bytes at {@code offset} to {@code out}; unbacked chunks read as zeros. */
    void read(long offset, int length, ByteBuf out) {
        checkRange(offset, length);
        try {
            while (length > 0) {
                int n = (int) Math.min(length, CHUNK_SIZE - (offset & CHUNK_MASK));
                MemorySegment chunk = chunk(offset);
                if (chunk == null) {
                    out.writeZero(n);
                } else {
                    out.writeBytes(chunk.asSlice(offset & CHUNK_MASK, n).asByteBuffer());
                }
                offset += n;
                length -= n;
            }
        } catch (IllegalStateException e) {
            throw deletedError();
        }
    }

    /** Backs every chunk that {@code [offset, offset + length)} touches, so a write there cannot fail halfway. */
    void backRange(long offset, int length) {
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        for (long c = offset >>> CHUNK_SHIFT, last = (offset + length - 1) >>> CHUNK_SHIFT; c <= last; c++) {
            backedChunk(c << CHUNK_SHIFT);
        }
    }

    /** Copies {@code length} bytes from {@code src} at {@code srcIndex} to {@code offset}; call {@link #backRange} first. */
    void write(long offset, ByteBuf src, int srcIndex, int length) {
        try {
            while (length > 0) {
                int n = (int) Math.min(length, CHUNK_SIZE - (offset & CHUNK_MASK));
                MemorySegment chunk = backedChunk(offset);
                src.getBytes(srcIndex, chunk.asSlice(offset & CHUNK_MASK, n).asByteBuffer());
                offset += n;
                srcIndex += n;
                length -= n;
            }
        } catch (IllegalStateException e) {
            throw deletedError();
        }
    }

    /** Atomically sets the word at {@code offset} to {@code desired} if it is {@code expected}; returns the old value. */
    long compareAndExchange(long offset, long expected, long desired) {
        checkWord(offset);
        try {
            MemorySegment chunk = chunk(offset);
            if (chunk == null) {
                if (expected != 0) {
                    return 0; // the word reads as zero, so the swap fails without backing anything
                }
                chunk = backedChunk(offset);
            }
            return (long) WORD.varHandle().compareAndExchange(chunk, offset & CHUNK_MASK, expected, desired);
        } catch (IllegalStateException e) {
            throw deletedError();
        }
    }

    /** Atomically adds {@code delta} to the word at {@code offset}; returns the old value. */
    long getAndAdd(long offset, long delta) {
        checkWord(offset);
        try {
            return (long) WORD.varHandle().getAndAdd(backedChunk(offset), offset & CHUNK_MASK, delta);
        } catch (IllegalStateException e) {
            throw deletedError();
        }
    }

    /** Frees all backing memory. Accesses racing with this fail with NO_SUCH_SLAB. */
    synchronized void delete() {
        if (deleted) {
            return;
        }
        deleted = true;
        capacity.unback((long) backedChunks << CHUNK_SHIFT);
        backedChunks = 0;
        arena.close();
    }

    private void checkWord(long offset) {
        checkRange(offset, 8);
        if ((offset & 7) != 0) {
            throw new RememException(ErrorCode.MISALIGNED, "atomic on offset " + offset + " of slab " + id
                    + ": 8-byte atomics need an 8-byte aligned offset");
        }
    }

    private MemorySegment chunk(long offset) {
        return (MemorySegment) CHUNKS.getAcquire(chunks, (int) (offset >>> CHUNK_SHIFT));
    }

    private MemorySegment backedChunk(long offset) {
        MemorySegment chunk = chunk(offset);
        return chunk != null ? chunk : allocateChunk((int) (offset >>> CHUNK_SHIFT));
    }

    private synchronized MemorySegment allocateChunk(int index) {
        MemorySegment chunk = chunks[index];
        if (chunk != null) {
            return chunk;
        }
        if (deleted) {
            throw deletedError();
        }
        capacity.back(CHUNK_SIZE, id);
        try {
            chunk = arena.allocate(CHUNK_SIZE, 4096); // zero-filled
        } catch (OutOfMemoryError | RuntimeException e) {
            capacity.unback(CHUNK_SIZE);
            throw new RememException(ErrorCode.NODE_OUT_OF_MEMORY, "cannot back a chunk of slab " + id + ": " + e);
        }
        backedChunks++;
        CHUNKS.setRelease(chunks, index, chunk);
        return chunk;
    }

    private RememException deletedError() {
        return new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + id + " was deleted");
    }
}
