package io.remem.client;

import java.lang.ref.WeakReference;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Counters the hit path bumps once per access. Each thread has its own cell, written with plain stores, so
 * counting costs no atomic instruction and no shared cache line; {@link #sum} adds the cells up. Cells of
 * threads that have ended are folded into a base total, so millions of short-lived virtual threads do not
 * pile up.
 */
final class AccessCounters {
    /** A thread's own counters. Plain fields: only the owner writes them. */
    static final class Cell {
        final WeakReference<Thread> owner;
        long hits;
        long misses;
        long bytesDirtied;

        Cell(Thread owner) {
            this.owner = new WeakReference<>(owner);
        }

        boolean ownerGone() {
            Thread t = owner.get();
            return t == null || !t.isAlive();
        }
    }

    /** Totals over all threads, past and present. */
    record Totals(long hits, long misses, long bytesDirtied) {}

    private final ThreadLocal<Cell> cells = ThreadLocal.withInitial(this::newCell);
    private final ConcurrentLinkedQueue<Cell> live = new ConcurrentLinkedQueue<>();
    private long baseHits;
    private long baseMisses;
    private long baseDirtied;

    private Cell newCell() {
        Cell c = new Cell(Thread.currentThread());
        live.add(c);
        return c;
    }

    Cell cell() {
        return cells.get();
    }

    /** Adds up every cell, folding those whose thread has ended into the base. */
    synchronized Totals sum() {
        long hits = baseHits;
        long misses = baseMisses;
        long dirtied = baseDirtied;
        for (Iterator<Cell> it = live.iterator(); it.hasNext(); ) {
            Cell c = it.next();
            boolean gone = c.ownerGone(); // read before the counters: a dead thread's last writes are then visible
            hits += c.hits;
            misses += c.misses;
            dirtied += c.bytesDirtied;
            if (gone) {
                baseHits += c.hits;
                baseMisses += c.misses;
                baseDirtied += c.bytesDirtied;
                it.remove();
            }
        }
        return new Totals(hits, misses, dirtied);
    }
}
