package io.remem.memnode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.CRC32C;

/**
 * The at-rest checksums of one file-backed slab: a CRC32C per chunk in the mapped {@code slab-<id>.sums} file, and the
 * in-memory record of writes in progress that keeps the sealer from sealing a chunk while it changes. Slabs in
 * anonymous memory have none: their data dies with the process, so there is nothing at rest to check.
 *
 * <p>File layout, little-endian (the byte order of every platform remem runs on, so entries are read without swapping):
 * a header {@code u32 magic "RMCS", u16 version, u16 zero, u32 chunkCount, u32 crc32c of the 12 bytes before}, then
 * per chunk {@code u32 crc32c, u32 state}. A state is {@link #UNSEALED} (never sealed, or written since: the crc means
 * nothing), {@link #SEALED} (the crc is that of the chunk's bytes) or {@link #SEALING} (the sealer is computing it;
 * read back as unsealed). A new file is all zeros after its header: every chunk unsealed.
 *
 * <p>Why a crash never leaves a chunk falsely damaged: a writer stores {@link #UNSEALED} before it changes a byte of a
 * sealed (or sealing) chunk, and the sealer turns {@link #SEALING} into {@link #SEALED} only with a compare-and-set, after
 * storing the crc; so a chunk reads as sealed only if no write started between the sealer's check and its seal. Writes
 * land in the page cache, which outlives the process: this covers a killed process. An operating-system crash may
 * write the data and sums pages back in any order, and is not covered.
 *
 * <p>Why the sealer never seals a chunk mid-write: per chunk, {@link #activity} counts writers in progress (low 32
 * bits) and writes begun (high 32 bits); a writer adds one to both before writing and takes one off the first after.
 * The sealer reads the count, marks the chunk sealing, and goes on only if no writer is in progress and none began
 * since; whatever it then reads is the chunk as last written. A writer that begins later sees the sealing mark (the
 * count and the mark are both volatile, so one of the two sees the other) and clears it, which fails the seal.
 */
final class ChunkSums {
    static final int HEADER_BYTES = 16;
    static final int ENTRY_BYTES = 8;
    static final int UNSEALED = 0;
    static final int SEALED = 1;
    static final int SEALING = 2;
    private static final int MAGIC = 0x53434d52; // "RMCS" read little-endian
    private static final short VERSION = 1;
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle STATE = LE_INT.varHandle();
    /** One more writer in progress, one more write begun. */
    private static final long BEGIN = (1L << 32) | 1;

    private final MemorySegment file;
    private final int chunks;
    private final AtomicLongArray activity;
    /**
     * For the sealer alone: per chunk, the writes begun (high 32 bits) when it last saw that count change, and when
     * (low 32 bits, milliseconds of its clock). A chunk is quiet once the count has stayed put for long enough.
     */
    private final long[] seen;
    /** Set by writers, cleared by the sealer: whether any chunk may be left to seal, so quiet slabs cost nothing. */
    private volatile boolean unsealedWork = true;

    /** Over {@code file}, a mapped sums file for {@code chunks} chunks whose header is valid. */
    ChunkSums(MemorySegment file, int chunks) {
        if (file.byteSize() < fileBytes(chunks)) {
            throw new IllegalArgumentException("sums file of " + file.byteSize() + " bytes for " + chunks + " chunks");
        }
        this.file = file;
        this.chunks = chunks;
        this.activity = new AtomicLongArray(chunks);
        this.seen = new long[chunks];
    }

    static long fileBytes(int chunks) {
        return HEADER_BYTES + (long) chunks * ENTRY_BYTES;
    }

    /** Writes the header of a new sums file; its entries must be zeros (a fresh file's are). */
    static void format(MemorySegment file, int chunks) {
        file.set(LE_INT, 0, MAGIC);
        file.set(LE_SHORT, 4, VERSION);
        file.set(LE_SHORT, 6, (short) 0);
        file.set(LE_INT, 8, chunks);
        file.set(LE_INT, 12, headerCrc(file));
    }

    /** Why the header of {@code file} does not describe a sums file for {@code chunks} chunks, or null if it does. */
    static String checkHeader(MemorySegment file, int chunks) {
        if (file.byteSize() != fileBytes(chunks)) {
            return "it has " + file.byteSize() + " bytes, not " + fileBytes(chunks);
        }
        if (file.get(LE_INT, 12) != headerCrc(file)) {
            return "its header checksum does not match";
        }
        if (file.get(LE_INT, 0) != MAGIC || file.get(LE_SHORT, 4) != VERSION || file.get(LE_SHORT, 6) != 0) {
            return "its magic number or format version is wrong";
        }
        int n = file.get(LE_INT, 8);
        return n == chunks ? null : "it is for " + n + " chunks, not " + chunks;
    }

    private static int headerCrc(MemorySegment file) {
        CRC32C crc = new CRC32C();
        crc.update(file.asSlice(0, 12).toArray(ValueLayout.JAVA_BYTE));
        return (int) crc.getValue();
    }

    int chunks() {
        return chunks;
    }

    // ------------------------------------------------------------------ writers (the hot path)

    /**
     * Call before changing any byte of {@code chunk}; {@link #endWrite} after, always. Two atomic additions per chunk
     * written, and a store into the sums file only when the chunk was sealed.
     */
    void beginWrite(int chunk) {
        activity.getAndAdd(chunk, BEGIN);
        long at = stateAt(chunk);
        if ((int) STATE.getVolatile(file, at) != UNSEALED) {
            STATE.setVolatile(file, at, UNSEALED);
            VarHandle.storeStoreFence(); // the mark reaches memory before any byte of the write
        }
        if (!unsealedWork) {
            unsealedWork = true;
        }
    }

    void endWrite(int chunk) {
        activity.getAndAdd(chunk, -1);
    }

    // ------------------------------------------------------------------ the sealer and verifiers

    int state(int chunk) {
        return (int) STATE.getVolatile(file, stateAt(chunk));
    }

    /** Takes the hint that writes happened since the last call; the sealer calls this at the start of a pass. */
    boolean takeUnsealedWork() {
        if (!unsealedWork) {
            return false;
        }
        unsealedWork = false;
        return true;
    }

    /** The sealer left a chunk unsealed: look again next pass. */
    void keepUnsealedWork() {
        unsealedWork = true;
    }

    /**
     * Seals {@code chunk}, whose bytes are {@code data}, if no write has begun on it for {@code quietMillis} (by the
     * sealer's clock, {@code nowMillis}). Call from one thread only. Returns whether the chunk is sealed now.
     */
    boolean sealIfQuiet(int chunk, MemorySegment data, long nowMillis, long quietMillis, Summer summer) {
        int state = state(chunk);
        if (state == SEALED) {
            return true;
        }
        long before = activity.get(chunk);
        int begun = (int) (before >>> 32);
        long last = seen[chunk];
        if ((int) before != 0 || begun != (int) (last >>> 32)) {
            seen[chunk] = (long) begun << 32 | (nowMillis & 0xFFFF_FFFFL);
            return false;
        }
        // A count that never moved reads as seen at time 0: true enough, as no write began before the sealer started.
        // The 32-bit clock wraps every 49 days, which at worst delays a seal: the protocol, not the wait, keeps it safe.
        if (((int) nowMillis - (int) last & 0xFFFF_FFFFL) < quietMillis) {
            return false;
        }
        return seal(chunk, data, before, summer);
    }

    /** Seals now if no write is in progress; for tests of the protocol itself. */
    boolean sealNow(int chunk, MemorySegment data, Summer summer) {
        long before = activity.get(chunk);
        return (int) before == 0 && seal(chunk, data, before, summer);
    }

    private boolean seal(int chunk, MemorySegment data, long before, Summer summer) {
        long at = stateAt(chunk);
        STATE.setVolatile(file, at, SEALING);
        if (activity.get(chunk) != before) { // a write began before it could see the mark
            STATE.compareAndSet(file, at, SEALING, UNSEALED);
            return false;
        }
        file.set(LE_INT, at - Integer.BYTES, summer.sum(data));
        // Fails if a writer cleared the mark: then the crc above may describe bytes half written.
        return STATE.compareAndSet(file, at, SEALING, SEALED);
    }

    /** What checking a chunk against its sum found. */
    enum Check {
        /** Sealed, and its bytes match the crc. */
        GOOD,
        /** Not sealed: nothing to check. */
        UNSEALED,
        /** Written while being checked: check again later. */
        BUSY,
        /** Sealed, and its bytes do not match the crc: the data (or its crc) is damaged. */
        MISMATCH,
        /** The state word is none of the states: the sums file is damaged. */
        BAD_ENTRY
    }

    /** Checks {@code chunk}, whose bytes are {@code data}, against its sum. Safe against concurrent writers. */
    Check verify(int chunk, MemorySegment data, Summer summer) {
        long before = activity.get(chunk);
        if ((int) before != 0) {
            return Check.BUSY;
        }
        long at = stateAt(chunk);
        int state = (int) STATE.getVolatile(file, at);
        if (state == UNSEALED || state == SEALING) {
            return Check.UNSEALED;
        }
        if (state != SEALED) {
            return Check.BAD_ENTRY;
        }
        int expected = file.get(LE_INT, at - Integer.BYTES);
        if (summer.sum(data) == expected) {
            return Check.GOOD;
        }
        VarHandle.acquireFence(); // the bytes summed above were read before the re-check below
        if (activity.get(chunk) != before || (int) STATE.getVolatile(file, at) != SEALED) {
            return Check.BUSY; // a write raced the check: its bytes, not damage, explain the difference
        }
        return Check.MISMATCH;
    }

    /**
     * Computes chunk checksums for one thread. The chunk is copied out first: summing the mapping in place would pin
     * the slab's arena for the whole computation (a checksum over a direct buffer acquires its memory), so a concurrent
     * delete would fail to close it, where a copy races a delete safely (the copy fails instead).
     */
    static final class Summer {
        private final CRC32C crc = new CRC32C();
        private final byte[] bytes = new byte[(int) Slab.CHUNK_SIZE];
        private final MemorySegment scratch = MemorySegment.ofArray(bytes);

        int sum(MemorySegment data) {
            int n = (int) data.byteSize();
            MemorySegment.copy(data, 0, scratch, 0, n);
            crc.reset();
            crc.update(bytes, 0, n);
            return (int) crc.getValue();
        }
    }

    private static long stateAt(int chunk) {
        return HEADER_BYTES + (long) chunk * ENTRY_BYTES + Integer.BYTES;
    }
}
