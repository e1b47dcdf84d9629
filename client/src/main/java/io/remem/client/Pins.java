package io.remem.client;

import io.remem.transport.NanoClock;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import static io.remem.client.FrameState.BUSY;
import static io.remem.client.FrameState.EVICTING;
import static io.remem.client.FrameState.FILLING;
import static io.remem.client.FrameState.FREE;
import static io.remem.client.FrameState.PIN;
import static io.remem.client.FrameState.VALID;
import static io.remem.client.FrameTable.STATE;

/**
 * Frames pinned for {@link PinnedView}s: a range of blocks laid out in consecutive frames, so a view is one plain
 * {@link MemorySegment} over the arena, and kept there, never evicted, until the view closes. Blocks already cached
 * elsewhere are moved; blocks not cached are fetched.
 */
final class Pins {
    /** What pinning needs of the miss path. */
    interface Faults {
        /** A read stamp (frame and incarnation) for {@code block}, faulting it in if needed; counts no access. */
        long stampFor(long block);

        /** Fetches {@code block} into claimed frame {@code f}, which is FILLING. */
        void fetchInto(int f, long block);
    }

    private final FrameTable table;
    private final WriteBackEngine writeBacks;
    private final Evictor evictor;
    private final Prefetcher prefetcher;
    private final Faults faults;
    private final AccessCounters counters;
    private final NanoClock clock;
    private final long timeoutNanos;
    /** Frames the cache keeps unpinned whatever views ask for: its reserve of free frames, and one to work with. */
    private final int reserve;
    private final ReentrantLock pinLock = new ReentrantLock();
    private int pinnedFrames; // guarded by pinLock
    private int[] viewPins;   // guarded by pinLock; per frame, pins held by views (not by write-backs)

    /** @param reserve frames no view may pin: the free-frame reserve the miss path relies on */
    Pins(FrameTable table, WriteBackEngine writeBacks, Evictor evictor, Prefetcher prefetcher, Faults faults,
         AccessCounters counters, NanoClock clock, long timeoutNanos, int reserve) {
        this.table = table;
        this.writeBacks = writeBacks;
        this.evictor = evictor;
        this.prefetcher = prefetcher;
        this.faults = faults;
        this.counters = counters;
        this.clock = clock;
        this.timeoutNanos = timeoutNanos;
        this.reserve = reserve;
    }

    /**
     * Pins frames holding blocks {@code first .. first + count - 1}, in that order and contiguous in the arena, and
     * returns the first frame. Pinned frames are never evicted until {@link #unpinFrames}.
     *
     * @throws RememException TOO_LARGE if the pins would leave the cache too few frames to work with
     */
    int pinFrames(long first, int count) {
        pinLock.lock();
        try {
            int spare = table.frameCount - pinnedFrames - reserve - 1;
            if (count > spare) {
                throw new RememException(ErrorCode.TOO_LARGE, "pinning " + count + " blocks of " + table.blockSize
                        + " bytes needs " + count + " frames; the cache has " + table.frameCount + ", " + pinnedFrames
                        + " of them pinned already and " + (table.frameCount - pinnedFrames - spare)
                        + " needed to keep working: use a larger cache, or pin less at a time");
            }
            long deadline = clock.nanoTime() + timeoutNanos;
            int window = count == 1 ? -1 : findPinWindow(first, count);
            int start = window;
            int pinned = 0;
            try {
                for (int i = 0; i < count; i++) {
                    long block = first + i;
                    int f = window < 0 ? pinWherever(block, deadline) : pinAt(window + i, block, deadline);
                    if (i == 0) {
                        start = f;
                    }
                    pinned++;
                }
            } catch (RuntimeException | Error e) {
                for (int f = start; f < start + pinned; f++) {
                    table.unpin(f); // no view will ever let these go
                }
                throw e;
            }
            pinnedFrames += count;
            if (viewPins == null) {
                viewPins = new int[table.frameCount];
            }
            for (int f = start; f < start + count; f++) {
                viewPins[f]++;
            }
            return start;
        } finally {
            pinLock.unlock();
        }
    }

    /** Unpins what {@link #pinFrames} pinned. */
    void unpinFrames(int start, int count) {
        for (int f = start; f < start + count; f++) {
            table.unpin(f);
        }
        pinLock.lock();
        try {
            pinnedFrames -= count;
            for (int f = start; f < start + count; f++) {
                viewPins[f]--;
            }
        } finally {
            pinLock.unlock();
        }
    }

    /** @throws IllegalStateException if a view pins any of blocks {@code first..last}: they cannot be freed now */
    void checkNoView(long first, long last) {
        pinLock.lock();
        try {
            if (pinnedFrames == 0) {
                return;
            }
            for (long block = first; block <= last; block++) {
                int f = table.find(block);
                if (f >= 0 && table.tags[f] == block && viewPins != null && viewPins[f] > 0) {
                    throw new IllegalStateException("cannot free far memory while a pinned view of it is open");
                }
            }
        } finally {
            pinLock.unlock();
        }
    }

    /** Marks lines {@code [offsetInFrame, +length)} of a pinned frame dirty: data written through a view. */
    void markWritten(int f, long offsetInFrame, long length) {
        long s = table.lock(f);
        table.markDirty(f, offsetInFrame, length);
        counters.add(AccessCounters.DIRTIED, length);
        STATE.setRelease(table.state, f, s);
    }

    /** A window of {@code count} frames none of which is pinned or filling, so all can be claimed. */
    private int findPinWindow(long first, int count) {
        // Where the range already lies, if the frames after its first block are free of pins: blocks touched in
        // order sit in consecutive frames, and a view over them then moves nothing (and evicts nobody).
        int at;
        table.mapLock.lock();
        try {
            at = table.find(first);
        } finally {
            table.mapLock.unlock();
        }
        if (at >= 0 && at + count <= table.frameCount && usableRun(at, count)) {
            return at;
        }
        int run = 0;
        for (int f = 0; f < table.frameCount; f++) {
            run = usableForPin(f) ? run + 1 : 0;
            if (run == count) {
                return f - count + 1;
            }
        }
        throw new RememException(ErrorCode.TOO_LARGE, "no " + count + " contiguous frames are free of pins: other"
                + " pinned views fragment the cache; close some, or pin less at a time");
    }

    private boolean usableRun(int from, int count) {
        for (int f = from; f < from + count; f++) {
            if (!usableForPin(f)) {
                return false;
            }
        }
        return true;
    }

    private boolean usableForPin(int f) {
        long s = table.stateOf(f);
        return !FrameState.isPinned(s) && FrameState.phase(s) != FILLING;
    }

    /** Single block: pin whichever frame holds it, faulting it in if needed. */
    private int pinWherever(long block, long deadline) {
        while (true) {
            long stamp = faults.stampFor(block);
            int f = LocalCache.frameOf(stamp);
            if (table.tryPin(f, FrameState.incarnation(stamp))) {
                return f;
            }
            checkPinDeadline(deadline, block);
            FrameTable.backOff(64);
        }
    }

    /** Puts {@code block} into frame {@code f} (moving or fetching it) and pins it there. */
    private int pinAt(int f, long block, long deadline) {
        while (true) {
            long s = table.stateOf(f);
            if (FrameState.isValid(s) && table.tags[f] == block) {
                if (table.tryPin(f, FrameState.incarnation(s))) {
                    return f;
                }
            } else if (claim(f)) {
                return placeAndPin(f, block, deadline);
            }
            checkPinDeadline(deadline, block);
            FrameTable.backOff(64);
        }
    }

    /**
     * Makes frame {@code f} FREE and takes it off the free list, evicting its block (written back first if dirty).
     * Returns false if it cannot right now (locked, pinned, filling, re-dirtied): try again.
     */
    private boolean claim(int f) {
        long s = table.stateOf(f);
        if (FrameState.isValid(s)) {
            if (FrameState.isPinned(s) || FrameState.isQueued(s)) {
                return false;
            }
            if (table.looksDirty(f)) {
                WriteBack round = writeBacks.newRound(null);
                if (writeBacks.snapshotDirty(f, round)) {
                    round.send();
                    round.done().join(); // a failed write-back leaves the lines dirty: the caller tries again
                }
                return false; // look again: it may be clean and evictable now
            }
            if (!evictor.tryEvict(f)) {
                return false;
            }
        } else if (FrameState.phase(s) != FREE) {
            return false; // filling or being evicted by someone else
        }
        return table.takeFree(f);
    }

    /** Frame {@code f} is claimed (FREE, off the free list): bring {@code block} into it, then pin it. */
    private int placeAndPin(int f, long block, long deadline) {
        while (true) {
            int g;
            long filling = 0;
            table.mapLock.lock();
            try {
                g = table.find(block);
                if (g < 0) {
                    filling = table.beginFill(f, block);
                }
            } finally {
                table.mapLock.unlock();
            }
            if (g < 0) {
                try {
                    faults.fetchInto(f, block);
                } catch (RuntimeException | Error e) {
                    table.abortFill(f, block, filling);
                    throw e;
                }
                table.publish(f, filling, FrameTable.REF_USED, PIN);
            } else if (!move(g, f, block)) {
                try {
                    checkPinDeadline(deadline, block);
                } catch (RememException e) {
                    table.unclaim(f); // still FREE, but off the free list: put it back, or it is lost for good
                    throw e;
                }
                FrameTable.backOff(64);
                continue;
            }
            return f; // pinned as it became VALID
        }
    }

    /**
     * Moves {@code block} from frame {@code g} to claimed frame {@code f}, data, dirty lines and all. Only a frame
     * nobody holds (no lock, no pin, no write-back) can be moved; returns false otherwise. Readers still holding a
     * stamp on {@code g} read its unchanged bytes until it is reused, which bumps its incarnation. Moving is for
     * pinning: {@code f} comes out VALID and already pinned.
     */
    private boolean move(int g, int f, long block) {
        long s = table.stateOf(g);
        if (!FrameState.isValid(s) || (s & BUSY) != 0 || table.tags[g] != block
                || !STATE.compareAndSet(table.state, g, s, FrameState.withPhase(s, EVICTING))) {
            return false;
        }
        writeBacks.moveStarted(); // before the dirty bits travel: a flush scanning now will scan again
        long filling = table.startFilling(f, block);
        MemorySegment.copy(table.frames, table.frameOffset(g), table.frames, table.frameOffset(f), table.blockSize);
        table.moveDirty(g, f);
        boolean wasUnusedPrefetch = table.claimUnusedPrefetch(g);
        table.referenced[f] = FrameTable.REF_USED;
        table.inheritUse(f, g);
        table.mapLock.lock();
        try {
            table.index.remove(block);
            table.index.insert(block, f);
            // Pinned for the view before anyone can evict it.
            STATE.setRelease(table.state, f, FrameState.withPhase(filling, VALID) + PIN);
            table.release(g, FrameTable.NO_BLOCK, s);
        } finally {
            table.mapLock.unlock();
        }
        writeBacks.moveFinished();
        table.signalFill(f);
        if (wasUnusedPrefetch) {
            prefetcher.used(block); // pinned: that is a use. Told only now: it may prefetch, which takes a while
        }
        return true;
    }

    private void checkPinDeadline(long deadline, long block) {
        if (clock.nanoTime() - deadline > 0) {
            throw new RememException(ErrorCode.TIMEOUT, "could not pin block " + block + " in "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms: it is held by another pinned view laid"
                    + " out differently, or by a write-back that does not finish (" + writeBacks.census() + ")");
        }
    }
}
