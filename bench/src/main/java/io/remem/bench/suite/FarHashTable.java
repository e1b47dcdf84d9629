package io.remem.bench.suite;

import io.remem.bench.ZipfGenerator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;

/**
 * A simple hash table of fixed-shape records in an {@link ArrayStore}: open addressing with linear probing, one
 * slot per record, the YCSB binding's store on remem and on local memory until FarMap exists.
 *
 * <p>A slot is a 32-byte header (an 8-byte tag, the key's length and up to 23 key bytes) followed by the record,
 * rounded up to 64 bytes; slots never straddle a 4 KiB page, so a lookup that finds its key at the home slot
 * touches one block. The tag is 0 for empty, 1 for deleted, else the key's hash with the top bit set.
 *
 * <p>Reads take no lock. Updates of one key serialize on its lock stripe; inserts and deletes, which change which
 * slot holds which key, take the table's structure lock (deletes also the stripe), since probe sequences cross
 * stripes. A record is written before its tag, so a reader on this thread, or one that learned of the key after
 * the insert returned (as YCSB's readers do), finds the whole record. A read racing with a delete and the reuse of
 * its slot could see the new record; YCSB's workloads do not delete.
 */
final class FarHashTable implements RecordStore {
    private static final int HEADER = 32;
    private static final int PAGE = 4096;
    private static final long EMPTY = 0;
    private static final long DELETED = 1;
    private static final int STRIPES = 256;

    private final ArrayStore store;
    private final RecordShape shape;
    private final int slotBytes;
    private final int slotsPerPage;
    private final long slots;
    private final ReentrantLock structure = new ReentrantLock();
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final ThreadLocal<MemorySegment> header = ThreadLocal.withInitial(() -> MemorySegment.ofArray(new byte[HEADER]));

    private FarHashTable(ArrayStore store, RecordShape shape, int slotBytes, long slots) {
        this.store = store;
        this.shape = shape;
        this.slotBytes = slotBytes;
        this.slotsPerPage = slotBytes <= PAGE ? PAGE / slotBytes : 0;
        this.slots = slots;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** A table with room for {@code capacity} records at a load factor of at most 0.7. */
    static FarHashTable create(LongFunction<ArrayStore> allocate, RecordShape shape, long capacity) {
        int slotBytes = slotBytes(shape);
        long slots = slotsFor(capacity);
        return new FarHashTable(allocate.apply(bytesFor(slotBytes, slots)), shape, slotBytes, slots);
    }

    /** Bytes a table of this shape and capacity occupies: its footprint. */
    static long footprint(RecordShape shape, long capacity) {
        return bytesFor(slotBytes(shape), slotsFor(capacity));
    }

    /** Header and record, rounded up to whole 64-byte lines. */
    private static int slotBytes(RecordShape shape) {
        return (HEADER + shape.recordBytes() + 63) & ~63;
    }

    private static long slotsFor(long capacity) {
        return Math.max(16, (long) Math.ceil(capacity / 0.7));
    }

    private long home(long tag) {
        return Long.remainderUnsigned(tag, slots);
    }

    private long next(long slot) {
        return slot + 1 == slots ? 0 : slot + 1;
    }

    private static long bytesFor(int slotBytes, long slots) {
        if (slotBytes > PAGE) {
            return slots * slotBytes;
        }
        long perPage = PAGE / slotBytes;
        return (slots + perPage - 1) / perPage * PAGE;
    }

    @Override
    public RecordShape shape() {
        return shape;
    }

    private long slotOffset(long slot) {
        return slotsPerPage == 0 ? slot * slotBytes : slot / slotsPerPage * PAGE + slot % slotsPerPage * slotBytes;
    }

    private static long tag(byte[] key) {
        long h = 0x9E3779B97F4A7C15L;
        for (byte b : key) {
            h = (h ^ b) * 0x100000001B3L;
        }
        return ZipfGenerator.mix(h) | Long.MIN_VALUE;
    }

    private static byte[] keyBytes(String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        if (k.length > RecordShape.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key of " + k.length + " bytes; at most " + RecordShape.MAX_KEY_BYTES);
        }
        return k;
    }

    /** The slot holding {@code key}, or -1. */
    private long find(byte[] key, long tag) {
        MemorySegment h = header.get();
        for (long i = 0, slot = home(tag); i < slots; i++, slot = next(slot)) {
            long off = slotOffset(slot);
            long t = store.getLong(off);
            if (t == EMPTY) {
                return -1;
            }
            if (t == tag && sameKey(off, key, h)) {
                return slot;
            }
        }
        return -1;
    }

    private boolean sameKey(long off, byte[] key, MemorySegment h) {
        store.read(off, h, 0, HEADER);
        if (h.get(ValueLayout.JAVA_BYTE, 8) != key.length) {
            return false;
        }
        for (int i = 0; i < key.length; i++) {
            if (h.get(ValueLayout.JAVA_BYTE, 9 + i) != key[i]) {
                return false;
            }
        }
        return true;
    }

    private ReentrantLock stripe(long tag) {
        return stripes[(int) (tag & (STRIPES - 1))];
    }

    @Override
    public void insert(String key, byte[] record) {
        if (record.length != shape.recordBytes()) {
            throw new IllegalArgumentException("record of " + record.length + " bytes; the shape has " + shape.recordBytes());
        }
        byte[] k = keyBytes(key);
        long tag = tag(k);
        structure.lock();
        try {
            long slot = find(k, tag);
            if (slot < 0) {
                slot = freeSlot(tag);
            }
            long off = slotOffset(slot);
            store.write(off + HEADER, MemorySegment.ofArray(record), 0, record.length);
            MemorySegment h = MemorySegment.ofArray(new byte[HEADER]);
            h.set(ValueLayout.JAVA_BYTE, 8, (byte) k.length);
            MemorySegment.copy(MemorySegment.ofArray(k), 0, h, 9, k.length);
            store.write(off + 8, h, 8, HEADER - 8);
            store.setLong(off, tag); // last: a reader that matches the tag finds key and record in place
        } finally {
            structure.unlock();
        }
    }

    private long freeSlot(long tag) {
        for (long i = 0, slot = home(tag); i < slots; i++, slot = next(slot)) {
            long t = store.getLong(slotOffset(slot));
            if (t == EMPTY || t == DELETED) {
                return slot;
            }
        }
        throw new IllegalStateException("hash table full: " + slots + " slots");
    }

    @Override
    public boolean read(String key, byte[] dst) {
        byte[] k = keyBytes(key);
        long slot = find(k, tag(k));
        if (slot < 0) {
            return false;
        }
        store.read(slotOffset(slot) + HEADER, MemorySegment.ofArray(dst), 0, shape.recordBytes());
        return true;
    }

    @Override
    public boolean update(String key, int offset, byte[] bytes) {
        if (offset < 0 || offset + bytes.length > shape.recordBytes()) {
            throw new IndexOutOfBoundsException("update of " + bytes.length + " bytes at " + offset + " in a record of "
                    + shape.recordBytes());
        }
        byte[] k = keyBytes(key);
        long tag = tag(k);
        ReentrantLock lock = stripe(tag);
        lock.lock();
        try {
            long slot = find(k, tag);
            if (slot < 0) {
                return false;
            }
            store.write(slotOffset(slot) + HEADER + offset, MemorySegment.ofArray(bytes), 0, bytes.length);
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean delete(String key) {
        byte[] k = keyBytes(key);
        long tag = tag(k);
        structure.lock();
        ReentrantLock lock = stripe(tag);
        lock.lock();
        try {
            long slot = find(k, tag);
            if (slot < 0) {
                return false;
            }
            store.setLong(slotOffset(slot), DELETED);
            return true;
        } finally {
            lock.unlock();
            structure.unlock();
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
