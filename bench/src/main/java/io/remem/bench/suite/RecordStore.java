package io.remem.bench.suite;

/**
 * Fixed-shape records by key, for the YCSB workloads: each record is {@link RecordShape#recordBytes()} bytes, its
 * fields at fixed offsets, so an update of one field writes only that field. Safe for concurrent use.
 */
public interface RecordStore extends AutoCloseable {
    RecordShape shape();

    /** Stores {@code record} (exactly {@code shape().recordBytes()} long) under {@code key}, replacing any record. */
    void insert(String key, byte[] record);

    /** Reads the whole record into {@code dst}; false if there is none. */
    boolean read(String key, byte[] dst);

    /** Overwrites {@code bytes.length} bytes of the record at {@code offset}; false if there is no record. */
    boolean update(String key, int offset, byte[] bytes);

    /** False if there was no record. */
    boolean delete(String key);

    /** Frees everything the store holds. */
    @Override
    void close();
}
