package io.remem.client;

import io.remem.transport.NanoClock;

import java.lang.foreign.ValueLayout;

/**
 * Measures the cache's hit time on this machine, for the average memory access time in the stats: the
 * {@link Reclaimer} runs it between sweeps, through the hit path itself.
 */
final class HitCalibration {
    /** The optimistic read of the hit path, as the application's accesses use it. */
    interface HitPath {
        /** A read stamp for {@code addr} if its block is cached, else {@link LocalCache#NO_STAMP}; never faults. */
        long tryBeginRead(long addr);

        boolean endRead(long stamp);

        /** Offset in the arena of {@code addr}, inside the frame the stamp names. */
        long offsetIn(long stamp, long addr);
    }

    private final FrameTable table;
    private final HitPath path;
    private final NanoClock clock;

    HitCalibration(FrameTable table, HitPath path, NanoClock clock) {
        this.table = table;
        this.path = path;
        this.clock = clock;
    }

    /**
     * Measures the hit path on this machine, now: times repeated reads of a resident block through the same code
     * as {@link LocalCache#beginRead}/{@link LocalCache#endRead}. Never faults (the reclaimer runs this, and a reclaimer waiting for a
     * free frame would wait for itself). Its hits are not application traffic: the reclaimer's thread is left out of
     * the counts. Returns nanoseconds per read, or -1 if no block stayed resident.
     */
    double measure(int reads) {
        int frame = -1;
        for (int f = 0; f < table.frameCount && frame < 0; f++) {
            long s = table.stateOf(f);
            // Pinned for the measurement, so the frame cannot be recycled under it: restoring its reference afterwards
            // must not overwrite a newer block's (a lost "prefetched" mark stalls that thread's prefetch stream). A
            // prefetched block nobody used yet is left alone: its first use is the application's.
            if (FrameState.isValid(s) && !table.prefetchedUnused(f) && table.tryPin(f, FrameState.incarnation(s))) {
                frame = f;
            }
        }
        if (frame < 0) {
            return -1;
        }
        // Measuring must not look like use to the eviction policy or the prefetcher.
        byte reference = table.referenced[frame];
        long stamp = table.useStamp(frame);
        try {
            return timeHits(table.tags[frame] << table.blockShift, reads);
        } finally {
            table.restoreUse(frame, reference, stamp);
            table.unpin(frame);
        }
    }

    private double timeHits(long addr, int reads) {
        long sink = 0;
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 8; round++) { // the fastest round: after the JIT has compiled the loop
            long t0 = clock.nanoTime();
            for (int i = 0; i < reads; i++) {
                long stamp = path.tryBeginRead(addr);
                if (stamp == LocalCache.NO_STAMP) {
                    return -1; // evicted meanwhile
                }
                sink += table.frames.get(ValueLayout.JAVA_BYTE, path.offsetIn(stamp, addr));
                if (!path.endRead(stamp)) {
                    sink++;
                }
            }
            best = Math.min(best, clock.nanoTime() - t0);
        }
        return sink == Long.MIN_VALUE ? -1 : (double) best / reads;
    }
}
