package io.remem.client;

import io.remem.transport.NanoClock;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import static io.remem.client.FrameState.FILLING;
import static io.remem.client.FrameState.FREE;
import static io.remem.client.FrameState.LOCK;
import static io.remem.client.FrameState.PIN;
import static io.remem.client.FrameState.QUEUED;
import static io.remem.client.FrameTable.LINE_SHIFT;
import static io.remem.client.FrameTable.STATE;

/**
 * Everything that takes dirty lines out of frames and brings acknowledgements back: the snapshot of a frame's lines
 * into a {@link WriteBack} round, the round being sent and done, and {@link #flush}/{@link #force}, which wait for
 * every round that holds lines.
 *
 * <p>Two write-backs of the same line must reach the memory node in the order their data was copied, or an older copy
 * could land last. So a frame whose lines wait in a round not yet sent (QUEUED) is not copied again until that round
 * is on the wire; rounds to one node share one ordered connection.
 */
final class WriteBackEngine {
    private static final int MAX_FLUSH_ROUNDS_IN_FLIGHT = 8;

    private final FrameTable table;
    private final FarBackend backend;
    private final CacheMetrics metrics;
    private final NanoClock clock;
    private final long timeoutNanos;
    /** Write-back rounds holding lines and not yet acknowledged, sent or not; pinned frames belong to them. */
    private final Set<WriteBack> inFlight = ConcurrentHashMap.newKeySet();
    /** Frame-to-frame moves begun and ended: a flush rescans if one overlapped it ({@link #force}). */
    private final AtomicLong movesStarted = new AtomicLong();
    private final AtomicLong movesFinished = new AtomicLong();
    /**
     * Test seam: when set, runs just before a write-back round registers in {@link #inFlight}, so a test can hold a
     * round there and open the window a flush must not slip through. Null (nothing runs) outside tests.
     */
    volatile Consumer<WriteBack> beforeRoundRegisters;

    /** @param timeoutNanos how long a flush keeps retrying rounds that fail over */
    WriteBackEngine(FrameTable table, FarBackend backend, CacheMetrics metrics, NanoClock clock, long timeoutNanos) {
        this.table = table;
        this.backend = backend;
        this.metrics = metrics;
        this.clock = clock;
        this.timeoutNanos = timeoutNanos;
    }

    /** A new, empty round; {@code whenWritten} hears of each of its frames once acknowledged (null: nobody). */
    WriteBack newRound(IntConsumer whenWritten) {
        return new WriteBack(this, whenWritten);
    }

    FarBackend backend() {
        return backend;
    }

    CacheMetrics metrics() {
        return metrics;
    }

    /** A round took its first lines: a flush must wait for it from now on. */
    void register(WriteBack round) {
        Consumer<WriteBack> hook = beforeRoundRegisters;
        if (hook != null) {
            hook.accept(round);
        }
        inFlight.add(round);
    }

    void deregister(WriteBack round) {
        inFlight.remove(round);
    }

    /** A one-line census of the frames and the rounds in flight, for error messages. */
    String census() {
        return table.census() + "; " + inFlight.size() + " write-back rounds pending";
    }

    boolean anyInFlight() {
        return !inFlight.isEmpty();
    }

    // ---------------------------------------------------------------------- one frame

    /**
     * Moves frame {@code f}'s dirty lines into {@code wb}: copies them out under the lock, clears their bits, marks the
     * frame QUEUED until the round is sent and pins it until the round completes. Adjacent dirty lines travel as one
     * run. Returns false if there was nothing to do or the frame was busy (locked, or QUEUED in another round).
     */
    boolean snapshotDirty(int f, WriteBack wb) {
        long s = table.stateOf(f);
        if (!FrameState.isValid(s) || (s & (LOCK | QUEUED)) != 0 || !table.looksDirty(f)) {
            return false;
        }
        if (FrameState.pinsFull(s) || !STATE.compareAndSet(table.state, f, s, s | LOCK)) {
            return false;
        }
        long unlocked = s;
        try {
            long[] bits = table.dirtyBits(f);
            long blockAddr = table.tags[f] << table.blockShift;
            long frameOffset = table.frameOffset(f);
            int linesPerBlock = table.blockSize >>> LINE_SHIFT;
            int line = 0;
            while (line < linesPerBlock) {
                if ((bits[line >>> 6] & (1L << line)) == 0) {
                    line++;
                    continue;
                }
                int runStart = line;
                while (line < linesPerBlock && (bits[line >>> 6] & (1L << line)) != 0) {
                    line++;
                }
                long off = (long) runStart << LINE_SHIFT;
                wb.batch().add(blockAddr + off, table.frames, frameOffset + off, (line - runStart) << LINE_SHIFT);
            }
            // The round must be findable by a flush before the lines stop looking dirty, or a flush could see
            // neither. Registering is a volatile write; the release stores below keep the clears after it.
            wb.track(f, FrameState.incarnation(s), bits);
            table.clearDirtyAfterSnapshot(f);
            unlocked = (s + PIN) | QUEUED;
            return true;
        } finally {
            STATE.setRelease(table.state, f, unlocked); // unlock, and if snapshotted pin and queue, in one store
        }
    }

    /** The round holding frame {@code f}'s lines is on the wire: later copies of its lines may follow it. */
    void sent(int f, long incarnation) {
        int spins = 0;
        while (true) {
            long s = table.stateOf(f);
            if (FrameState.incarnation(s) != incarnation || !FrameState.isQueued(s)) {
                return; // cannot happen while queued; guards against misuse
            }
            if (!FrameState.isLocked(s) && STATE.compareAndSet(table.state, f, s, s & ~QUEUED)) {
                return;
            }
            FrameTable.backOff(++spins);
        }
    }

    /** A write-back of frame {@code f} finished. On failure its lines become dirty again. Then unpin. */
    void writeBackDone(int f, long incarnation, long[] bits, boolean ok) {
        int spins = 0;
        while (true) {
            long s = table.stateOf(f);
            if (FrameState.incarnation(s) != incarnation || !FrameState.isPinned(s)) {
                return; // cannot happen while pinned; guards against misuse
            }
            if (FrameState.isLocked(s)) {
                FrameTable.backOff(++spins);
                continue;
            }
            if (ok) {
                if (STATE.compareAndSet(table.state, f, s, s - PIN)) {
                    return;
                }
            } else if (STATE.compareAndSet(table.state, f, s, s | LOCK)) {
                table.redirty(f, bits);
                STATE.setRelease(table.state, f, s - PIN);
                return;
            }
        }
    }

    /** A move (for a pinned view) is about to carry a block's dirty lines to another frame. */
    void moveStarted() {
        movesStarted.incrementAndGet();
    }

    void moveFinished() {
        movesFinished.incrementAndGet();
    }

    // ---------------------------------------------------------------------- flush

    /**
     * Writes back every dirty line and waits for the memory nodes to acknowledge, together with write-backs the
     * reclaimer already has in flight. Lines dirtied while the flush runs may or may not be included.
     *
     * <p>A write-back that fails anywhere while the flush runs makes the flush fail, even if its round finished
     * before the flush could wait for it: its lines were dirty again after the flush had looked, so success would
     * be a lie. The lines stay dirty; the next flush or eviction writes them.
     *
     * @throws RememException if any write-back failed meanwhile
     */
    void flush() {
        force(0, -1);
    }

    /**
     * {@link #flush()} for the blocks {@code first..last} only (all blocks if {@code last} is negative): what an
     * offload needs before a memory node reads that range. Waits for every round in flight, not only those holding
     * the range, because a round does not record which blocks it carries cheaply enough to ask.
     */
    void force(long first, long last) {
        table.ensureOpen();
        long deadline = clock.nanoTime() + timeoutNanos;
        for (int attempt = 0; ; attempt++) {
            try {
                forceOnce(first, last);
                return;
            } catch (RememException e) {
                // A round that failed over left its lines dirty; the next attempt writes them to the new replicas.
                if (!Failover.retryable(e) || clock.nanoTime() - deadline > 0) {
                    throw e;
                }
                Failover.backOff(attempt);
            }
        }
    }

    private void forceOnce(long first, long last) {
        long failuresBefore = metrics.writeBackFailures.sum();
        WriteBack[] atStart = inFlight.toArray(new WriteBack[0]);
        WriteBack[] round = {newRound(null)};
        try {
            // A move (for a pinned view) carries a block's dirty lines from one frame to another, where a scan could
            // pass both frames at the wrong moments; scan again until no move overlapped the scan. Moves are rare.
            long moves;
            do {
                moves = awaitNoMove();
                if (last < 0 || last - first >= table.frameCount) {
                    for (int f = 0; f < table.frameCount; f++) {
                        snapshotForFlush(f, -1, round);
                    }
                } else {
                    for (long b = first; b <= last; b++) {
                        int f = table.find(b);
                        if (f >= 0) {
                            snapshotForFlush(f, b, round);
                        }
                    }
                }
            } while (movesStarted.get() != moves);
        } finally {
            round[0].send(); // always: a registered round that is never sent would hang every later flush
        }
        RememException failure = await(atStart);
        RememException later = awaitInFlight();
        failure = failure != null ? failure : later;
        if (failure == null && metrics.writeBackFailures.sum() != failuresBefore) {
            failure = new RememException(ErrorCode.NODE_UNAVAILABLE, "a write-back failed while the flush ran");
        }
        if (failure != null) {
            throw new RememException(failure.code(), "flush failed: " + failure.detail()
                    + "; the data is still dirty in the local cache and will be written back again", failure);
        }
    }

    /** Waits until no move is in progress; returns how many moves have started. */
    private long awaitNoMove() {
        int spins = 0;
        long started;
        while ((started = movesStarted.get()) != movesFinished.get()) {
            FrameTable.backOff(++spins);
        }
        return started;
    }

    /**
     * Snapshots frame {@code f}'s dirty lines into {@code round[0]} if it holds {@code block} (any block if negative),
     * sending the round when it fills; {@code round[0]} is then a fresh, unsent one.
     */
    private void snapshotForFlush(int f, long block, WriteBack[] round) {
        int spins = 0;
        while (table.dirtyForFlush(f) && (block < 0 || table.tags[f] == block) && !snapshotDirty(f, round[0])) {
            long phase = FrameState.phase(table.stateOf(f));
            if (phase == FREE || phase == FILLING) {
                break; // no dirty data can live in such a frame
            }
            // VALID: a writer holds the frame, or the reclaimer is about to send its round.
            // EVICTING: an eviction attempt is looking at it and will give it back if it is dirty, or a move is
            // carrying its lines to another frame, which the caller's rescan will find.
            FrameTable.backOff(++spins);
        }
        if (round[0].isFull()) {
            round[0].send();
            round[0] = newRound(null);
            awaitInFlightBelow(MAX_FLUSH_ROUNDS_IN_FLIGHT);
        }
    }

    /**
     * Waits for every write-back round holding dirty lines now, sent or still being filled; returns the first
     * failure among them, or null.
     */
    RememException awaitInFlight() {
        return await(inFlight.toArray(new WriteBack[0]));
    }

    private static RememException await(WriteBack[] rounds) {
        RememException first = null;
        for (WriteBack wb : rounds) {
            RememException e = wb.done().join();
            if (first == null) {
                first = e;
            }
        }
        return first;
    }

    private void awaitInFlightBelow(int rounds) {
        while (inFlight.size() >= rounds) {
            WriteBack[] now = inFlight.toArray(new WriteBack[0]);
            if (now.length > 0) {
                now[0].done().join();
            }
        }
    }

    /**
     * Whether the memory nodes may lack a write to blocks {@code first..last}: a cached frame of the range has dirty
     * lines, is queued for write-back or pinned (a write-back in flight pins its frames), or any write-back round is
     * in flight at all (an evicted block's round no longer shows in its old frame). Conservative: false means every
     * write to the range was acknowledged, so an offload may read it without a {@link #force}.
     */
    boolean mayHaveUnwritten(long first, long last) {
        if (!inFlight.isEmpty()) {
            return true;
        }
        for (long b = first; b <= last; b++) {
            int f = table.find(b);
            if (f >= 0 && table.tags[f] == b
                    && (table.looksDirty(f) || (table.stateOf(f) & (QUEUED | FrameState.PIN_MASK | LOCK)) != 0)) {
                return true;
            }
        }
        return !inFlight.isEmpty();
    }
}
