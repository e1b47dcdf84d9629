package io.remem.bench.suite;

import io.remem.client.FarMemory;
import io.remem.collections.Codec;
import io.remem.collections.FarMap;

/**
 * YCSB's records in a private {@link FarMap}: what a remem user writes without designing a far layout of their own.
 * Inserts and deletes use the map's {@code set} and {@code delete}, which do not decode the value they replace.
 */
final class FarMapRecordStore extends MapRecordStore {
    private final FarMap<String, byte[]> map;

    FarMapRecordStore(FarMemory memory, RecordShape shape, long capacity) {
        this(shape, FarMap.create(memory, Codec.utf8(), Codec.bytes(), capacity));
    }

    private FarMapRecordStore(RecordShape shape, FarMap<String, byte[]> map) {
        super(shape, map);
        this.map = map;
    }

    @Override
    public void insert(String key, byte[] record) {
        map.set(key, record);
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
