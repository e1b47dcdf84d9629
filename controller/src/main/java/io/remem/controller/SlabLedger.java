package io.remem.controller;

import io.remem.protocol.SlabDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What the lease keeper and the dataset directory need of the metadata: its lock, its journal, and its slabs. Every
 * method but {@link #locked} expects the caller to hold the lock, so a change and its journal entries stay in order.
 */
interface SlabLedger {
    /** Runs {@code work} under the metadata lock (reentrant). */
    <T> T locked(Supplier<T> work);

    /** Forces entries to the journal as one change: replayed whole or not at all. */
    void journal(List<? extends Journal.Entry> entries);

    /** Whether {@code tenant} is one the controller knows now. */
    boolean tenantExists(String tenant);

    /** The slab, or null if there is none. */
    SlabRecord slabRecord(long id);

    /** A reserved slab becomes permanent. */
    void adopt(SlabRecord s);

    /** A slab is freed: it leaves the metadata and its bytes leave its tenant's and nodes' accounts. */
    void release(SlabRecord s);

    /** Where the slab's replicas are, as clients see it. */
    SlabDescriptor descriptor(SlabRecord s);

    /**
     * Frees those of {@code slabIds} that exist, journaled together with {@code cause} (the lease's end, the dataset's
     * deletion) as one change; returns them, for the caller to delete on their nodes.
     */
    default List<SlabRecord> freeWith(long[] slabIds, Journal.Entry cause) {
        List<SlabRecord> run = new ArrayList<>(slabIds.length);
        List<Journal.Entry> entries = new ArrayList<>(slabIds.length + 1);
        for (long id : slabIds) {
            SlabRecord s = slabRecord(id);
            if (s != null) {
                run.add(s);
                entries.add(new Journal.SlabFreed(id));
            }
        }
        entries.add(cause);
        journal(entries);
        run.forEach(this::release);
        return run;
    }
}
