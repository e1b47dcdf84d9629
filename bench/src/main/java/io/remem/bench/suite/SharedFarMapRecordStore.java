package io.remem.bench.suite;

import io.remem.client.FarMemory;
import io.remem.collections.Codec;
import io.remem.collections.FarMap;
import io.remem.collections.SharedFarMap;

/**
 * YCSB's records in a {@link SharedFarMap} opened by name, so that every JVM that opens the same name works on the
 * same records. A read is one validated read of the key's bucket; a field update is one {@code computeIfPresent},
 * which changes the record while this runtime holds the bucket and commits it: atomic across JVMs, and an update of a
 * record that is not there stays a no-op rather than an insert.
 */
final class SharedFarMapRecordStore implements RecordStore {
    private final RecordShape shape;
    private final SharedFarMap<String, byte[]> map;

    /** Opens {@code name}, creating it with {@code bytes} of buckets if no runtime has yet. */
    SharedFarMapRecordStore(FarMemory memory, String name, RecordShape shape, long bytes) {
        this.shape = shape;
        this.map = FarMap.open(memory, name, Codec.utf8(), Codec.bytes(), bytes);
    }

    @Override
    public RecordShape shape() {
        return shape;
    }

    @Override
    public void insert(String key, byte[] record) {
        map.put(key, record);
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

    @Override
    public boolean delete(String key) {
        return map.remove(key) != null;
    }

    /** This runtime's use of the map ends; the records stay for the other JVMs until the dataset is deleted. */
    @Override
    public void close() {
        map.close();
    }
}
