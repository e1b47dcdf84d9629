package io.remem.bench.suite;

import java.util.concurrent.ConcurrentMap;

/**
 * YCSB's records in one of remem's maps, a {@link ConcurrentMap} of keys to whole records: a read copies the record
 * out, and a field update is a read-modify-write of the whole record, made atomic per key by
 * {@code computeIfPresent} (an update of a record that is not there stays a no-op rather than an insert).
 */
abstract class MapRecordStore implements RecordStore {
    private final RecordShape shape;
    private final ConcurrentMap<String, byte[]> map;

    MapRecordStore(RecordShape shape, ConcurrentMap<String, byte[]> map) {
        this.shape = shape;
        this.map = map;
    }

    @Override
    public RecordShape shape() {
        return shape;
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
            byte[] updated = record.clone(); // the map's decoded copy; cloned so a retry could never see it changed
            System.arraycopy(bytes, 0, updated, offset, bytes.length);
            return updated;
        }) != null;
    }
}
