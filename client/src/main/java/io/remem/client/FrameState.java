package io.remem.client;

/**
 * The layout of a frame's state word, in one place: each frame of the {@link FrameTable} has one {@code long}, changed
 * only by CAS or by its owner's release store, so a reader learns everything about the frame from one load.
 *
 * <pre>
 *   63                          32 31     24  23   22                        3  2     1  0
 *  +------------------------------+---------+------+---------------------------+--------+----+
 *  |          incarnation         | (unused)|QUEUED|           pins            | phase  |LOCK|
 *  +------------------------------+---------+------+---------------------------+--------+----+
 *
 *  LOCK         a writer (or a write-back snapshot) has the frame exclusively
 *  phase        FREE, FILLING, VALID or EVICTING
 *  pins         write-backs in flight and pinned views; a pinned frame is never evicted
 *  QUEUED       the frame's last dirty lines sit in a write-back round not yet handed to the network
 *  incarnation  bumped each time the frame starts holding another block, so an optimistic reader can tell
 * </pre>
 */
final class FrameState {
    static final long LOCK = 1L;
    static final long PHASE_MASK = 3L << 1;
    static final long FREE = 0;
    static final long FILLING = 1L << 1;
    static final long VALID = 2L << 1;
    static final long EVICTING = 3L << 1;
    static final long PIN = 1L << 3;
    static final long PIN_MASK = ((1L << 20) - 1) << 3;
    static final long QUEUED = 1L << 23;
    /** Any of these keeps a frame from being evicted or moved. */
    static final long BUSY = LOCK | PIN_MASK | QUEUED;
    static final long INCARNATION = 1L << 32;
    static final long INCARNATION_MASK = -INCARNATION;

    private FrameState() {}

    static long phase(long s) {
        return s & PHASE_MASK;
    }

    static boolean isValid(long s) {
        return (s & PHASE_MASK) == VALID;
    }

    /** VALID and held by nobody: no lock, no pin, no queued write-back. Only such a frame may be evicted. */
    static boolean isIdle(long s) {
        return (s & PHASE_MASK) == VALID && (s & BUSY) == 0;
    }

    static boolean isLocked(long s) {
        return (s & LOCK) != 0;
    }

    static boolean isPinned(long s) {
        return (s & PIN_MASK) != 0;
    }

    /** Whether one more pin would overflow the pin count. */
    static boolean pinsFull(long s) {
        return (s & PIN_MASK) == PIN_MASK;
    }

    static boolean isQueued(long s) {
        return (s & QUEUED) != 0;
    }

    static long incarnation(long s) {
        return s & INCARNATION_MASK;
    }

    /** {@code s} in another phase, everything else kept. */
    static long withPhase(long s, long phase) {
        return (s & ~PHASE_MASK) | phase;
    }

    /** The state of a frame that starts filling with a new block: FILLING in the next incarnation, no pins. */
    static long nextFilling(long s) {
        return ((s & INCARNATION_MASK) + INCARNATION) | FILLING;
    }
}
