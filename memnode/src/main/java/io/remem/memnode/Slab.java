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
import java.nio.ByteOrder;

/**
 * One slab: a tenant's range of far memory, backed lazily in chunks of {@link Limits#SLAB_GRANULE} bytes on
 * first write (Clio's on-demand allocation). A chunk never written reads as zeros and costs no memory.
 *
 * <p>Chunks are off-heap segments of one shared arena; deleting the slab closes the arena. FFM makes that
 * safe against a concurrent access on another I/O thread: the access fails with {@link IllegalStateException},
 * which callers report as {@link ErrorCode#NO_SUCH_SLAB}, and never touches freed memory.
 *
 * <p>A slab kept in a data directory has a checksum per chunk ({@link ChunkSums}): every write below unseals the
 * chunks it touches before changing them, and a slab whose sealed chunk fails its check is {@link State#QUARANTINED}.
 */
final class Slab {
    static final int CHUNK_SHIFT = Long.numberOfTrailingZeros(Limits.SLAB_GRANULE);
    static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;
    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(MemorySegment[].class);
    /** Atomics work on little-endian words: what {@code JAVA_LONG} is on x86-64 and AArch64 clients. */
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final long id;
    private final int tenant;
    private final long size;
    private final Capacity capacity;
    private final Arena arena;
    /** The slab's file in the data directory, mapped whole; null for a slab in anonymous memory. */
    private final MemorySegment mapped;
    /** The checksums of the slab's file; null in anonymous memory (nothing at rest to check) or if they are damaged. */
    private final ChunkSums sums;
    private final MemorySegment[] chunks;
    private int backedChunks;         // guarded by this
    private volatile boolean deleted; // written under this

    /** Whether the slab may be read and how writes are applied. */
    enum State {
        /** Holds every acknowledged write: serves reads, writes and atomics. */
        READY,
        /** A new replica being copied (SLAB_SYNC): takes client writes, which the copy never overwrites; no reads. */
        SYNCING,
        /** Found in the data directory after a restart: serves nothing until the controller confirms it is current. */
        RECOVERED,
        /**
         * A sealed chunk failed its checksum: serves nothing (every access fails with DATA_CORRUPT) and is kept until
         * the controller drops it or has it checked again (restore). Never served or deleted on this node's own say.
         */
        QUARANTINED
    }

    private volatile State state = State.READY;
    /** Why the slab is quarantined; set before the state. */
    private volatile String damage;
    private final EpochFence fence = new EpochFence();
    /** While SYNCING: what clients wrote since the copy began; null otherwise. */
    private volatile SyncWrites syncWrites;

    Slab(long id, int tenant, long size, Capacity capacity) {
        this(id, tenant, size, capacity, Arena.ofShared(), null, null);
    }

    /**
     * A slab over {@code mapped}, a file mapping owned by {@code arena}: its chunks are slices of the file, so what is
     * written survives the process. Chunks are still counted as backed on first write. {@code sums} are the file's
     * checksums, or null if they are damaged (the caller then quarantines the slab at once).
     */
    Slab(long id, int tenant, long size, Capacity capacity, Arena arena, MemorySegment mapped, ChunkSums sums) {
        this.id = id;
        this.tenant = tenant;
        this.size = size;
        this.capacity = capacity;
        this.arena = arena;
        this.mapped = mapped;
        this.sums = sums;
        this.chunks = new MemorySegment[(int) ((size + CHUNK_MASK) >>> CHUNK_SHIFT)];
    }

    /**
     * For a slab recovered from its file: every chunk may hold data, so all are installed and counted as backed.
     * The capacity was checked when the slab was reserved.
     */
    synchronized void installAllChunks() {
        for (int c = 0; c < chunks.length; c++) {
            if (chunks[c] == null) {
                capacity.back(CHUNK_SIZE, id);
                installChunk(c);
            }
        }
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

    State state() {
        return state;
    }

    long epoch() {
        return fence.epoch();
    }

    /** The slab's checksums, or null for a slab in anonymous memory. */
    ChunkSums sums() {
        return sums;
    }

    int chunkCount() {
        return chunks.length;
    }

    /** Chunk {@code index} if it is backed (it may hold data), else null; for checking it against its sum. */
    MemorySegment backedChunkOrNull(int index) {
        return (MemorySegment) CHUNKS.getAcquire(chunks, index);
    }

    /** Why the slab is quarantined, or null if it is not. */
    String damage() {
        return state == State.QUARANTINED ? damage : null;
    }

    /** The replica set changed: from now on only sessions that declare {@code newEpoch} may write. */
    void fence(long newEpoch) {
        fence.advance(newEpoch);
    }

    /** Records that {@code session} knows the replica set at epoch {@code known}; see {@link EpochFence#declare}. */
    boolean declare(int session, long known) {
        return fence.declare(session, known);
    }

    /** Throws unless the slab is readable: written by clients only through a complete replica set. */
    void checkReadable() {
        State s = state;
        if (s != State.READY) {
            throw notReady(s);
        }
    }

    /** Throws unless {@code session} may write here now. */
    void checkWritable(int session) {
        State s = state;
        if (s == State.RECOVERED || s == State.QUARANTINED) {
            throw notReady(s);
        }
        if (!fence.admits(session)) {
            throw new RememException(ErrorCode.STALE_MAP, "slab " + id + " has new replicas (epoch " + fence.epoch()
                    + "); look it up again and declare the epoch before writing");
        }
    }

    private RememException notReady(State s) {
        if (s == State.QUARANTINED) {
            return new RememException(ErrorCode.DATA_CORRUPT, "slab " + id + " is quarantined on this memory node: "
                    + damage);
        }
        return new RememException(ErrorCode.REPLICA_NOT_READY, "slab " + id + " is "
                + (s == State.SYNCING ? "still being copied here" : "recovered from disk and not yet confirmed by the controller"));
    }

    /** Makes this a new replica being copied at {@code atEpoch}; call before anyone can reach the slab. */
    void beginSync(long atEpoch) {
        syncWrites = new SyncWrites(size);
        fence.reset(atEpoch, false);
        state = State.SYNCING;
    }

    /** A slab read back from the data directory, which waits for the controller's word (unless quarantined). */
    synchronized void markRecovered(long atEpoch) {
        // Sessions did not survive the restart; a slab that was ever fenced stays fenced for every new one.
        fence.reset(atEpoch, atEpoch > 0);
        if (state != State.QUARANTINED) {
            state = State.RECOVERED;
        }
    }

    /** The controller confirmed a recovered slab, or its copy is complete: it serves reads again, unless quarantined. */
    void markReady() {
        SyncWrites sw = syncWrites;
        if (sw != null) {
            synchronized (sw) {
                syncWrites = null;
                serve();
            }
        } else {
            serve();
        }
    }

    private synchronized void serve() {
        if (state != State.QUARANTINED) {
            state = State.READY;
        }
    }

    /**
     * Stops serving the slab because its data failed a check ({@code detail} says which): every access fails with
     * DATA_CORRUPT from now on. Returns false if it was quarantined already (the first detail stays).
     */
    synchronized boolean quarantine(String detail) {
        if (state == State.QUARANTINED) {
            return false;
        }
        damage = detail;
        state = State.QUARANTINED;
        return true;
    }

    /**
     * A quarantined slab passed every check after all (the controller had it checked again, as its only copy): it
     * serves again at {@code atEpoch}. False if it was deleted meanwhile.
     */
    synchronized boolean release(long atEpoch) {
        if (deleted) {
            return false;
        }
        fence.advance(atEpoch);
        syncWrites = null;
        state = State.READY;
        return true;
    }

    /**
     * Applies one piece of the copy from the source replica: every line of {@code data} (for {@code [offset, +size)})
     * except those a client wrote since the copy began, which are newer. Lines of zeros over memory never written
     * are skipped, so the copy stays as sparse as the source.
     */
    void copyPiece(long offset, MemorySegment data) {
        checkRange(offset, data.byteSize());
        SyncWrites sw = syncWrites;
        if (sw == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab " + id + " is not being copied");
        }
        synchronized (sw) {
            for (long at = 0; at < data.byteSize(); at += SyncWrites.LINE_BYTES) {
                long line = (offset + at) >>> SyncWrites.LINE_SHIFT;
                if (sw.wholeLine(line)) {
                    continue;
                }
                int n = (int) Math.min(SyncWrites.LINE_BYTES, data.byteSize() - at);
                MemorySegment src = data.asSlice(at, n);
                MemorySegment chunk = chunk(offset + at);
                if (chunk == null && SyncWrites.isZero(src)) {
                    continue;
                }
                copyLine(offset + at, src, sw.partialLine(line));
            }
        }
    }

    /** Copies one line of the source replica to {@code offset}, except the bytes in {@code clientWrote}. */
    private void copyLine(long offset, MemorySegment src, Long clientWrote) {
        int c = (int) (offset >>> CHUNK_SHIFT);
        try {
            MemorySegment dst = backedChunk(offset);
            long base = offset & CHUNK_MASK;
            beginWrite(c);
            try {
                if (clientWrote == null) {
                    MemorySegment.copy(src, 0, dst, base, src.byteSize());
                } else {
                    for (int b = 0; b < src.byteSize(); b++) {
                        if ((clientWrote & (1L << b)) == 0) {
                            dst.set(ValueLayout.JAVA_BYTE, base + b, src.get(ValueLayout.JAVA_BYTE, b));
                        }
                    }
                }
            } finally {
                endWrite(c);
            }
        } catch (IllegalStateException e) {
            throw deletedError();
        }
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
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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
        SyncWrites sw = syncWrites;
        if (sw != null) {
            synchronized (sw) {
                if (syncWrites == sw) { // still copying: the copy must not overwrite these bytes later
                    sw.record(offset, length);
                }
                copyIn(offset, src, srcIndex, length);
            }
            return;
        }
        copyIn(offset, src, srcIndex, length);
    }

    private void copyIn(long offset, ByteBuf src, int srcIndex, int length) {
        try {
            while (length > 0) {
                int n = (int) Math.min(length, CHUNK_SIZE - (offset & CHUNK_MASK));
                MemorySegment chunk = backedChunk(offset);
                int c = (int) (offset >>> CHUNK_SHIFT);
                beginWrite(c);
                try {
                    src.getBytes(srcIndex, chunk.asSlice(offset & CHUNK_MASK, n).asByteBuffer());
                } finally {
                    endWrite(c);
                }
                offset += n;
                srcIndex += n;
                length -= n;
            }
        } catch (IllegalStateException e) {
            throw deletedError();
        }
    }

    /** Every change to a chunk's bytes goes between this and {@link #endWrite}; see {@link ChunkSums}. */
    private void beginWrite(int chunk) {
        ChunkSums s = sums;
        if (s != null) {
            s.beginWrite(chunk);
        }
    }

    private void endWrite(int chunk) {
        ChunkSums s = sums;
        if (s != null) {
            s.endWrite(chunk);
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
            int c = (int) (offset >>> CHUNK_SHIFT);
            beginWrite(c); // even if the swap fails: whether it will is not known before
            try {
                return (long) WORD.varHandle().compareAndExchange(chunk, offset & CHUNK_MASK, expected, desired);
            } finally {
                endWrite(c);
            }
        } catch (IllegalStateException e) {
            throw deletedError();
        }
    }

    /** Atomically adds {@code delta} to the word at {@code offset}; returns the old value. */
    long getAndAdd(long offset, long delta) {
        checkWord(offset);
        try {
            MemorySegment chunk = backedChunk(offset);
            int c = (int) (offset >>> CHUNK_SHIFT);
            beginWrite(c);
            try {
                return (long) WORD.varHandle().getAndAdd(chunk, offset & CHUNK_MASK, delta);
            } finally {
                endWrite(c);
            }
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
            chunk = mapped != null ? mapped.asSlice((long) index << CHUNK_SHIFT, CHUNK_SIZE)
                    : arena.allocate(CHUNK_SIZE, 4096); // zero-filled
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
