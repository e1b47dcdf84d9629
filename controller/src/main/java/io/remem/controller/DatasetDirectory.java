package io.remem.controller;

import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetMode;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.SlabDescriptor;
import io.remem.protocol.SlabRun;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Named datasets as a whole: create, open, close, delete and list them, journaled, under the metadata lock (see
 * {@link Datasets} for what is kept).
 */
final class DatasetDirectory {
    private final SlabLedger ledger;
    private final Datasets datasets;
    private final Leases leases;

    DatasetDirectory(SlabLedger ledger, Datasets datasets, Leases leases) {
        this.ledger = ledger;
        this.datasets = datasets;
        this.leases = leases;
    }

    private static RememException noSuch(String tenant, String name) {
        return new RememException(ErrorCode.NO_SUCH_DATASET, "tenant " + tenant + " has no dataset " + name);
    }

    /**
     * Opens {@code owner}'s dataset {@code name} for lease {@code lease} of tenant {@code asker}: what it is, what the
     * asker may do with it, and where its slabs are (the caller adds the grant memory nodes need). Another tenant's
     * dataset that is not granted to the asker is answered as one that does not exist.
     */
    DatasetInfo.Opened open(String asker, String owner, String name, long lease) {
        return ledger.locked(() -> {
            Datasets.Dataset d = datasets.get(owner, name);
            DatasetAccess access = d == null ? DatasetAccess.NONE : datasets.access(owner, name, asker);
            if (!access.reads()) {
                throw noSuch(owner, name);
            }
            if (lease != 0 && !leases.exists(asker, lease)) {
                throw new RememException(ErrorCode.LEASE_EXPIRED, "lease " + Long.toHexString(lease) + " of tenant "
                        + asker + " has expired");
            }
            if (lease != 0) { // 0: an admin or a tool, not a session; it holds nothing open
                Journal.DatasetOpened opened = new Journal.DatasetOpened(owner, name, asker, lease);
                ledger.journal(List.of(opened));
                datasets.apply(opened);
            }
            List<SlabDescriptor> slabs = new ArrayList<>(d.slabs().length);
            for (long id : d.slabs()) {
                slabs.add(ledger.descriptor(ledger.slabRecord(id)));
            }
            return new DatasetInfo.Opened(datasets.info(d, asker), access, new byte[0], new SlabRun(slabs));
        });
    }

    /**
     * The owner of a dataset grants {@code grantee} access to it, or revokes it (NONE); journaled. A grant is checked
     * when the grantee opens the dataset; the capability it then gets lasts its lifetime (the token TTL), so a revoke
     * stops new opens at once and running ones when their capability expires.
     */
    void grant(String owner, String name, String grantee, DatasetAccess access) {
        ledger.locked(() -> {
            if (datasets.get(owner, name) == null) {
                throw noSuch(owner, name);
            }
            if (access != DatasetAccess.NONE && !ledger.tenantExists(grantee)) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "there is no tenant " + grantee
                        + " to grant dataset " + name + " to");
            }
            if (grantee.equals(owner)) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "tenant " + owner + " owns dataset " + name
                        + "; grants are for other tenants");
            }
            if (access != DatasetAccess.NONE && datasets.access(owner, name, grantee) == DatasetAccess.NONE
                    && datasets.grantCount(owner, name) >= DatasetInfo.MAX_GRANTS) {
                throw new RememException(ErrorCode.OVERLOADED, "dataset " + name + " is granted to "
                        + DatasetInfo.MAX_GRANTS + " tenants, the most it may be");
            }
            Journal.DatasetGrant g = new Journal.DatasetGrant(owner, name, grantee, access);
            ledger.journal(List.of(g));
            datasets.apply(g);
            return null;
        });
    }

    /**
     * Makes a reserved run permanent as {@code tenant}'s new dataset {@code name}, in one journal append.
     *
     * @throws RememException DATASET_EXISTS if another creator won the name meanwhile; the run stays reserved, for the
     *                        caller to abort
     */
    void commit(List<SlabRecord> run, String name, long bytes, int replication, DatasetMode mode) {
        ledger.locked(() -> {
            String tenant = run.getFirst().tenant();
            if (datasets.get(tenant, name) != null) {
                throw new RememException(ErrorCode.DATASET_EXISTS, "tenant " + tenant + " has a dataset " + name);
            }
            adopt(run, new Journal.Dataset(tenant, name, bytes, replication, mode,
                    run.stream().mapToLong(SlabRecord::id).toArray()));
            return null;
        });
    }

    /**
     * What growing a dataset to {@code bytes} takes: more slabs, whole ones, appended to its run.
     *
     * @param firstId     the id of the first new slab
     * @param bytes       how many bytes of new slabs; 0 if it grew within the slabs it had
     * @param window      the dataset's first slab id, where its id window begins
     */
    record Growth(long firstId, long bytes, long window, int replication) {}

    /**
     * Grows {@code owner}'s dataset to {@code bytes} as far as its slabs hold them (journaled here), and says what more
     * slabs it needs beyond those; null if it is that big already. Only the owner may grow it; to anyone else it may read, asking for no
     * more than its size changes nothing.
     */
    Growth planGrowth(String asker, String owner, String name, long bytes, long slabSize) {
        return ledger.locked(() -> {
            Datasets.Dataset d = datasets.get(owner, name);
            if (d == null || !datasets.access(owner, name, asker).reads()) {
                throw noSuch(owner, name);
            }
            if (bytes <= d.bytes()) {
                return null;
            }
            if (!asker.equals(owner)) {
                throw new RememException(ErrorCode.ACCESS_DENIED, "only tenant " + owner + " may grow its dataset "
                        + name);
            }
            long held = 0;
            for (long id : d.slabs()) {
                held += ledger.slabRecord(id).size();
            }
            if (bytes <= held) {
                Journal.Dataset grown = new Journal.Dataset(owner, name, bytes, d.replication(), d.mode(), d.slabs());
                ledger.journal(List.of(grown));
                datasets.apply(grown);
                return new Growth(0, 0, d.slabs()[0], d.replication());
            }
            long last = d.slabs()[d.slabs().length - 1];
            if (ledger.slabRecord(last).size() < slabSize) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "dataset " + name + " was not created growable (its"
                        + " last slab holds " + ledger.slabRecord(last).size() + " of " + slabSize + " bytes); it can grow"
                        + " to " + held + " bytes. Create it growable to grow it further");
            }
            long more = bytes - held;
            long slabs = d.slabs().length + Math.ceilDiv(more, slabSize);
            if (slabs > Datasets.WINDOW) {
                throw new RememException(ErrorCode.TOO_LARGE, "dataset " + name + " of " + bytes + " bytes needs "
                        + slabs + " slabs; at most " + Datasets.WINDOW + " of " + slabSize + " bytes");
            }
            return new Growth(last + 1, more, d.slabs()[0], d.replication());
        });
    }

    /**
     * Appends a reserved run of whole slabs to {@code owner}'s dataset, which then holds {@code bytes}, in one journal
     * append.
     *
     * @throws RememException NO_SUCH_DATASET if it was deleted meanwhile; the run stays reserved, for the caller to abort
     */
    void commitGrowth(List<SlabRecord> run, String owner, String name, long bytes) {
        ledger.locked(() -> {
            Datasets.Dataset d = datasets.get(owner, name);
            if (d == null || d.slabs()[d.slabs().length - 1] + 1 != run.getFirst().id()) {
                throw new RememException(ErrorCode.NO_SUCH_DATASET, "dataset " + name + " of tenant " + owner
                        + " was deleted while it grew");
            }
            long[] slabs = Arrays.copyOf(d.slabs(), d.slabs().length + run.size());
            for (int i = 0; i < run.size(); i++) {
                slabs[d.slabs().length + i] = run.get(i).id();
            }
            adopt(run, new Journal.Dataset(owner, name, bytes, d.replication(), d.mode(), slabs));
            return null;
        });
    }

    /** Journals a reserved run's slabs and the dataset entry that takes them in, as one change, and applies both. */
    private void adopt(List<SlabRecord> run, Journal.Dataset entry) {
        List<Journal.Entry> entries = new ArrayList<>(run.size() + 1);
        for (SlabRecord s : run) {
            entries.add(Journal.Slab.of(s));
        }
        entries.add(entry);
        ledger.journal(entries);
        run.forEach(ledger::adopt);
        datasets.apply(entry);
    }

    /** Claims the creation of dataset {@code name}; false if it exists or is being created by another request. */
    boolean claimCreation(String tenant, String name) {
        return ledger.locked(() -> datasets.claimCreation(tenant, name));
    }

    void endCreation(String tenant, String name) {
        ledger.locked(() -> {
            datasets.endCreation(tenant, name);
            return null;
        });
    }

    boolean beingCreated(String tenant, String name) {
        return ledger.locked(() -> datasets.beingCreated(tenant, name));
    }

    boolean exists(String tenant, String name) {
        return ledger.locked(() -> datasets.get(tenant, name) != null);
    }

    /** Lease {@code lease} of {@code asker} closes the dataset once; closing one it does not have open changes nothing. */
    void close(String asker, String owner, String name, long lease) {
        ledger.locked(() -> {
            if (datasets.isOpenBy(owner, name, new Datasets.Session(asker, lease))) {
                Journal.DatasetClosed closed = new Journal.DatasetClosed(owner, name, asker, lease);
                ledger.journal(List.of(closed));
                datasets.apply(closed);
            }
            return null;
        });
    }

    /**
     * Deletes a dataset and frees its slabs, journaled as one change; returns the slabs, for the caller to delete on
     * their nodes. {@code lease} is the asker's own session (0 for an admin), whose own open does not count.
     */
    List<SlabRecord> delete(String tenant, String name, boolean force, long lease) {
        return ledger.locked(() -> {
            Datasets.Dataset d = datasets.get(tenant, name);
            if (d == null) {
                throw noSuch(tenant, name);
            }
            int others = datasets.openByOthers(tenant, name, new Datasets.Session(tenant, lease));
            if (others > 0 && !force) {
                throw new RememException(ErrorCode.DATASET_IN_USE, "dataset " + name + " of tenant " + tenant
                        + " is open in " + others + " other session(s); delete it with force to free it under them");
            }
            Journal.DatasetDeleted deleted = new Journal.DatasetDeleted(tenant, name);
            List<SlabRecord> run = ledger.freeWith(d.slabs(), deleted);
            datasets.apply(deleted);
            return run;
        });
    }

    /** The datasets {@code tenant} owns or was granted, or every dataset if null. */
    List<DatasetInfo> list(String tenant) {
        return ledger.locked(() -> datasets.list(tenant));
    }
}
