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
    /** Atomics work on little-endian words: what {@code JAVA_LONG} is on x86-64 and AArch64 clients. */
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final long id;
    private final int tenant;
    private final long size;
    private final Capacity capacity;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] chunks;
    private int backedChunks;         // guarded by this
    private volatile boolean deleted; // written under this

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
        checkLive();
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

    /** Little-endian reads for offloads, which may start anywhere; unbacked memory reads as zero. */
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The little-endian long at {@code offset}, which must lie in the slab. */
    long getLong(long offset) {
        checkRange(offset, 8);
        try {
            if ((offset & CHUNK_MASK) <= CHUNK_SIZE - 8) {
                MemorySegment chunk = chunk(offset);
                return chunk == null ? 0 : chunk.get(LE_LONG, offset & CHUNK_MASK);
            }
            return (getInt(offset + 4) & 0xFFFF_FFFFL) << 32 | (getInt(offset) & 0xFFFF_FFFFL);
        } catch (IllegalStateException e) {
            throw deletedError();
        }
    }

    /** The little-endian int at {@code offset}, which must lie in the slab. */
    int getInt(long offset) {
        checkRange(offset, 4);
        try {
            if ((offset & CHUNK_MASK) <= CHUNK_SIZE - 4) {
                MemorySegment chunk = chunk(offset);
                return chunk == null ? 0 : chunk.get(LE_INT, offset & CHUNK_MASK);
            }
            int v = 0;
            for (int i = 3; i >= 0; i--) {
                MemorySegment chunk = chunk(offset + i);
                v = v << 8 | (chunk == null ? 0 : chunk.get(ValueLayout.JAVA_BYTE, (offset + i) & CHUNK_MASK) & 0xFF);
            }
            return v;
        } catch (IllegalStateException e) {
            throw deletedError();
        }
    }

    /** Whether the {@code expected.byteSize()} bytes at {@code offset} equal {@code expected}. */
    boolean contentEquals(long offset, MemorySegment expected) {
        long length = expected.byteSize();
        checkRange(offset, length);
        boolean[] equal = {true};
        scan(offset, length, (data, at, n) -> {
            if (equal[0]) {
                MemorySegment want = expected.asSlice(at - offset, n);
                equal[0] = data == null ? want.elements(ValueLayout.JAVA_BYTE).allMatch(b -> b.get(ValueLayout.JAVA_BYTE, 0) == 0)
                        : data.mismatch(want) < 0;
            }
        });
        return equal[0];
    }

    /** Receives a slab range piece by piece: {@code data} is null where the slab was never written (zeros). */
    @FunctionalInterface
    interface PieceVisitor {
        void visit(MemorySegment data, long offset, long length);
    }

    /** Hands {@code [offset, +length)} to {@code visitor} one chunk at a time, in order. */
    void scan(long offset, long length, PieceVisitor visitor) {
        checkRange(offset, length);
        checkLive();
        try {
            while (length > 0) {
                long n = Math.min(length, CHUNK_SIZE - (offset & CHUNK_MASK));
                MemorySegment chunk = chunk(offset);
                visitor.visit(chunk == null ? null : chunk.asSlice(offset & CHUNK_MASK, n), offset, n);
                offset += n;
                length -= n;
            }
        } catch (IllegalStateException e) {
            throw deletedError();
        }
    }

    /**
     * Backs every chunk that {@code [offset, offset + length)} touches, so a write there cannot fail halfway. The
     * capacity for all of them is taken at once: if it is not there, nothing is backed.
     */
    void backRange(long offset, int length) {
        checkRange(offset, length);
        checkLive();
        if (length == 0) {
            return;
        }
        int first = (int) (offset >>> CHUNK_SHIFT);
        int last = (int) ((offset + length - 1) >>> CHUNK_SHIFT);
        for (int c = first; c <= last; c++) {
            if (CHUNKS.getAcquire(chunks, c) == null) {
                backChunks(first, last);
                return;
            }
        }
    }

    private synchronized void backChunks(int first, int last) {
        if (deleted) {
            throw deletedError();
        }
        int missing = 0;
        for (int c = first; c <= last; c++) {
            missing += chunks[c] == null ? 1 : 0;
        }
        capacity.back((long) missing << CHUNK_SHIFT, id);
        int installed = 0;
        try {
            for (int c = first; c <= last; c++) {
                if (chunks[c] == null) {
                    installChunk(c);
                    installed++;
                }
            }
        } catch (RememException e) {
            capacity.unback((long) (missing - installed - 1) << CHUNK_SHIFT); // the failed chunk gave back its own
            throw e;
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
        checkLive();
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
        return installChunk(index);
    }

    /** Allocates chunk {@code index}, whose capacity the caller has taken. Called under this. */
    private MemorySegment installChunk(int index) {
        MemorySegment chunk;
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

    /** Fails fast on a deleted slab; accesses that race with a delete are caught by the arena instead. */
    private void checkLive() {
        if (deleted) {
            throw deletedError();
        }
    }

    private RememException deletedError() {
        return new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + id + " was deleted");
    }
}
