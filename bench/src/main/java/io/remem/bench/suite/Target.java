package io.remem.bench.suite;

import io.remem.client.CacheStats;

/**
 * One system the suite runs a workload against, as configured for that run: remem with a given cache, a peer
 * (Redis with or without a client-side cache, Hazelcast with or without a near cache), or local memory. Opening a
 * store allocates at the system; closing the store frees it. Closing the target frees its client side
 * (connections, caches).
 */
public interface Target extends AutoCloseable {
    /** Short and unique in a report: "remem 25%", "redis", "redis+csc", "hazelcast+near". */
    String name();

    ArrayStore newArray(long bytes);

    /** Room for at least {@code capacity} records. */
    RecordStore newRecords(RecordShape shape, long capacity);

    /**
     * Called by the workload as its measured period starts ({@code true}) and ends, so that a target which counts
     * what happens (remem's cache statistics) can leave loading, warm-up and checking out.
     */
    default void measuring(boolean on) {}

    /**
     * A client-side cache's counters over the last measured period, for the report's hit-rate column; null for a
     * target that keeps no counters (or before a measured period has ended).
     */
    default CacheStats measuredStats() {
        return null;
    }

    @Override
    void close();
}
