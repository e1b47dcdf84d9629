package io.remem.bench.suite;

import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.Status;

import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.Vector;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * YCSB's DB binding over a {@link RecordStore}: one instance per client thread, as YCSB makes them. Fields are
 * {@code field0..fieldN} at fixed offsets of the record, so an update writes only its field. Scans (workload E)
 * walk an ordered index of the keys kept in local memory, the same for every store, and read each record.
 */
final class YcsbBinding extends DB {
    private final RecordStore store;
    private final NavigableSet<String> keys;
    private final LongAdder errors;
    private final AtomicLong inserted;
    private final Map<String, Integer> fieldIndex;
    private final String[] fieldNames;

    YcsbBinding(RecordStore store, NavigableSet<String> keys, LongAdder errors, AtomicLong inserted) {
        this.store = store;
        this.keys = keys;
        this.errors = errors;
        this.inserted = inserted;
        int n = store.shape().fieldCount();
        this.fieldNames = new String[n];
        this.fieldIndex = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) {
            fieldNames[i] = "field" + i;
            fieldIndex.put(fieldNames[i], i);
        }
    }

    private Status error() {
        errors.increment();
        return Status.ERROR;
    }

    @Override
    public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        byte[] record = new byte[store.shape().recordBytes()];
        if (!store.read(key, record)) {
            return error(); // YCSB reads only keys it inserted: a miss is lost data
        }
        int len = store.shape().fieldLength();
        if (fields == null) {
            for (int i = 0; i < fieldNames.length; i++) {
                result.put(fieldNames[i], new ByteArrayByteIterator(record, i * len, len));
            }
        } else {
            for (String f : fields) {
                Integer i = fieldIndex.get(f);
                if (i == null) {
                    return error();
                }
                result.put(f, new ByteArrayByteIterator(record, i * len, len));
            }
        }
        return Status.OK;
    }

    @Override
    public Status scan(String table, String startKey, int count, Set<String> fields,
                       Vector<HashMap<String, ByteIterator>> result) {
        int n = 0;
        for (String key : keys.tailSet(startKey, true)) {
            if (n++ == count) {
                break;
            }
            HashMap<String, ByteIterator> row = new HashMap<>();
            Status s = read(table, key, fields, row);
            if (!s.isOk()) {
                return s;
            }
            result.add(row);
        }
        return Status.OK;
    }

    @Override
    public Status update(String table, String key, Map<String, ByteIterator> values) {
        int len = store.shape().fieldLength();
        for (Map.Entry<String, ByteIterator> e : values.entrySet()) {
            Integer i = fieldIndex.get(e.getKey());
            byte[] bytes = e.getValue().toArray();
            if (i == null || bytes.length != len) {
                return error();
            }
            if (!store.update(key, i * len, bytes)) {
                return error();
            }
        }
        return Status.OK;
    }

    @Override
    public Status insert(String table, String key, Map<String, ByteIterator> values) {
        int len = store.shape().fieldLength();
        byte[] record = new byte[store.shape().recordBytes()];
        if (values.size() != fieldNames.length) {
            return error();
        }
        for (Map.Entry<String, ByteIterator> e : values.entrySet()) {
            Integer i = fieldIndex.get(e.getKey());
            byte[] bytes = e.getValue().toArray();
            if (i == null || bytes.length != len) {
                return error();
            }
            System.arraycopy(bytes, 0, record, i * len, len);
        }
        store.insert(key, record);
        keys.add(key);
        inserted.incrementAndGet();
        return Status.OK;
    }

    @Override
    public Status delete(String table, String key) {
        keys.remove(key);
        return store.delete(key) ? Status.OK : error();
    }
}
