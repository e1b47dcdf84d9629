package io.remem.client;

import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetDelete;
import io.remem.protocol.DatasetGrantChange;
import io.remem.protocol.DatasetGrow;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetName;
import io.remem.protocol.SlabDescriptor;
import io.remem.protocol.SlabRun;
import io.remem.protocol.TenantName;
import io.remem.protocol.auth.TokenKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A session's way to named datasets, its tenant's own and those other tenants granted it: opens them into its slab
 * table, presents the grants memory nodes need (and renews them at half their life), closes and deletes them.
 */
final class DatasetCatalog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DatasetCatalog.class);

    private final ControllerClient controller;
    private final SlabTable table;
    private final LocalCache cache;
    private final NodeLinks links;
    private final String tenant;
    private final SessionLease lease;
    private final int replication;
    private final Clock clock;
    /** The datasets this session has open, by "owner/name": where their slabs are. */
    private final Map<String, SlabRun> open = new ConcurrentHashMap<>();
    /** How many handles of each dataset this session holds. */
    private final Map<String, Integer> handles = new ConcurrentHashMap<>();
    /**
     * The coherence of each open coherent dataset, one per session however many handles it has: its far locks hold
     * the session's lease id, so only a local lock shared by every handle keeps the session's own threads apart.
     */
    private final Map<String, Coherence> coherences = new ConcurrentHashMap<>();
    /** The renewal of each open dataset's grant (other tenants' datasets only). */
    private final Map<String, ScheduledFuture<?>> renewals = new ConcurrentHashMap<>();
    /** Renews grants; made with the first foreign dataset. */
    private volatile ScheduledExecutorService renewer;

    /** @param replication the session's default copies for datasets it creates (0: the cluster's) */
    DatasetCatalog(ControllerClient controller, SlabTable table, LocalCache cache, NodeLinks links, String tenant,
                   SessionLease lease, int replication, Clock clock) {
        this.controller = controller;
        this.table = table;
        this.cache = cache;
        this.links = links;
        this.tenant = tenant;
        this.lease = lease;
        this.replication = replication;
        this.clock = clock;
    }

    Dataset open(FarMemory memory, String owner, String name, DatasetOptions options) {
        DatasetName.check(name);
        String own = owner.isEmpty() || owner.equals(tenant) ? "" : TenantName.check(owner);
        DatasetInfo.Opened opened = lease.call(id -> controller.openDataset(options.request(own, name, replication), id));
        SlabRun run = opened.run();
        String key = key(opened.info().owner(), name);
        if (opened.grant().length > 0) {
            links.present(opened.grant());
            scheduleRenewal(own, name, opened.grant());
        }
        // Not fresh: what another runtime wrote is on the memory nodes, and must be read from there.
        table.add(run, false);
        open.put(key, run);
        handles.merge(key, 1, Integer::sum);
        long address = table.farAddress(run.firstSlabId(), 0);
        long bytes = opened.info().bytes();
        boolean readOnly = !opened.access().writes();
        FarSegment segment = segment(memory, opened.info(), address, readOnly);
        Dataset.Resize resize = grow -> grown(memory, own, name, key, grow, address, readOnly);
        Coherence coherence = !opened.info().mode().isCoherent() ? null : coherences.computeIfAbsent(key,
                k -> new Coherence(k, opened.info().mode(), bytes, address,
                        new NodeAccess(cache.backend(), table.slabShift(), cache.fetchTimeoutNanos),
                        readOnly ? null : segment.asSlice(0, CoherenceLayout.HEADER), memory, memory.leaseProbe(),
                        memory.leaseId(), () -> resize.grow(0)));
        if (coherence != null) {
            coherence.learnTotal(bytes); // a second handle may know it bigger than the first did
        }
        return new Dataset(new Dataset.View(opened.info(), segment), opened.access(), coherence, resize, () -> {
            if (!readOnly) {
                cache.flush();
            }
            if (handles.merge(key, -1, (a, b) -> a + b <= 0 ? null : a + b) == null) {
                forget(key, run);
            }
            controller.closeDataset(own, name, lease.id());
        });
    }

    private FarSegment segment(FarMemory memory, DatasetInfo info, long address, boolean readOnly) {
        Allocation allocation = new Allocation(memory, address, info.bytes(), true, info.name(),
                readOnly);
        return new FarSegment(cache, allocation, address, info.bytes());
    }

    /**
     * Grows the dataset to at least {@code bytes} (0: none), and takes in the slabs it has now that this session does
     * not know yet, and, for another tenant's, the grant that covers them.
     */
    private Dataset.View grown(FarMemory memory, String owner, String name, String key, long bytes, long address,
                               boolean readOnly) {
        DatasetInfo.Opened o = controller.growDataset(new DatasetGrow(owner, name, bytes));
        if (!open.containsKey(key)) {
            // Closed here meanwhile: take in nothing, so no grant is presented that nobody renews or withdraws.
            throw new IllegalStateException("dataset " + key + " is closed in this session");
        }
        List<SlabDescriptor> added = new ArrayList<>();
        for (SlabDescriptor d : o.run().slabs()) {
            if (table.findSlab(d.slabId()) == null) {
                added.add(d);
            }
        }
        if (!added.isEmpty()) {
            table.add(new SlabRun(added), false); // not fresh: another runtime may have grown it and written there
        }
        open.computeIfPresent(key, (k, run) -> o.run());
        if (o.grant().length > 0) {
            links.present(o.grant());
        }
        Coherence c = coherences.get(key);
        if (c != null) {
            c.learnTotal(o.info().bytes());
        }
        return new Dataset.View(o.info(), segment(memory, o.info(), address, readOnly));
    }

    /** This session no longer has the dataset open: no renewal, no grant presented. Its cache lines stay valid. */
    private void forget(String key, SlabRun run) {
        open.remove(key);
        handles.remove(key);
        coherences.remove(key);
        ScheduledFuture<?> r = renewals.remove(key);
        if (r != null) {
            r.cancel(false);
            links.withdraw(run.firstSlabId());
        }
    }

    private static String key(String owner, String name) {
        return owner + "/" + name;
    }

    /** Opens the dataset again at half its grant's life, for a fresh grant, while this session has it open. */
    private void scheduleRenewal(String owner, String name, byte[] grant) {
        long life = TokenKeys.peekGrant(grant).expiresAtMillis() - clock.millis();
        ScheduledExecutorService r = renewer;
        if (r == null) {
            synchronized (this) {
                if (renewer == null) {
                    renewer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
                            .name("remem-grants").factory());
                }
                r = renewer;
            }
        }
        String k = key(owner.isEmpty() ? tenant : owner, name);
        renewals.put(k, r.schedule(() -> renew(owner, name), Math.max(1_000, life / 2), TimeUnit.MILLISECONDS));
    }

    private void renew(String owner, String name) {
        SlabRun run = open.get(key(owner, name));
        if (run == null) {
            return; // closed or deleted meanwhile
        }
        try {
            DatasetInfo.Opened o = controller.openDataset(DatasetOptions.open().request(owner, name, replication), lease.id());
            controller.closeDataset(owner, name, lease.id()); // the renewal's own open: this session counts once
            links.present(o.grant());
            scheduleRenewal(owner, name, o.grant());
        } catch (RuntimeException e) {
            // Revoked, deleted, or the controller unreachable: the grant lapses, and is not presented once expired.
            links.withdraw(run.firstSlabId());
            renewals.remove(key(owner, name));
            log.warn("renewing the grant to dataset {}/{} failed ({}); its accesses fail once the grant expires",
                    owner, name, e.toString());
        }
    }

    void grant(String name, String grantee, DatasetAccess access) {
        controller.grantDataset(new DatasetGrantChange(name, grantee, access));
    }

    List<DatasetInfo> list() {
        return controller.datasets();
    }

    /** Deletes one of this tenant's datasets; if this session has it open, its cached lines and slab entries go too. */
    void delete(String name, boolean force) {
        controller.deleteDataset(new DatasetDelete(tenant, name, force), lease.id());
        SlabRun run = open.get(key(tenant, name));
        if (run != null) {
            forget(key(tenant, name), run);
            cache.discard(table.farAddress(run.firstSlabId(), 0), run.bytes());
            table.remove(run.firstSlabId(), run.slabs().size());
        }
    }

    /** Whether {@code slabId} belongs to a dataset this session has open. */
    boolean holds(long slabId) {
        for (SlabRun run : open.values()) {
            if (slabId >= run.firstSlabId() && slabId < run.firstSlabId() + run.slabs().size()) {
                return true;
            }
        }
        return false;
    }

    /** After the lease was reopened (it had expired): the datasets this session uses count as open by it again. */
    void reopenAll() {
        for (String k : open.keySet()) {
            String owner = k.substring(0, k.indexOf('/'));
            String name = k.substring(k.indexOf('/') + 1);
            try {
                controller.openDataset(DatasetOptions.open().request(owner.equals(tenant) ? "" : owner, name,
                        replication), lease.id());
            } catch (RuntimeException e) {
                log.warn("reopening dataset {} failed: {}", k, e.toString());
            }
        }
    }

    @Override
    public void close() {
        ScheduledExecutorService r = renewer;
        if (r != null) {
            r.shutdownNow();
        }
    }
}
