package io.remem.bench.suite;

import com.hazelcast.map.IMap;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/** YCSB records as an {@code IMap<String, byte[]>}; a field update is an {@link UpdateIfPresent} on the member. */
final class HazelcastRecordStore implements RecordStore {
    private final IMap<String, byte[]> map;
    private final RecordShape shape;
    private final int recordBytes;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    HazelcastRecordStore(IMap<String, byte[]> map, RecordShape shape, Runnable onClose) {
        this.map = map;
        this.shape = shape;
        this.recordBytes = shape.recordBytes();
        this.onClose = onClose;
    }

    @Override
    public RecordShape shape() {
        return shape;
    }

    /** The caller may reuse {@code record} at once: set serializes it before it returns. */
    @Override
    public void insert(String key, byte[] record) {
        if (record.length != recordBytes) {
            throw new IllegalArgumentException("record of " + record.length + " bytes, shape says " + recordBytes);
        }
        map.set(key, record);
    }

    /** The array got may be the near cache's own: copied, never handed out. */
    @Override
    public boolean read(String key, byte[] dst) {
        byte[] record = map.get(key);
        if (record == null) {
            return false;
        }
        System.arraycopy(record, 0, dst, 0, recordBytes);
        return true;
    }

    @Override
    public boolean update(String key, int offset, byte[] bytes) {
        Objects.checkFromIndexSize(offset, bytes.length, recordBytes);
        return map.executeOnKey(key, new UpdateIfPresent(offset, bytes));
    }

    @Override
    public boolean delete(String key) {
        return map.remove(key) != null;
    }

    IMap<String, byte[]> map() {
        return map;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            map.destroy();
            onClose.run();
        }
    }
}
