package io.remem.bench.suite;

import java.lang.foreign.MemorySegment;

/**
 * A byte array of fixed size held by the system under test: remem's far memory, local memory, or a peer's server.
 * The array workloads (random, scan, pagerank) run against this and nothing else, so each system runs the very
 * same code. Safe for concurrent use by the workload's threads. A new array reads as zeros.
 */
public interface ArrayStore extends AutoCloseable {
    long byteSize();

    /** Copies {@code length} bytes at {@code offset} into {@code dst} at {@code dstOffset}. */
    void read(long offset, MemorySegment dst, long dstOffset, int length);

    /** Copies {@code length} bytes of {@code src} at {@code srcOffset} to {@code offset}. */
    void write(long offset, MemorySegment src, long srcOffset, int length);

    long getLong(long offset);

    void setLong(long offset, long value);

    /**
     * {@code out[i] = getLong(offsets[i])} for every {@code i < count}: a graph kernel's gather. A store with
     * round trips per access fetches them as well as it can (pipelined, batched by chunk; remem overlaps the
     * window's misses); the default reads them one by one, which is right for local memory.
     */
    default void gather(long[] offsets, int count, long[] out) {
        for (int i = 0; i < count; i++) {
            out[i] = getLong(offsets[i]);
        }
    }

    /** Makes every completed write visible at the far side (remem's write-back); write-through stores do nothing. */
    default void flush() {}

    /** Frees the array. */
    @Override
    void close();
}
