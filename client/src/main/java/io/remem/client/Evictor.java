package io.remem.client;

import io.remem.transport.NanoClock;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import static io.remem.client.FrameState.EVICTING;
import static io.remem.client.FrameTable.STATE;

/**
 * Makes frames free: picks victims by the {@link Victims} policy, evicts clean ones at once, and sends dirty ones'
 * lines to the {@link WriteBackEngine} first, evicting them when the memory nodes acknowledge. Runs for the
 * {@link Reclaimer} (a sweep, off the critical path, as in Fastswap), for a miss with no reclaimer to rely on (inline,
 * as in LegoOS), and for a prefetch that needs room. Also drops the blocks of freed or stale ranges.
 */
final class Evictor {
    private final FrameTable table;
    private final WriteBackEngine writeBacks;
    private final CacheMetrics metrics;
    private final NanoClock clock;
    private final long timeoutNanos;
    private final int lowWatermark;
    /** One thread at a time moves the policy's hand. */
    private final ReentrantLock victimLock = new ReentrantLock();
    private final Victims victims;

    /**
     * @param lowWatermark below this many free frames, a sweep that is out of clean victims waits for its write-backs
     * @param timeoutNanos how long a miss evicting inline may wait for a frame
     */
    Evictor(FrameTable table, EvictionPolicy policy, WriteBackEngine writeBacks, CacheMetrics metrics, NanoClock clock,
            long timeoutNanos, int lowWatermark) {
        this.table = table;
        this.victims = Victims.of(policy, table);
        this.writeBacks = writeBacks;
        this.metrics = metrics;
        this.clock = clock;
        this.timeoutNanos = timeoutNanos;
        this.lowWatermark = lowWatermark;
    }

    /**
     * Evicts a clean, idle frame and puts it on the free list. Returns false, changing nothing, if the frame is busy,
     * pinned or dirty.
     */
    boolean tryEvict(int f) {
        long s = table.stateOf(f);
        if (!FrameState.isIdle(s)) {
            return false;
        }
        // Writers need VALID to lock, so from here on nobody can dirty the frame.
        if (!STATE.compareAndSet(table.state, f, s, FrameState.withPhase(s, EVICTING))) {
            return false;
        }
        if (table.looksDirty(f)) {
            STATE.setRelease(table.state, f, s);
            return false;
        }
        if (table.claimUnusedPrefetch(f)) {
            metrics.prefetchesWasted.increment();
        }
        table.release(f, table.tags[f], s);
        metrics.evictions.increment();
        return true;
    }

    /** A victim's lines were written back: evict it, unless it was used again meanwhile. */
    private void written(int f) {
        if (!table.clearReferenced(f)) {
            tryEvict(f);
        }
    }

    /** A round whose frames are evicted once written. */
    private WriteBack evictingRound() {
        return writeBacks.newRound(this::written);
    }

    /**
     * Evicts one victim chosen by the policy, on the calling miss's own time. A clean victim is evicted at once and
     * null returned; a dirty one is snapshotted into a round that the caller sends (with its fetch, if it can), and
     * its frame is freed when the round is acknowledged.
     */
    WriteBack evictInline() {
        victimLock.lock();
        try {
            for (int tries = 2 * victims.passLength(); tries > 0; tries--) {
                int f = victims.next();
                if (!table.evictable(f) || victims.spare(f)) {
                    continue;
                }
                if (table.looksDirty(f)) {
                    WriteBack round = evictingRound();
                    if (writeBacks.snapshotDirty(f, round)) {
                        return round;
                    }
                } else if (tryEvict(f)) {
                    return null;
                }
            }
            return null;
        } finally {
            victimLock.unlock();
        }
    }

    /** No frame is free and there is no reclaimer: evict one now and wait until its frame is free. */
    void reclaimInlineNow(long since) {
        metrics.stalls.increment();
        long t0 = clock.nanoTime();
        try {
            WriteBack round = evictInline();
            if (round != null) {
                round.send();
                RememException failed = round.done().join();
                if (failed != null && !Failover.retryable(failed)) {
                    throw new RememException(failed.code(), "evicting a dirty block failed: " + failed.detail(), failed);
                }
                if (failed != null) {
                    FrameTable.backOff(64); // failing over: the lines are dirty again and go to the new replicas next time
                }
            } else if (table.freeCount() == 0) {
                FrameTable.backOff(64); // everything busy (pinned, filling, locked): let it settle
            }
        } finally {
            metrics.stallNanos.add(clock.nanoTime() - t0);
        }
        if (clock.nanoTime() - since > timeoutNanos) {
            throw new RememException(ErrorCode.TIMEOUT, "no cache frame could be freed in "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (" + writeBacks.census() + ")");
        }
    }

    /**
     * One reclaimer pass: up to two passes of the policy's hand until {@code target} frames are free. A spared frame
     * keeps its block; a clean one is evicted at once; a dirty one's lines go into write-back rounds, sent as they
     * fill, and it is evicted when they are acknowledged. Returns whether the pass made progress.
     */
    boolean sweep(int target) {
        int freeBefore = table.freeCount();
        WriteBack round = evictingRound();
        victimLock.lock();
        try {
            for (int tries = 2 * victims.passLength(); tries > 0 && table.freeCount() < target && !table.isClosed();
                 tries--) {
                int f = victims.next();
                if (!table.evictable(f) || victims.spare(f)) {
                    continue;
                }
                if (table.looksDirty(f)) {
                    writeBacks.snapshotDirty(f, round);
                    if (round.isFull()) {
                        round.send();
                        round = evictingRound();
                    }
                } else {
                    tryEvict(f);
                }
            }
        } finally {
            victimLock.unlock();
            round.send(); // always: flushes wait for every round that holds lines
        }
        if (table.freeCount() < lowWatermark && writeBacks.anyInFlight()) {
            // Everything left is dirty and on its way to memory nodes: wait for acknowledgements, which evict.
            writeBacks.awaitInFlight();
        }
        return table.freeCount() > freeBefore || writeBacks.anyInFlight();
    }

    /**
     * Evicts one clean victim the policy would give up anyway, with no I/O, on the caller's own time. Two callers:
     * <ul>
     *   <li>a miss that finds no free frame while the reclaimer is behind, rather than wait for the reclaimer to be
     *       scheduled (not {@code patient});</li>
     *   <li>a prefetch making room: it must not eat the frames kept for demand misses, but it may replace cold clean
     *       blocks, which keeps a window larger than the free-frame reserve going ({@code patient} for a hint).</li>
     * </ul>
     * Returns false if no such victim is at hand (every candidate dirty, busy or a prefetch not used yet), or, unless
     * {@code patient}, if the reclaimer or a miss is choosing victims right now.
     */
    boolean evictClean(boolean patient) {
        if (patient) {
            // The caller asked for these blocks: worth waiting for a sweep to end. A miss on a block this hint has
            // already reserved waits with it; a trend prefetch or a miss never waits.
            victimLock.lock();
        } else if (!victimLock.tryLock()) {
            return false; // the reclaimer or a miss is choosing victims right now
        }
        try {
            // A hint looks up to two full passes: when a scan has just filled the cache every frame is referenced,
            // and the first pass may only clear reference bits (and one pass and a frame is not enough when the frame
            // after it is free or filling). A trend prefetch or a miss is on the way to a thread's own fetch, so it
            // looks at a few samples' worth, bounded whatever the cache size.
            int tries = patient ? 2 * victims.passLength() : Math.min(victims.passLength() + 1, 4 * Victims.SAMPLE);
            for (; tries > 0; tries--) {
                int f = victims.next();
                // Dirty frames need a write-back first, and are not aged by this look either.
                if (table.evictable(f) && !table.prefetchedUnused(f) && !table.looksDirty(f) && !victims.spare(f)
                        && tryEvict(f)) {
                    return true;
                }
            }
            return false;
        } finally {
            victimLock.unlock();
        }
    }

    /** Evicts the blocks {@code first..last} without writing them back: their data is garbage now. */
    void discard(long first, long last) {
        for (long block = first; block <= last; block++) {
            discardBlock(block, false);
        }
    }

    /**
     * Drops the clean cached blocks {@code first..last}, so they are read from the memory nodes again; a block with
     * dirty lines (written since the caller forced the range) stays, since those lines are newer.
     */
    void dropClean(long first, long last) {
        for (long block = first; block <= last; block++) {
            discardBlock(block, true);
        }
    }

    private void discardBlock(long block, boolean onlyClean) {
        int spins = 0;
        while (true) {
            int f;
            table.mapLock.lock();
            try {
                f = table.find(block);
            } finally {
                table.mapLock.unlock();
            }
            if (f < 0) {
                return;
            }
            long s = table.stateOf(f);
            if (FrameState.isIdle(s) && table.tags[f] == block
                    && STATE.compareAndSet(table.state, f, s, FrameState.withPhase(s, EVICTING))) {
                if (onlyClean && table.looksDirty(f)) {
                    STATE.setVolatile(table.state, f, s); // written meanwhile: keep it, it is newer
                    return;
                }
                table.clearDirty(f);
                table.release(f, block, s);
                return;
            }
            FrameTable.backOff(++spins); // filling, locked, or held by a write-back: wait for it to settle
        }
    }
}
