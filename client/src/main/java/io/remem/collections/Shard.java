package io.remem.collections;

import io.remem.client.FarSegment;
import io.remem.protocol.MapLayout;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.locks.StampedLock;

import static io.remem.protocol.MapLayout.OUT_OF_LINE;
import static io.remem.protocol.MapLayout.SLOT_BYTES;

/**
 * One shard of a {@link FarMap}: a far region laid out exactly as {@link MapLayout} says (slots, then an entry heap
 * bump-allocated from {@code 16 * capacity}), and what the client keeps about it locally: its geometry, the heap top,
 * garbage and live counts, the out-of-line entries it owns, and its lock.
 *
 * <p>A shard covers the hashes whose top {@link #depth} bits are {@link #prefix}. Its geometry never changes: a
 * rebuild (compaction, growth or split) makes new shards and retires this one. Every method expects the caller to
 * hold {@link #lock}: the read lock for lookups, the write lock for changes.
 *
 * <p>Inline entries start 8-aligned and take {@link #pad}(entryBytes) bytes of heap, so an entry's header and key
 * are read with aligned 8-byte accesses that never straddle two cache blocks.
 */
final class Shard {
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** Little-endian longs in a byte array, for local images of regions and for comparing keys 8 bytes at a time. */
    static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** An entry too big to sit inline: its own allocation (an entry, as in a region), and its key's hash. */
    record OutOfLine(FarSegment segment, long hash) {
        long ref() {
            return segment.address() | OUT_OF_LINE;
        }
    }

    /** The live entries of a shard, read from a local image of its region (see {@link #live}). */
    record Live(int n, long[] hash, long[] ref, int[] bytes) {}

    /** Entries copied out for an iterator: keys and values (null for out-of-line values, read later). */
    record Batch(int n, long[] hash, byte[][] keys, byte[][] values) {
        static final Batch EMPTY = new Batch(0, new long[0], new byte[0][], new byte[0][]);
    }

    final StampedLock lock = new StampedLock();
    final int depth;
    final long prefix;
    final FarSegment region;
    final int regionBytes;
    final int capacity;
    /** Most live entries before a rebuild: 3/4 of the slots, so at least one slot is always empty. */
    final int maxCount;
    final int heapStart;
    int heapTop;
    /** Heap bytes held by entries that were replaced or removed. */
    int garbage;
    /** Live entries, inline and out of line. */
    int count;
    /** The out-of-line entries this shard owns, by far address; null while there are none. */
    HashMap<Long, OutOfLine> outOfLine;
    /** Replaced by a rebuild, or freed by close: take the directory's word for the key's shard again. */
    boolean retired;
    /** Written since it was last forced to the memory nodes; set under the write lock, cleared by whoever forces. */
    volatile boolean dirty = true;

    Shard(int depth, long prefix, FarSegment region, int capacity, int heapTop, int count,
          HashMap<Long, OutOfLine> outOfLine) {
        this.depth = depth;
        this.prefix = prefix;
        this.region = region;
        this.regionBytes = (int) region.byteSize();
        this.capacity = capacity;
        this.maxCount = capacity / 4 * 3;
        this.heapStart = capacity * SLOT_BYTES;
        this.heapTop = heapTop;
        this.count = count;
        this.outOfLine = outOfLine;
    }

    /** The region, laid out as {@link MapLayout} says; for a near path, which reads it on the memory node. */
    FarSegment region() {
        return region;
    }

    /** The number of slots at the start of the region (a power of two); for a near path. */
    int capacity() {
        return capacity;
    }

    /**
     * Whether the region or this shard's out-of-line entries were written since the shard was last marked clean, so
     * the memory nodes may not have its latest contents yet. A new shard starts dirty.
     */
    boolean isDirty() {
        return dirty;
    }

    /**
     * Marks the shard clean. Call it only once its writes are known to be on the memory node (forced out, or the
     * cache has nothing unwritten of the region), under the shard's read lock: no write can run then, and a reader
     * that finds the shard clean must be able to trust the memory node.
     */
    void markClean() {
        dirty = false;
    }

    static int pad(int bytes) {
        return (bytes + 7) & ~7;
    }

    /** The first hash of this shard's range. */
    long rangeStart() {
        return depth == 0 ? 0 : prefix << (64 - depth);
    }

    /** The first hash after this shard's range; 0 when the range runs to the top of the hash space. */
    long rangeEnd() {
        return depth == 0 ? 0 : (prefix + 1) << (64 - depth);
    }

    // ---------------------------------------------------------------------------------------------- slots

    long ref(int slot) {
        return region.get(LONG, (long) slot * SLOT_BYTES + MapLayout.SLOT_REF);
    }

    /** The slot's tag (low 32 bits) and entry size (high 32 bits), as one little-endian long. */
    long meta(int slot) {
        return region.get(LONG, (long) slot * SLOT_BYTES + MapLayout.SLOT_TAG);
    }

    static long meta(long hash, int entryBytes) {
        return (MapLayout.tag(hash) & 0xFFFF_FFFFL) | ((long) entryBytes << 32);
    }

    static int entryBytes(long meta) {
        return (int) (meta >>> 32);
    }

    void setSlot(int slot, long ref, long meta) {
        long at = (long) slot * SLOT_BYTES;
        region.set(LONG, at + MapLayout.SLOT_TAG, meta);
        region.set(LONG, at + MapLayout.SLOT_REF, ref);
        dirty = true;
    }

    /**
     * The slot that holds {@code key}, or {@code -(slot + 1)} for the empty slot where the probe for it stopped. Reads
     * slots from the key's home on, and an entry only when its slot's tag matches.
     */
    int find(byte[] key, long hash) {
        int mask = capacity - 1;
        int tag = MapLayout.tag(hash);
        for (int i = MapLayout.homeSlot(hash, capacity); ; i = (i + 1) & mask) {
            long ref = ref(i);
            if (ref == 0) {
                return -i - 1;
            }
            if ((int) meta(i) == tag && keyEquals(ref, key)) {
                return i;
            }
        }
    }

    /** {@link #findCached}'s answer when a slot or entry it needs is not in the local cache. */
    static final int NOT_CACHED = Integer.MIN_VALUE;

    /**
     * {@link #find} if every slot and entry it reads is in the local cache now, so it costs no round trip; otherwise
     * {@link #NOT_CACHED}, having read only cached bytes. (A block evicted between the check and the read is
     * fetched again: slower, still correct.)
     */
    int findCached(byte[] key, long hash) {
        int mask = capacity - 1;
        int tag = MapLayout.tag(hash);
        for (int i = MapLayout.homeSlot(hash, capacity); ; i = (i + 1) & mask) {
            if (!region.isLoaded((long) i * SLOT_BYTES, SLOT_BYTES)) {
                return NOT_CACHED;
            }
            long ref = ref(i);
            if (ref == 0) {
                return -i - 1;
            }
            long meta = meta(i);
            if ((int) meta == tag) {
                if (!entryLoaded(ref, entryBytes(meta))) {
                    return NOT_CACHED;
                }
                if (keyEquals(ref, key)) {
                    return i;
                }
            }
        }
    }

    /** Whether the whole entry {@code ref} names is in the local cache now. */
    boolean entryLoaded(long ref, int entryBytes) {
        return segmentOf(ref).isLoaded(offsetOf(ref), entryBytes);
    }

    // ---------------------------------------------------------------------------------------------- entries

    OutOfLine outOfLine(long ref) {
        return outOfLine.get(ref & ~OUT_OF_LINE);
    }

    private FarSegment segmentOf(long ref) {
        return ref < 0 ? outOfLine(ref).segment() : region;
    }

    private static long offsetOf(long ref) {
        return ref < 0 ? 0 : ref;
    }

    boolean keyEquals(long ref, byte[] key) {
        FarSegment seg = segmentOf(ref);
        long off = offsetOf(ref);
        return seg.get(INT, off + MapLayout.ENTRY_KEY_BYTES) == key.length
                && equal(seg, off + MapLayout.ENTRY_HEADER_BYTES, key);
    }

    /** The value bytes of the entry in {@code slot}: one read of the entry's value. */
    byte[] readValue(int slot, int blockSize) {
        return readValueAt(ref(slot), blockSize);
    }

    /** The value bytes of the entry {@code ref} names. */
    byte[] readValueAt(long ref, int blockSize) {
        FarSegment seg = segmentOf(ref);
        long off = offsetOf(ref);
        long header = seg.get(LONG, off);
        int keyBytes = (int) header;
        byte[] value = new byte[(int) (header >>> 32)];
        long at = off + MapLayout.ENTRY_HEADER_BYTES + keyBytes;
        if (value.length > 0) {
            if (((seg.address() + at) & (blockSize - 1)) + value.length > blockSize) {
                seg.prefetch(at, value.length); // several blocks: fetch them together, not one after another
            }
            FarSegment.copy(seg, at, value, 0, value.length);
        }
        return value;
    }

    /** Whether the entry in {@code slot} holds exactly {@code value}. */
    boolean valueEquals(int slot, byte[] value) {
        long ref = ref(slot);
        FarSegment seg = segmentOf(ref);
        long off = offsetOf(ref);
        long header = seg.get(LONG, off);
        return (int) (header >>> 32) == value.length
                && equal(seg, off + MapLayout.ENTRY_HEADER_BYTES + (int) header, value);
    }

    /** Compares far bytes with {@code b}, 8 at a time, without copying them out. */
    static boolean equal(FarSegment seg, long off, byte[] b) {
        int n = b.length;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            if (seg.get(LONG, off + i) != (long) LONGS.get(b, i)) {
                return false;
            }
        }
        for (; i < n; i++) {
            if (seg.get(BYTE, off + i) != b[i]) {
                return false;
            }
        }
        return true;
    }

    static void writeEntry(FarSegment seg, long off, byte[] key, byte[] value) {
        seg.set(LONG, off, (key.length & 0xFFFF_FFFFL) | ((long) value.length << 32));
        FarSegment.copy(key, 0, seg, off + MapLayout.ENTRY_HEADER_BYTES, key.length);
        FarSegment.copy(value, 0, seg, off + MapLayout.ENTRY_HEADER_BYTES + key.length, value.length);
    }

    /** Whether {@code paddedBytes} more fit on the heap. */
    boolean hasRoom(int paddedBytes) {
        return paddedBytes <= regionBytes - heapTop;
    }

    /** Writes an entry at the heap top and returns its offset (its inline ref); the caller checked {@link #hasRoom}. */
    int append(byte[] key, byte[] value) {
        int at = heapTop;
        writeEntry(region, at, key, value);
        heapTop += pad(MapLayout.ENTRY_HEADER_BYTES + key.length + value.length);
        dirty = true;
        return at;
    }

    /** Overwrites the inline entry at {@code ref}, whose old size was {@code oldBytes}, with a no larger one. */
    void overwrite(long ref, int oldBytes, byte[] key, byte[] value) {
        writeEntry(region, ref, key, value);
        garbage += pad(oldBytes) - pad(MapLayout.ENTRY_HEADER_BYTES + key.length + value.length);
        dirty = true;
    }

    void adopt(OutOfLine entry) {
        if (outOfLine == null) {
            outOfLine = new HashMap<>();
        }
        outOfLine.put(entry.segment().address(), entry);
    }

    /**
     * Lets go of the entry at {@code ref} (it was replaced or removed): inline bytes become garbage, and an
     * out-of-line entry's segment is returned for the caller to free once the lock is released.
     */
    FarSegment release(long ref, int entryBytes) {
        if (ref < 0) {
            return outOfLine.remove(ref & ~OUT_OF_LINE).segment();
        }
        garbage += pad(entryBytes);
        return null;
    }

    /**
     * Empties {@code slot} and closes the gap by shifting later entries of its probe run back (Knuth's algorithm R),
     * so lookups that stop at the first empty slot stay right without tombstones. Reads the keys of the entries after
     * it in the run, to know their home slots.
     */
    void deleteSlot(int slot) {
        int mask = capacity - 1;
        int hole = slot;
        for (int j = (slot + 1) & mask; ; j = (j + 1) & mask) {
            long ref = ref(j);
            if (ref == 0) {
                break;
            }
            int home = MapLayout.homeSlot(hashAt(ref), capacity);
            boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!stays) {
                setSlot(hole, ref, meta(j));
                hole = j;
            }
        }
        setSlot(hole, 0, 0);
    }

    /** The hash of the key of the entry at {@code ref}, from far memory (or, out of line, from local metadata). */
    private long hashAt(long ref) {
        if (ref < 0) {
            return outOfLine(ref).hash();
        }
        int keyBytes = region.get(INT, ref + MapLayout.ENTRY_KEY_BYTES);
        long at = ref + MapLayout.ENTRY_HEADER_BYTES;
        long h = KeyHash.FNV_OFFSET;
        int i = 0;
        for (; i + 8 <= keyBytes; i += 8) {
            long w = region.get(LONG, at + i);
            for (int b = 0; b < 64; b += 8) {
                h = (h ^ ((w >>> b) & 0xFF)) * KeyHash.FNV_PRIME;
            }
        }
        for (; i < keyBytes; i++) {
            h = (h ^ (region.get(BYTE, at + i) & 0xFF)) * KeyHash.FNV_PRIME;
        }
        return KeyHash.mix(h);
    }

    /** Forgets every entry (clear): zeroes the slots and returns the out-of-line segments for the caller to free. */
    List<FarSegment> reset() {
        List<FarSegment> segments = new ArrayList<>();
        if (outOfLine != null) {
            for (OutOfLine e : outOfLine.values()) {
                segments.add(e.segment());
            }
            outOfLine = null;
        }
        region.asSlice(0, heapStart).fill((byte) 0);
        heapTop = heapStart;
        garbage = 0;
        count = 0;
        dirty = true;
        return segments;
    }

    /** Every far segment this shard owns, region first, for close. */
    List<FarSegment> segments() {
        List<FarSegment> segments = new ArrayList<>();
        segments.add(region);
        if (outOfLine != null) {
            for (OutOfLine e : outOfLine.values()) {
                segments.add(e.segment());
            }
        }
        return segments;
    }

    // ---------------------------------------------------------------------------------------------- bulk

    /** The used part of the region, {@code [0, heapTop)}, copied out in one read (its blocks fetched together). */
    byte[] image() {
        byte[] img = new byte[heapTop];
        region.prefetch(0, heapTop);
        FarSegment.copy(region, 0, img, 0, heapTop);
        return img;
    }

    /** The live entries, from an {@link #image} of this shard. */
    Live live(byte[] img) {
        long[] hash = new long[count];
        long[] ref = new long[count];
        int[] bytes = new int[count];
        int n = 0;
        for (int i = 0; i < capacity; i++) {
            long r = (long) LONGS.get(img, i * SLOT_BYTES + MapLayout.SLOT_REF);
            if (r == 0) {
                continue;
            }
            ref[n] = r;
            bytes[n] = (int) INTS.get(img, i * SLOT_BYTES + MapLayout.SLOT_ENTRY_BYTES);
            hash[n] = r < 0 ? outOfLine(r).hash() : inlineHash(img, (int) r);
            n++;
        }
        if (n != count) {
            throw new IllegalStateException("shard holds " + n + " entries, expected " + count);
        }
        return new Live(n, hash, ref, bytes);
    }

    private static long inlineHash(byte[] img, int at) {
        int keyBytes = (int) INTS.get(img, at + MapLayout.ENTRY_KEY_BYTES);
        return KeyHash.hash(img, at + MapLayout.ENTRY_HEADER_BYTES, keyBytes);
    }

    /**
     * Copies out the entries whose hash is at least {@code from} (unsigned), unsorted: keys, and values too if asked,
     * except out-of-line values, which are left null for the iterator to read when it gets there.
     */
    Batch collect(long from, boolean withValues) {
        if (count == 0) {
            return Batch.EMPTY;
        }
        byte[] img = image();
        long[] hash = new long[count];
        byte[][] keys = new byte[count][];
        byte[][] values = withValues ? new byte[count][] : null;
        int n = 0;
        for (int i = 0; i < capacity; i++) {
            long r = (long) LONGS.get(img, i * SLOT_BYTES + MapLayout.SLOT_REF);
            if (r == 0) {
                continue;
            }
            long h;
            if (r < 0) {
                OutOfLine e = outOfLine(r);
                h = e.hash();
                if (Long.compareUnsigned(h, from) < 0) {
                    continue;
                }
                FarSegment seg = e.segment();
                byte[] key = new byte[seg.get(INT, MapLayout.ENTRY_KEY_BYTES)];
                FarSegment.copy(seg, MapLayout.ENTRY_HEADER_BYTES, key, 0, key.length);
                keys[n] = key;
            } else {
                int at = (int) r;
                int keyBytes = (int) INTS.get(img, at + MapLayout.ENTRY_KEY_BYTES);
                int keyAt = at + MapLayout.ENTRY_HEADER_BYTES;
                h = KeyHash.hash(img, keyAt, keyBytes);
                if (Long.compareUnsigned(h, from) < 0) {
                    continue;
                }
                keys[n] = Arrays.copyOfRange(img, keyAt, keyAt + keyBytes);
                if (withValues) {
                    int valueBytes = (int) INTS.get(img, at + MapLayout.ENTRY_VALUE_BYTES);
                    values[n] = Arrays.copyOfRange(img, keyAt + keyBytes, keyAt + keyBytes + valueBytes);
                }
            }
            hash[n++] = h;
        }
        return new Batch(n, hash, keys, values);
    }
}
