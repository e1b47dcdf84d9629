package io.remem.bench.suite;

import io.remem.client.FarMemory;
import io.remem.collections.Codec;
import io.remem.collections.FarMap;

/**
 * YCSB's records in a {@link FarMap}: what a remem user writes without designing a far layout of their own. A field
 * update is a read-modify-write of the whole record, made atomic per key by {@code computeIfPresent}.
 */
final class FarMapRecordStore implements RecordStore {
    private final RecordShape shape;
    private final FarMap<String, byte[]> map;

    FarMapRecordStore(FarMemory memory, RecordShape shape, long capacity) {
        this.shape = shape;
        this.map = FarMap.create(memory, Codec.utf8(), Codec.bytes(), capacity);
    }

    @Override
    public RecordShape shape() {
        return shape;
    }

    @Override
    public void insert(String key, byte[] record) {
        map.set(key, record);
    }

    @Override
    public boolean read(String key, byte[] dst) {
        byte[] record = map.get(key);
        if (record == null) {
            return false;
        }
        System.arraycopy(record, 0, dst, 0, Math.min(record.length, dst.length));
        return true;
    }

    @Override
    public boolean update(String key, int offset, byte[] bytes) {
        return map.computeIfPresent(key, (k, record) -> {
            byte[] updated = record.clone();
            System.arraycopy(bytes, 0, updated, offset, bytes.length);
            return updated;
        }) != null;
    }

    @Override
    public boolean delete(String key) {
        return map.delete(key);
    }

    @Override
    public void close() {
        map.close();
    }
}
