package io.remem.bench.suite;

import io.remem.client.FarMemory;
import io.remem.collections.Codec;
import io.remem.collections.FarMap;
import io.remem.collections.SharedFarMap;

/**
 * YCSB's records in a {@link SharedFarMap} opened by name, so that every JVM that opens the same name works on the
 * same records. A read is one validated read of the key's bucket; a field update holds the bucket while it changes
 * the record and commits it, so it is atomic across JVMs.
 */
final class SharedFarMapRecordStore extends MapRecordStore {
    private final SharedFarMap<String, byte[]> map;

    /** Opens {@code name}, creating it with {@code bytes} of buckets if no runtime has yet. */
    SharedFarMapRecordStore(FarMemory memory, String name, RecordShape shape, long bytes) {
        this(shape, FarMap.open(memory, name, Codec.utf8(), Codec.bytes(), bytes));
    }

    private SharedFarMapRecordStore(RecordShape shape, SharedFarMap<String, byte[]> map) {
        super(shape, map);
        this.map = map;
    }

    @Override
    public void insert(String key, byte[] record) {
        map.put(key, record);
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
