package io.remem.memnode;

/**
 * The memory node's window of recent writes and atomics, by tenant and operation id, with each atomic's answer
 * (Clio's T4). A client whose answer was lost sends the operation again with the same id and the retry flag; if the
 * original was applied, the node answers from here instead of applying it twice, so an add is never counted twice.
 *
 * <p>A ring of the last {@link #CAPACITY} operations. Recording is O(1) and allocation-free; only a retry, which is
 * rare, scans the ring. A retry comes soon after its original (a broken connection or a call timeout), and the client
 * fences its old session before it retries, so the original is never still being applied when the retry looks.
 */
final class RecentOps {
    static final int CAPACITY = 1 << 16;
    private static final int MASK = CAPACITY - 1;

    private final long[] opIds = new long[CAPACITY];
    private final int[] tenants = new int[CAPACITY];
    private final long[] answers = new long[CAPACITY];
    private long next;

    /** Records that {@code tenant}'s operation {@code opId} was applied and answered {@code answer}. */
    synchronized void record(int tenant, long opId, long answer) {
        int i = (int) (next++ & MASK);
        opIds[i] = opId;
        tenants[i] = tenant;
        answers[i] = answer;
    }

    /** The ring slot of {@code tenant}'s operation {@code opId}, newest first, or -1 if it is not in the window. */
    synchronized int find(int tenant, long opId) {
        long oldest = Math.max(0, next - CAPACITY);
        for (long k = next - 1; k >= oldest; k--) {
            int i = (int) (k & MASK);
            if (opIds[i] == opId && tenants[i] == tenant) {
                return i;
            }
        }
        return -1;
    }

    synchronized long answer(int slot) {
        return answers[slot];
    }
}
