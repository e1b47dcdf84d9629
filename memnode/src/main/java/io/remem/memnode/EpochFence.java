package io.remem.memnode;

import java.util.Arrays;

/**
 * A slab's epoch on this node and the sessions that may write it at that epoch. When the replica set changes, the
 * controller fences the slab at a new epoch: from then on only sessions that declare it (SLAB_EPOCH) may write, so no
 * client that does not know a newly added replica can write around it.
 */
final class EpochFence {
    private volatile long epoch;
    /** Sessions that declared the current epoch; null while any session may write (the slab was never fenced). */
    private volatile int[] knownSessions;

    long epoch() {
        return epoch;
    }

    /** Sets the epoch of a slab that nobody can reach yet: a new copy, or one read back after a restart. */
    synchronized void reset(long atEpoch, boolean fenced) {
        epoch = atEpoch;
        knownSessions = fenced ? new int[0] : null;
    }

    /** Moves to {@code newEpoch} if it is newer; every session must declare it before writing again. */
    synchronized void advance(long newEpoch) {
        if (newEpoch > epoch) {
            knownSessions = new int[0];
            epoch = newEpoch;
        }
    }

    /**
     * Records that {@code session} knows the replica set at epoch {@code known}; false if that is older than the fence.
     * A newer epoch than this node was fenced at is fine: epochs only grow, and every added replica was fenced for, so
     * a session that knows a later set knows every replica this fence was for.
     */
    synchronized boolean declare(int session, long known) {
        if (known < epoch) {
            return false;
        }
        int[] k = knownSessions;
        if (k != null && !contains(k, session)) {
            int[] more = Arrays.copyOf(k, k.length + 1);
            more[k.length] = session;
            knownSessions = more;
        }
        return true;
    }

    /** Whether {@code session} may write now. */
    boolean admits(int session) {
        int[] k = knownSessions;
        return k == null || contains(k, session);
    }

    private static boolean contains(int[] sessions, int session) {
        for (int x : sessions) {
            if (x == session) {
                return true;
            }
        }
        return false;
    }
}
