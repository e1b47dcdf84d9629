package io.remem.collections;

import io.remem.client.FarMemory;
import io.remem.client.FarSegment;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Where a {@link FarList} keeps its encoded elements. Appending is cheap and local: entries go one after another
 * into far chunks, so most additions need no allocation at all, and a sequential scan of a list built in order
 * reads consecutive bytes, which the prefetcher serves best.
 *
 * <p><b>Entries</b>: a little-endian u32 length, then the bytes, padded to a multiple of 4 so the next length never
 * straddles a cache block. Chunks start at 4 KiB and double up to 256 KiB (the largest allocation the allocator
 * serves without a round trip). An entry over a quarter of that gets an allocation of its own, in the same format,
 * freed as soon as its element goes.
 *
 * <p><b>Refs</b>: an element's ref is {@code slot << 32 | big << 31 | sizeLog << 24 | offset}: the slot names the
 * chunk or own allocation in a heap table of far segments, the offset the entry in it, and {@code sizeLog} bounds
 * the entry's size (at most {@code 2^sizeLog} bytes), so a scan can hint whole entries without reading them first.
 *
 * <p><b>Garbage</b>: a replaced or removed element's entry stays in its chunk as garbage. When garbage is more than
 * half of the chunks' entries (and at least {@link #COMPACT_MIN} bytes), {@link #compact} copies the live entries, in
 * list order, into fresh chunks and frees the old ones; each compaction is paid for by at least as many bytes of
 * garbage made since the last one, so its cost per update is constant on average. The unused end of a chunk that was
 * too short for the next entry is not counted (it is shorter than that entry, so at most 64 KiB). Not thread-safe,
 * except that several threads may read at once while nobody writes.
 */
final class FarHeap {
    static final int MIN_CHUNK = 4 << 10;
    static final int MAX_CHUNK = 256 << 10;
    /** Entries longer than this get their own allocation. */
    static final int BIG = MAX_CHUNK / 4;
    static final long COMPACT_MIN = 64 << 10;
    /** Entries this close together are hinted as one range: hinting the bytes between costs less than a request. */
    static final int HINT_GAP = 2 << 10;
    private static final long BIG_FLAG = 1L << 31;
    private static final int SIZE_SHIFT = 24;
    private static final long OFFSET_MASK = (1L << SIZE_SHIFT) - 1;

    private final FarMemory memory;
    private final Window window;
    /** Every live allocation, chunks and big entries, by slot; null for a free slot. */
    private FarSegment[] slots = new FarSegment[8];
    private int slotsUsed;
    private int[] freeSlots = new int[8];
    private int freeSlotCount;
    /** Slots of the chunks, in the order they were started; the last one is appended to. */
    private int[] chunks = new int[8];
    private int chunkCount;
    private long tailOffset;
    private int nextChunkSize = MIN_CHUNK;
    /** Bytes of entries in the chunks, live or garbage. */
    private long chunkBytes;
    private long garbage;

    FarHeap(FarMemory memory, Window window) {
        this.memory = memory;
        this.window = window;
    }

    /** Bytes of entries in chunks, garbage included (big entries are not counted). */
    long chunkBytes() {
        return chunkBytes;
    }

    /** Bytes of chunk entries no element refers to any more. */
    long garbage() {
        return garbage;
    }

    /** Stores {@code data} as a new entry; returns its ref. */
    long append(byte[] data) {
        int len = data.length;
        long size = entrySize(len);
        if (size > BIG) {
            FarSegment own = memory.allocate(4L + len);
            int slot = takeSlot(own);
            writeEntry(own, 0, data);
            return (long) slot << 32 | BIG_FLAG;
        }
        FarSegment tail = chunkCount == 0 ? null : slots[chunks[chunkCount - 1]];
        if (tail == null || tailOffset + size > tail.byteSize()) {
            tail = newChunk((int) size);
        }
        long offset = tailOffset;
        writeEntry(tail, offset, data);
        tailOffset += size;
        chunkBytes += size;
        long sizeLog = 64 - Long.numberOfLeadingZeros(size - 1);
        return (long) chunks[chunkCount - 1] << 32 | sizeLog << SIZE_SHIFT | offset;
    }

    /** The bytes of the entry {@code ref} names. */
    byte[] read(long ref) {
        FarSegment s = slots[slot(ref)];
        long offset = ref & OFFSET_MASK;
        byte[] data = new byte[s.get(Window.INT, offset)];
        window.read(s, offset + 4, MemorySegment.ofArray(data), 0, data.length, ValueLayout.JAVA_BYTE);
        return data;
    }

    /** The element {@code ref} names is gone: its own allocation is freed, a chunk entry becomes garbage. */
    void release(long ref) {
        int slot = slot(ref);
        if ((ref & BIG_FLAG) != 0) {
            slots[slot].free();
            freeSlot(slot);
        } else {
            garbage += entrySize(slots[slot].get(Window.INT, ref & OFFSET_MASK));
        }
    }

    boolean wantsCompaction() {
        return garbage > chunkBytes / 2 && garbage >= COMPACT_MIN;
    }

    /**
     * Copies the live chunk entries of refs {@code [0, size)} of {@code index} into new chunks, in index order, and
     * rewrites those refs; then frees the old chunks. If it fails half way, the entries already copied stay where
     * they are now (their old copies count as garbage) and nothing is lost.
     */
    void compact(RefIndex index, long size) {
        int[] oldChunks = Arrays.copyOf(chunks, chunkCount);
        long oldBytes = chunkBytes;
        long oldGarbage = garbage;
        long moved = 0;
        chunkCount = 0;
        chunkBytes = 0;
        garbage = 0;
        nextChunkSize = Math.clamp(Long.highestOneBit(Math.max(1, oldBytes - oldGarbage)), MIN_CHUNK, MAX_CHUNK);
        try {
            long[] refs = new long[window.elements(3)];
            for (long i = 0; i < size; ) {
                int n = (int) Math.min(refs.length, size - i);
                index.read(i, refs, 0, n);
                long movedHere = 0;
                for (int j = 0; j < n; j++) {
                    if ((refs[j] & BIG_FLAG) == 0) {
                        byte[] data = read(refs[j]);
                        refs[j] = append(data);
                        movedHere += entrySize(data.length);
                    }
                }
                index.write(i, refs, 0, n);
                moved += movedHere;
                i += n;
            }
        } catch (RuntimeException | Error e) {
            int[] newChunks = Arrays.copyOf(chunks, chunkCount);
            chunks = Arrays.copyOf(oldChunks, Math.max(8, oldChunks.length + newChunks.length));
            System.arraycopy(newChunks, 0, chunks, oldChunks.length, newChunks.length);
            chunkCount = oldChunks.length + newChunks.length;
            chunkBytes += oldBytes;
            garbage += oldGarbage + moved;
            throw e;
        }
        for (int slot : oldChunks) {
            slots[slot].free();
            freeSlot(slot);
        }
    }

    /**
     * Hints the entries of {@code refs[from, from + n)} to the prefetcher, at most {@code budget} bytes in all.
     * Entries close together in one chunk (gaps under {@link #HINT_GAP}) are hinted as one range; a big entry from
     * its start.
     */
    void prefetch(long[] refs, int from, int n, long budget) {
        int runSlot = -1;
        long lo = 0;
        long hi = 0;
        for (int i = from; i < from + n && budget > 0; i++) {
            long ref = refs[i];
            int slot = slot(ref);
            long offset = ref & OFFSET_MASK;
            boolean big = (ref & BIG_FLAG) != 0;
            long entryEnd = Math.min(offset + (1L << ((ref >>> SIZE_SHIFT) & 31)), slots[slot].byteSize());
            if (!big && slot == runSlot && offset >= lo && offset <= hi + HINT_GAP) {
                hi = Math.max(hi, entryEnd);
                continue;
            }
            if (runSlot >= 0) {
                budget -= hint(slots[runSlot], lo, hi - lo, budget);
            }
            runSlot = big ? -1 : slot;
            lo = big ? 0 : offset;
            hi = big ? 0 : entryEnd;
            if (big) {
                budget -= hint(slots[slot], 0, slots[slot].byteSize(), budget);
            }
        }
        if (runSlot >= 0) {
            hint(slots[runSlot], lo, hi - lo, budget);
        }
    }

    /** Hints at most {@code budget} bytes from {@code offset}; returns how many it hinted. */
    private static long hint(FarSegment s, long offset, long length, long budget) {
        long n = Math.min(length, budget);
        if (n > 0) {
            s.prefetch(offset, n);
        }
        return n;
    }

    /** Frees every allocation; the heap can be used again afterwards. */
    void clear() {
        for (int slot = 0; slot < slotsUsed; slot++) {
            if (slots[slot] != null) {
                slots[slot].free();
                slots[slot] = null;
            }
        }
        slotsUsed = 0;
        freeSlotCount = 0;
        chunkCount = 0;
        chunkBytes = 0;
        garbage = 0;
        nextChunkSize = MIN_CHUNK;
    }

    private FarSegment newChunk(int entrySize) {
        int size = Math.max(nextChunkSize, Integer.highestOneBit(entrySize - 1) << 1);
        nextChunkSize = Math.min(MAX_CHUNK, size * 2);
        FarSegment chunk = memory.allocate(size);
        int slot = takeSlot(chunk);
        if (chunkCount == chunks.length) {
            chunks = Arrays.copyOf(chunks, chunkCount * 2);
        }
        chunks[chunkCount++] = slot;
        tailOffset = 0;
        return chunk;
    }

    private void writeEntry(FarSegment s, long offset, byte[] data) {
        s.set(Window.INT, offset, data.length);
        window.write(MemorySegment.ofArray(data), 0, s, offset + 4, data.length, ValueLayout.JAVA_BYTE);
    }

    private int takeSlot(FarSegment s) {
        int slot;
        if (freeSlotCount > 0) {
            slot = freeSlots[--freeSlotCount];
        } else {
            if (slotsUsed == slots.length) {
                slots = Arrays.copyOf(slots, slotsUsed * 2);
            }
            slot = slotsUsed++;
        }
        slots[slot] = s;
        return slot;
    }

    private void freeSlot(int slot) {
        slots[slot] = null;
        if (freeSlotCount == freeSlots.length) {
            freeSlots = Arrays.copyOf(freeSlots, freeSlotCount * 2);
        }
        freeSlots[freeSlotCount++] = slot;
    }

    private static int slot(long ref) {
        return (int) (ref >>> 32);
    }

    /** Bytes an entry of {@code len} bytes takes in a chunk: the length word, the bytes, padding to 4. */
    private static long entrySize(int len) {
        return (4L + len + 3) & ~3L;
    }
}
