package io.remem.client;

/**
 * What the local cache has done since the session opened: the figures docs/design.md ("Statistics") describes
 * researchers. Take two snapshots and {@link #minus} them for an interval.
 *
 * @param hits              accesses served from the cache
 * @param misses            accesses that fetched (or zero-filled) a block, or waited for another thread's fetch
 * @param zeroFills         misses on never-written blocks, served without a round trip
 * @param bytesFetched      bytes read from memory nodes
 * @param bytesWrittenBack  bytes written to memory nodes (dirty lines only)
 * @param bytesDirtied      bytes the application wrote (every write counts, rewrites included)
 * @param evictions         blocks evicted
 * @param evictionStalls    times a miss found no free frame and had to wait for the reclaimer
 * @param stallNanos        total time misses spent in such waits
 * @param writeBackRounds   write-back batches acknowledged
 * @param writeBackFailures write-back batches that failed (their lines stayed dirty and were retried)
 * @param missNanos         total time spent in misses, measured on every miss
 * @param hitNanos          time of one hit, measured by the runtime's own calibration loop; -1 until measured
 * @param prefetchesIssued  blocks fetched ahead of use (trends and hints)
 * @param prefetchesUsed    prefetched blocks that were then used, including late ones
 * @param prefetchesLate    of those, used while still in flight: the access waited, but less
 * @param prefetchesWasted  prefetched blocks evicted without being used
 * @param piggybacks        dirty victims written back in the same request as a fetch (inline reclaim only)
 */
public record CacheStats(long hits, long misses, long zeroFills, long bytesFetched, long bytesWrittenBack,
                         long bytesDirtied, long evictions, long evictionStalls, long stallNanos,
                         long writeBackRounds, long writeBackFailures, long missNanos, double hitNanos,
                         long prefetchesIssued, long prefetchesUsed, long prefetchesLate, long prefetchesWasted,
                         long piggybacks) {

    public long accesses() {
        return hits + misses;
    }

    /** Fraction of accesses that hit; 0 with no accesses. */
    public double hitRate() {
        long a = accesses();
        return a == 0 ? 0 : (double) hits / a;
    }

    /** Mean time of a miss in nanoseconds; 0 with no misses. */
    public double meanMissNanos() {
        return misses == 0 ? 0 : (double) missNanos / misses;
    }

    /** Average memory access time: hit rate times hit time plus miss rate times mean miss time. */
    public double amatNanos() {
        long a = accesses();
        if (a == 0) {
            return 0;
        }
        return (hits * Math.max(0, hitNanos) + (double) missNanos) / a;
    }

    /** Bytes written back per byte the application wrote (Kona's dirty amplification); 0 before any write. */
    public double dirtyAmplification() {
        return bytesDirtied == 0 ? 0 : (double) bytesWrittenBack / bytesDirtied;
    }

    /** Prefetched blocks that were used, per prefetched block; 0 before any prefetch (Leap's accuracy). */
    public double prefetchAccuracy() {
        return prefetchesIssued == 0 ? 0 : Math.min(1.0, (double) prefetchesUsed / prefetchesIssued);
    }

    /**
     * Accesses a prefetch served (fully or in part), per access that needed a fetch: prefetch hits over prefetch hits
     * plus demand misses that no prefetch covered (Leap's coverage); 0 with neither.
     */
    public double prefetchCoverage() {
        long uncovered = misses - prefetchesLate;
        long covered = prefetchesUsed;
        return covered + uncovered <= 0 ? 0 : (double) covered / (covered + uncovered);
    }

    /** The activity between {@code earlier} and this snapshot. */
    public CacheStats minus(CacheStats earlier) {
        return new CacheStats(hits - earlier.hits, misses - earlier.misses, zeroFills - earlier.zeroFills,
                bytesFetched - earlier.bytesFetched, bytesWrittenBack - earlier.bytesWrittenBack,
                bytesDirtied - earlier.bytesDirtied, evictions - earlier.evictions,
                evictionStalls - earlier.evictionStalls, stallNanos - earlier.stallNanos,
                writeBackRounds - earlier.writeBackRounds, writeBackFailures - earlier.writeBackFailures,
                missNanos - earlier.missNanos, hitNanos,
                prefetchesIssued - earlier.prefetchesIssued, prefetchesUsed - earlier.prefetchesUsed,
                prefetchesLate - earlier.prefetchesLate, prefetchesWasted - earlier.prefetchesWasted,
                piggybacks - earlier.piggybacks);
    }
}
