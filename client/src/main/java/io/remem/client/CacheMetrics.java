package io.remem.client;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * What the local cache counts, shared by its parts: each adds to its own figures here, and {@link #stats} reads them
 * all at once. Hits, misses and bytes dirtied are counted per thread ({@link AccessCounters}), since the hit path
 * counts every access; everything else is rare enough for a {@link LongAdder}.
 */
final class CacheMetrics {
    final AccessCounters counters = new AccessCounters();
    final LongAdder bytesFetched = new LongAdder();
    final LongAdder zeroFills = new LongAdder();
    final LongAdder missNanos = new LongAdder();
    final LongAdder bytesWrittenBack = new LongAdder();
    final LongAdder writeBacks = new LongAdder();
    final LongAdder writeBackFailures = new LongAdder();
    final LongAdder piggybacks = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder stalls = new LongAdder();
    final LongAdder stallNanos = new LongAdder();
    final LongAdder prefetchesIssued = new LongAdder();
    final LongAdder prefetchesUseful = new LongAdder();
    final LongAdder prefetchesLate = new LongAdder();
    final LongAdder prefetchesWasted = new LongAdder();

    /** @param hitNanos the hit time measured last, -1 before the first measurement */
    CacheStats stats(DoubleSupplier hitNanos) {
        AccessCounters.Totals t = counters.sum();
        return new CacheStats(t.hits(), t.misses(), zeroFills.sum(), bytesFetched.sum(), bytesWrittenBack.sum(),
                t.bytesDirtied(), evictions.sum(), stalls.sum(), stallNanos.sum(), writeBacks.sum(),
                writeBackFailures.sum(), missNanos.sum(), hitNanos.getAsDouble(), prefetchesIssued.sum(),
                prefetchesUseful.sum(), prefetchesLate.sum(), prefetchesWasted.sum(), piggybacks.sum());
    }
}
