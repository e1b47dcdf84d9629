package io.remem.client;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Counters the hit path bumps once per access, exactly and without an atomic instruction: each thread counts in
 * a cell only it writes, with plain stores, and {@link #sum} adds the cells up.
 *
 * <p>A thread finds its cell in a table indexed by its thread id, claimed on first use and checked by identity:
 * one array load and a compare, cheaper than a {@link ThreadLocal} lookup. A thread whose slot another live
 * thread holds counts in a {@code ThreadLocal} cell instead. Cells of threads that have ended are folded into a
 * base total and their slots freed, so millions of short-lived virtual threads do not pile up.
 */
final class AccessCounters {
    static final int HITS = 0;
    static final int MISSES = 1;
    static final int DIRTIED = 2;
    private static final int FIELDS = 3;
    private static final int SLOTS = 1024;
    /** Longs per slot: the counters plus padding, so two threads' counters never share a cache line. */
    private static final int STRIDE = 8;
    private static final VarHandle OWNERS = MethodHandles.arrayElementVarHandle(Thread[].class);

    private final Thread[] owners = new Thread[SLOTS];
    private final long[] slots = new long[SLOTS * STRIDE];
    private final ThreadLocal<long[]> overflow = ThreadLocal.withInitial(this::newOverflowCell);
    private final ConcurrentLinkedQueue<OverflowCell> overflowCells = new ConcurrentLinkedQueue<>();
    private final long[] base = new long[FIELDS]; // guarded by this
    private volatile Thread ignored;

    AccessCounters() {
        // Links the overflow path's call sites now, on the constructing thread. Linked later, on the first virtual
        // thread to overflow, the linkage runs under a VM frame and, if it meets a contended JDK lock, pins the
        // carrier (JFR caught it in `remem bench vthreads` at 512 threads).
        newOverflowCell();
        overflowCells.clear();
    }

    /** Totals over all threads, past and present. */
    record Totals(long hits, long misses, long bytesDirtied) {}

    private record OverflowCell(WeakReference<Thread> owner, long[] counts) {}

    /** Adds {@code delta} to counter {@code field} of the calling thread. */
    void add(int field, long delta) {
        Thread t = Thread.currentThread();
        int i = (int) t.threadId() & (SLOTS - 1);
        if (owners[i] == t) {
            slots[i * STRIDE + field] += delta;
        } else {
            addSlow(t, i, field, delta);
        }
    }

    /** A hit that wrote {@code bytes}: both counters with one lookup, for the write hit path. */
    void writeHit(long bytes) {
        Thread t = Thread.currentThread();
        int i = (int) t.threadId() & (SLOTS - 1);
        if (owners[i] == t) {
            int b = i * STRIDE;
            slots[b + HITS]++;
            slots[b + DIRTIED] += bytes;
        } else {
            addSlow(t, i, HITS, 1);
            addSlow(t, i, DIRTIED, bytes);
        }
    }

    private void addSlow(Thread t, int i, int field, long delta) {
        if (owners[i] == null && OWNERS.compareAndSet(owners, i, null, t)) {
            slots[i * STRIDE + field] += delta;
        } else {
            overflow.get()[field] += delta;
        }
    }

    /** Leaves {@code t}'s counts out of every total: its accesses are measurements, not traffic. */
    void ignore(Thread t) {
        ignored = t;
    }

    private long[] newOverflowCell() {
        long[] counts = new long[FIELDS];
        overflowCells.add(new OverflowCell(new WeakReference<>(Thread.currentThread()), counts));
        return counts;
    }

    /** Adds up every cell, folding those whose thread has ended into the base and freeing their slots. */
    synchronized Totals sum() {
        long[] total = base.clone();
        for (int i = 0; i < SLOTS; i++) {
            Thread owner = (Thread) OWNERS.getVolatile(owners, i);
            if (owner != null && owner == ignored) {
                if (!owner.isAlive()) {
                    Arrays.fill(slots, i * STRIDE, i * STRIDE + FIELDS, 0);
                    OWNERS.setVolatile(owners, i, null);
                }
            } else if (owner != null) {
                boolean gone = !owner.isAlive(); // read first: a dead thread's last writes are then visible
                fold(slots, i * STRIDE, total, gone);
                if (gone) {
                    OWNERS.setVolatile(owners, i, null);
                }
            }
        }
        for (Iterator<OverflowCell> it = overflowCells.iterator(); it.hasNext(); ) {
            OverflowCell c = it.next();
            Thread t = c.owner().get();
            if (t != null && t == ignored) {
                continue;
            }
            boolean gone = t == null || !t.isAlive();
            fold(c.counts(), 0, total, gone);
            if (gone) {
                it.remove();
            }
        }
        return new Totals(total[HITS], total[MISSES], total[DIRTIED]);
    }

    private void fold(long[] cell, int offset, long[] total, boolean ownerGone) {
        for (int f = 0; f < FIELDS; f++) {
            total[f] += cell[offset + f];
            if (ownerGone) {
                base[f] += cell[offset + f];
                cell[offset + f] = 0;
            }
        }
    }
}
