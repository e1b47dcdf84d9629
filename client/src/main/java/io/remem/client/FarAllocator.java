package io.remem.client;

import io.remem.protocol.SlabRun;

import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands out far memory on the compute side (docs/design.md, "Addresses and allocation"): the controller hands out slabs, this hands
 * out bytes. Small objects come from size-class spans carved out of small-object slabs, so most allocations
 * need no round trip; anything larger than {@link SizeClasses#MAX_SMALL} gets its own run of slabs.
 *
 * <p>Freed small objects go back to their class and are zeroed when reused, so every allocation reads as
 * zeros, like {@link java.lang.foreign.Arena#allocate}. Freed runs go back to the controller.
 */
final class FarAllocator {
    static final long SPAN = 1 << 20;
    /** Small-object slabs are requested this big: a few spans per controller round trip. */
    static final long SMALL_SLAB = 8 << 20;

    private final ControllerClient controller;
    private final SessionLease lease;
    private final SlabTable table;
    private final LocalCache cache;
    private final int replication;
    private final ReentrantLock lock = new ReentrantLock();
    private final long[][] freeLists = new long[SizeClasses.count()][];
    private final int[] freeCounts = new int[SizeClasses.count()];
    private final long[] spanNext = new long[SizeClasses.count()];
    private final long[] spanEnd = new long[SizeClasses.count()];
    private long slabNext;
    private long slabEnd;

    /** @param lease the session's lease, which every slab allocated here joins */
    FarAllocator(ControllerClient controller, SlabTable table, LocalCache cache, int replication, SessionLease lease) {
        this.controller = controller;
        this.lease = lease;
        this.table = table;
        this.cache = cache;
        this.replication = replication;
    }

    /** Far address of {@code bytes} fresh bytes, all zero, in slabs of their own with {@code replication} copies. */
    long allocateRun(long bytes, int replication) {
        SlabRun run = lease.call(id -> controller.allocate(bytes, replication, id));
        table.add(run, true);
        return table.farAddress(run.firstSlabId(), 0);
    }

    /** Far address of {@code bytes} fresh bytes, all zero. */
    long allocate(long bytes) {
        if (bytes > SizeClasses.MAX_SMALL) {
            SlabRun run = lease.call(id -> controller.allocate(bytes, replication, id));
            table.add(run, true);
            return table.farAddress(run.firstSlabId(), 0);
        }
        int cls = SizeClasses.classOf(Math.max(1, bytes));
        boolean reused;
        long addr = 0;
        lock.lock();
        try {
            reused = freeCounts[cls] > 0;
            if (reused) {
                addr = freeLists[cls][--freeCounts[cls]];
            }
        } finally {
            lock.unlock();
        }
        if (reused) {
            cache.fill(addr, SizeClasses.size(cls), (byte) 0);
            return addr;
        }
        // The lease is called outside the lock: recovering an expired one forgets this allocator's slabs, under it.
        return lease.call(id -> {
            lock.lock();
            try {
                return carve(cls, id);
            } finally {
                lock.unlock();
            }
        });
    }

    /** Gives back what {@link #allocate} returned for {@code bytes}. */
    void free(long addr, long bytes, boolean ownRun) {
        if (ownRun || bytes > SizeClasses.MAX_SMALL) {
            cache.discard(addr, bytes);
            long first = table.slabId(addr);
            int count = (int) ((bytes + (1L << table.slabShift()) - 1) >>> table.slabShift());
            controller.free(first, count);
            table.remove(first, count);
            return;
        }
        int cls = SizeClasses.classOf(Math.max(1, bytes));
        lock.lock();
        try {
            long[] list = freeLists[cls];
            if (list == null) {
                list = freeLists[cls] = new long[64];
            } else if (freeCounts[cls] == list.length) {
                list = freeLists[cls] = Arrays.copyOf(list, list.length * 2);
            }
            list[freeCounts[cls]++] = addr;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Forgets every slab this allocator carves small objects from, and every freed small object: the lease that held
     * them expired and the controller freed them. Small allocations from now on come from new slabs.
     */
    void forgetSmallObjectSlabs() {
        lock.lock();
        try {
            slabNext = 0;
            slabEnd = 0;
            Arrays.fill(spanNext, 0);
            Arrays.fill(spanEnd, 0);
            Arrays.fill(freeCounts, 0);
        } finally {
            lock.unlock();
        }
    }

    private long carve(int cls, long leaseId) {
        int size = SizeClasses.size(cls);
        if (spanNext[cls] + size > spanEnd[cls]) {
            if (slabNext + SPAN > slabEnd) {
                SlabRun run = controller.allocate(SMALL_SLAB, replication, leaseId);
                table.add(run, true);
                slabNext = table.farAddress(run.firstSlabId(), 0);
                slabEnd = slabNext + SMALL_SLAB;
            }
            spanNext[cls] = slabNext;
            spanEnd[cls] = slabNext + SPAN;
            slabNext += SPAN;
        }
        long addr = spanNext[cls];
        spanNext[cls] += size;
        return addr;
    }
}
