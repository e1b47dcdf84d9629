package io.remem.controller;

import io.remem.protocol.ClusterStatus;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.NodeHeartbeat;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegistered;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.SlabDescriptor;
import io.remem.protocol.SlabRun;
import io.remem.transport.Peer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.NodeKey;
import io.remem.protocol.auth.Scram;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Everything the controller knows: memory nodes, slabs and what each tenant holds. One lock guards it; the
 * control path is not hot, and one lock keeps every change and its journal entry in the same order.
 * Changes are journaled before they are acknowledged.
 */
final class Metadata implements AutoCloseable, SlabLedger {
    private static final Logger log = LoggerFactory.getLogger(Metadata.class);

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Long, NodeRecord> nodes = new LinkedHashMap<>();
    private final Map<Long, SlabRecord> slabs = new HashMap<>();
    private final Tenants tenants;
    private final Leases leases;
    private final Datasets datasets = new Datasets();
    private final LeaseKeeper leaseKeeper;
    private final DatasetDirectory datasetDirectory;
    private final Journal journal;
    private final int slabShift;
    private final Placement placement;
    private final IdSpace idSpace;
    /** Slabs whose copy on a node failed its checksums while it was the only one: slab id to node id. Not journaled:
     * the node reports it again when it registers. */
    private final Map<Long, Long> quarantined = new HashMap<>();
    /**
     * Ids of runs reserved and not yet committed or aborted, with their tenants: two allocations never pick the same
     * ids, and a tenant with an allocation in progress is not removed under it.
     */
    private final Map<Long, String> reserved = new HashMap<>();
    /** Kept only for the journal's watermark entry: slab ids are random now ({@link SlabIds}). */
    private long nextSlabId = 1;
    private long nextNodeId = 1;
    /** Ids above this are never adopted from a registration, so the id counter cannot be pushed to overflow. */
    private static final long MAX_ADOPTED_NODE_ID = 1L << 40;

    private Metadata(Journal journal, int slabShift, long defaultQuota, long leaseTimeoutNanos, RandomGenerator random,
                     RandomGenerator ids) {
        this.journal = journal;
        this.leases = new Leases(System::nanoTime, leaseTimeoutNanos);
        this.leaseKeeper = new LeaseKeeper(this, leases, datasets);
        this.datasetDirectory = new DatasetDirectory(this, datasets, leases);
        this.slabShift = slabShift;
        this.placement = new Placement(random);
        this.tenants = new Tenants(defaultQuota);
        this.idSpace = new IdSpace(slabShift, ids, slabs, reserved, datasets);
    }

    /** Recovers the metadata persisted in the config's data directory, or starts empty. */
    static Metadata recover(ControllerConfig config, RandomGenerator random) {
        return recover(config, random, new SecureRandom());
    }

    /** As above; {@code ids} picks slab ids (a secure source in production, so they cannot be guessed). */
    static Metadata recover(ControllerConfig config, RandomGenerator random, RandomGenerator ids) {
        Journal journal = Journal.open(config.dataDir());
        List<Journal.Entry> entries = journal.replay();
        int shift = config.slabShift();
        for (Journal.Entry e : entries) {
            if (e instanceof Journal.Layout(int recorded) && recorded != shift) {
                journal.close();
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "data directory " + config.dataDir()
                        + " was created with a slab size of " + (1L << recorded) + " bytes; start the controller with"
                        + " that slab size, or with a new data directory");
            }
        }
        Metadata m = new Metadata(journal, shift, config.defaultQuota(), config.leaseTimeout().toNanos(), random, ids);
        for (Journal.Entry e : entries) {
            m.apply(e);
        }
        // Nodes are presumed alive until they have had a full timeout to register again, so a controller restart does
        // not declare the whole cluster dead.
        long now = System.nanoTime();
        for (NodeRecord n : m.nodes.values()) {
            n.alive = true;
            n.lastHeartbeatNanos = now;
        }
        journal.rewrite(m.snapshot());
        log.info("recovered {} memory nodes, {} slabs and {} tenants from {}", m.nodes.size(), m.slabs.size(),
                m.tenants.size(), config.dataDir());
        return m;
    }

    private void apply(Journal.Entry e) {
        switch (e) {
            case Journal.Layout l -> { }
            case Journal.Node n -> {
                NodeRecord rec = nodes.computeIfAbsent(n.id(), id -> new NodeRecord(id, n.host(), n.port(), n.capacity()));
                rec.host = n.host();
                rec.port = n.port();
                rec.capacity = n.capacity();
                rec.publicKey = n.publicKey();
                rec.draining = n.draining();
                nextNodeId = Math.max(nextNodeId, n.id() + 1);
            }
            case Journal.Tenant t -> tenants.apply(t);
            case Journal.TenantRemoved r -> tenants.apply(r);
            case Journal.Slab s -> {
                SlabRecord rec = s.record();
                SlabRecord old = slabs.put(s.id(), rec);
                if (old != null) {
                    charge(old, -1);
                }
                charge(rec, +1);
                nextSlabId = Math.max(nextSlabId, s.id() + 1);
            }
            case Journal.Lease l -> leases.apply(l);
            case Journal.LeaseEnded ended -> {
                leases.apply(ended);
                datasets.leaseEnded(ended.tenant(), ended.id());
            }
            case Journal.DatasetOpened d -> datasets.apply(d);
            case Journal.DatasetClosed d -> datasets.apply(d);
            case Journal.DatasetGrant g -> datasets.apply(g);
            case Journal.Dataset d -> datasets.apply(d);
            case Journal.DatasetDeleted d -> datasets.apply(d);
            case Journal.SlabFreed f -> {
                leases.slabFreed(f.id());
                SlabRecord rec = slabs.remove(f.id());
                if (rec != null) {
                    charge(rec, -1);
                }
            }
            case Journal.Watermark w -> {
                nextSlabId = Math.max(nextSlabId, w.nextSlabId());
                nextNodeId = Math.max(nextNodeId, w.nextNodeId());
            }
        }
    }

    private List<Journal.Entry> snapshot() {
        List<Journal.Entry> out = new ArrayList<>();
        out.add(new Journal.Layout(slabShift));
        out.add(new Journal.Watermark(nextSlabId, nextNodeId));
        for (NodeRecord n : nodes.values()) {
            out.add(n.entry());
        }
        out.addAll(tenants.snapshot());
        for (SlabRecord s : slabs.values()) {
            out.add(Journal.Slab.of(s));
        }
        out.addAll(leases.snapshot());
        out.addAll(datasets.snapshot());
        return out;
    }

    /** Adds ({@code sign} +1) or removes (-1) a slab's bytes from its tenant's and its nodes' accounts. */
    private void charge(SlabRecord s, int sign) {
        tenants.charge(s.tenant(), s.size(), sign);
        for (long nodeId : s.replicas()) {
            NodeRecord n = nodes.get(nodeId);
            if (n != null) {
                n.reserved += sign * s.size();
                n.slabs += sign;
            }
        }
    }

    int slabShift() {
        return slabShift;
    }

    // ------------------------------------------------------------------ memory nodes

    /**
     * Which of the slabs a registering node holds it should keep: those it is a readable replica of. It held every
     * acknowledged write of those, since each needed its answer. Everything else is stale (it was dropped from the
     * slab while away, or its copy never finished) or freed, and must never be served.
     *
     * <p>A copy the node reports damaged is dropped if another live replica can be copied from, and re-replicated; if it
     * is the only readable copy, it goes in the restore list instead, with what the controller knows of it, so the node
     * can check its data against its checksums and serve it again only if they pass.
     */
    NodeRegistered reconcile(NodeRecord node, List<NodeRegister.HeldSlab> held, long heartbeatMillis) {
        lock.lock();
        try {
            List<Long> keep = new ArrayList<>();
            List<NodeRegistered.Restore> restore = new ArrayList<>();
            List<Journal.Entry> dropped = new ArrayList<>();
            for (NodeRegister.HeldSlab h : held) {
                SlabRecord rec = slabs.get(h.slabId());
                if (rec == null || !rec.readableOn(node.id)) {
                    log.info("memory node {} holds slab {} (epoch {}), which is not a current replica there: it will"
                            + " drop it", node.id, h.slabId(), h.epoch());
                } else if (!h.damaged()) {
                    keep.add(h.slabId());
                    quarantined.remove(h.slabId(), node.id); // healthy now: a lost "restored" report must not linger
                } else if (anotherLiveReadable(rec, node.id)) {
                    log.warn("memory node {} reports its copy of slab {} damaged; dropping it, another copy is live",
                            node.id, h.slabId());
                    SlabRecord next = rec.without(node.id);
                    dropped.add(Journal.Slab.of(next));
                } else {
                    log.warn("memory node {} reports its copy of slab {} damaged, and it is the only copy; it checks the"
                            + " data against its checksums, and the copy stays quarantined unless it passes", node.id,
                            h.slabId());
                    restore.add(new NodeRegistered.Restore(rec.id(), rec.tenant(), rec.size(), rec.epoch()));
                    quarantined.put(rec.id(), node.id);
                }
            }
            journal.append(dropped);
            for (Journal.Entry e : dropped) {
                replace(((Journal.Slab) e).record());
            }
            return new NodeRegistered(node.id, heartbeatMillis, keep, restore);
        } finally {
            lock.unlock();
        }
    }

    /** A quarantined copy passed its checks after all (its metadata was rebuilt): it serves again. */
    void restored(long slabId, long nodeId) {
        lock.lock();
        try {
            quarantined.remove(slabId, nodeId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Registers a node, new or returning; a returning node keeps its id and its slabs. The registration must be signed
     * by the node's key over this session's {@code binding}, and a returning node's key must be the one its id is bound
     * to, so no other process can take over a node's id.
     *
     * @throws AuthenticationFailure if the signature or the key is wrong
     */
    NodeRecord register(NodeRegister reg, Peer link, byte[] binding) {
        if (!NodeKey.verify(reg.publicKey(), reg.signature(), binding, reg.nodeId())) {
            throw new AuthenticationFailure("registration of node " + reg.nodeId() + " is not signed by the key it presents");
        }
        lock.lock();
        try {
            NodeRecord rec = reg.nodeId() == 0 ? null : nodes.get(reg.nodeId());
            if (rec != null && rec.publicKey.length > 0 && !Arrays.equals(rec.publicKey, reg.publicKey())) {
                throw new AuthenticationFailure("node id " + reg.nodeId() + " is bound to another key; a process without"
                        + " that node's data directory registered under its id");
            }
            List<Journal.Entry> entries = new ArrayList<>(2);
            if (rec == null) {
                // A node whose id this controller does not know (its journal was lost) keeps it, within reason.
                long id = reg.nodeId() >= nextNodeId && reg.nodeId() < MAX_ADOPTED_NODE_ID ? reg.nodeId() : nextNodeId;
                nextNodeId = id + 1;
                rec = new NodeRecord(id, reg.host(), reg.port(), reg.capacity());
                entries.add(new Journal.Watermark(nextSlabId, nextNodeId));
            }
            NodeRecord node = rec;
            Journal.Node next = new Journal.Node(node.id, reg.host(), reg.port(), reg.capacity(), reg.publicKey(),
                    node.draining);
            entries.add(next);
            journal.append(entries);
            node.host = reg.host();
            node.port = reg.port();
            node.capacity = reg.capacity();
            node.publicKey = reg.publicKey();
            nodes.put(node.id, node);
            node.link = link;
            node.linkLostNanos = 0;
            node.lastHeartbeatNanos = System.nanoTime();
            node.alive = true;
            return node;
        } finally {
            lock.unlock();
        }
    }

    /** Starts ({@code draining}) or stops moving every slab off {@code nodeId}; journaled, so a restart keeps it. */
    NodeRecord drain(long nodeId, boolean draining) {
        lock.lock();
        try {
            NodeRecord n = nodes.get(nodeId);
            if (n == null) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "there is no memory node " + nodeId);
            }
            if (n.draining != draining) {
                journal.append(List.of(new Journal.Node(n.id, n.host, n.port, n.capacity, n.publicKey, draining)));
                n.draining = draining;
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A node declared dead may have been dropped from slabs it still holds; it must register again, which tells it
     * which of them to delete, before it counts as alive.
     */
    void heartbeat(NodeRecord node, NodeHeartbeat hb) {
        if (!node.alive) {
            throw new RememException(ErrorCode.NODE_UNAVAILABLE, "memory node " + node.id
                    + " was declared dead; register again");
        }
        node.backed = hb.backedBytes();
        node.lastHeartbeatNanos = System.nanoTime();
    }

    /**
     * Marks as dead the nodes silent for longer than {@code timeoutNanos}, and those whose connection closed more
     * than {@code graceNanos} ago without a new registration (a crashed process: its sockets close at once). Returns
     * the newly dead ones.
     */
    List<NodeRecord> detectFailures(long nowNanos, long timeoutNanos, long graceNanos) {
        List<NodeRecord> dead = new ArrayList<>();
        lock.lock();
        try {
            for (NodeRecord n : nodes.values()) {
                boolean silent = nowNanos - n.lastHeartbeatNanos > timeoutNanos;
                boolean gone = n.link == null && n.linkLostNanos != 0 && nowNanos - n.linkLostNanos > graceNanos;
                if (n.alive && (silent || gone)) {
                    n.alive = false;
                    dead.add(n);
                }
            }
        } finally {
            lock.unlock();
        }
        return dead;
    }

    /** Marks {@code node} dead now; false if it already was. */
    boolean markDead(NodeRecord node) {
        lock.lock();
        try {
            if (!node.alive) {
                return false;
            }
            node.alive = false;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Drops a dead node from every slab that has another readable replica, at the next epoch, so clients fail over
     * to the others and the slab counts as under-replicated. A slab whose only readable replica it was keeps it: it is
     * unavailable until the node returns (with its data directory) rather than lost at once. Returns the slabs changed.
     */
    List<SlabRecord> dropDeadNode(NodeRecord node) {
        lock.lock();
        try {
            List<SlabRecord> changed = new ArrayList<>();
            List<Journal.Entry> entries = new ArrayList<>();
            for (SlabRecord s : slabs.values()) {
                if (!s.holds(node.id) || (s.readableOn(node.id) && !anotherLiveReadable(s, node.id))) {
                    continue;
                }
                SlabRecord next = s.without(node.id);
                changed.add(next);
                entries.add(Journal.Slab.of(next));
            }
            journal.append(entries);
            for (SlabRecord next : changed) {
                replace(next);
            }
            return changed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether a live node other than {@code nodeId} holds a readable replica. Two replicas declared dead in one sweep
     * (after a controller restart, say) must not drop each other: the first to return has every acknowledged write.
     */
    private boolean anotherLiveReadable(SlabRecord s, long nodeId) {
        for (int i = 0; i < s.readable(); i++) {
            NodeRecord n = nodes.get(s.replicas()[i]);
            if (n != null && n.id != nodeId && n.alive) {
                return true;
            }
        }
        return false;
    }

    /** Records that {@code node}'s connection {@code link} closed, unless it has registered on a new one since. */
    void linkClosed(NodeRecord node, Peer link) {
        lock.lock();
        try {
            if (node.link == link) {
                node.linkLostNanos = System.nanoTime();
                node.link = null;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Swaps in a new record for the same slab, moving the charges with it. Under the lock. */
    private void replace(SlabRecord next) {
        SlabRecord old = slabs.put(next.id(), next);
        if (old != null) {
            charge(old, -1);
        }
        charge(next, +1);
        Long q = quarantined.get(next.id());
        if (q != null && !next.holds(q)) {
            quarantined.remove(next.id()); // the damaged copy is no longer a replica
        }
    }

    /**
     * Replaces {@code expected} by {@code next} if the slab has not changed meanwhile; journaled first. Returns
     * whether it did.
     */
    boolean update(SlabRecord expected, SlabRecord next) {
        lock.lock();
        try {
            if (slabs.get(expected.id()) != expected) {
                return false;
            }
            journal.append(List.of(Journal.Slab.of(next)));
            replace(next);
            return true;
        } finally {
            lock.unlock();
        }
    }

    SlabRecord slab(long id) {
        lock.lock();
        try {
            return slabs.get(id);
        } finally {
            lock.unlock();
        }
    }

    List<SlabRecord> allSlabs() {
        lock.lock();
        try {
            return new ArrayList<>(slabs.values());
        } finally {
            lock.unlock();
        }
    }

    List<NodeRecord> allNodes() {
        lock.lock();
        try {
            return new ArrayList<>(nodes.values());
        } finally {
            lock.unlock();
        }
    }

    /**
     * A node to take a new replica of {@code s}: placeable, not draining, not already holding it, with room; chosen
     * like any placement. Null if there is none.
     */
    NodeRecord copyTarget(SlabRecord s, Set<Long> exclude) {
        lock.lock();
        try {
            List<NodeRecord> candidates = new ArrayList<>();
            for (NodeRecord n : nodes.values()) {
                if (!s.holds(n.id) && !exclude.contains(n.id)) {
                    candidates.add(n);
                }
            }
            List<NodeRecord> chosen = placement.choose(candidates, s.size(), 1);
            return chosen.isEmpty() ? null : chosen.getFirst();
        } finally {
            lock.unlock();
        }
    }

    int liveNodes() {
        lock.lock();
        try {
            int live = 0;
            for (NodeRecord n : nodes.values()) {
                if (n.alive) {
                    live++;
                }
            }
            return live;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ slabs

    /**
     * Charges a new run of slabs to {@code tenant} and places each slab. Nothing is journaled as placed yet:
     * the caller creates the slabs on their nodes, then calls {@link #commit} or {@link #abort}. The ids are random
     * ({@link SlabIds}) and held as reserved until then, so no other allocation picks them. An id can be handed out
     * again only after its slab was freed; a node that missed the free drops its stale copy when the id is created
     * again (SLAB_CREATE replaces) or when it registers (reconcile).
     */
    List<SlabRecord> reserve(String tenant, long bytes, int replication) {
        return reserve(tenant, bytes, replication, RunShape.ALLOCATION);
    }

    /** As above, with the ids and the last slab's size as {@code shape} says. */
    List<SlabRecord> reserve(String tenant, long bytes, int replication, RunShape shape) {
        long slabSize = 1L << slabShift;
        long count = (bytes + slabSize - 1) >>> slabShift;
        if (count > SlabRun.MAX_SLABS) {
            throw new RememException(ErrorCode.TOO_LARGE, "allocation of " + bytes + " bytes needs " + count
                    + " slabs; one run holds at most " + SlabRun.MAX_SLABS);
        }
        lock.lock();
        try {
            long quota = tenants.registered(tenant).quota;
            long held = tenants.usedBy(tenant);
            long total = shape.wholeSlabs() ? count * slabSize
                    : (count - 1) * slabSize + Limits.roundToGranule(bytes - (count - 1) * slabSize);
            if (held + total > quota) {
                throw new RememException(ErrorCode.QUOTA_EXCEEDED, "tenant " + tenant + " holds " + held
                        + " bytes; " + total + " more would exceed its quota of " + quota + " bytes");
            }
            List<NodeRecord> all = new ArrayList<>(nodes.values());
            List<SlabRecord> run = new ArrayList<>((int) count);
            long id = idSpace.place(count, shape);
            for (long i = 0; i < count; i++) {
                long size = i < count - 1 ? slabSize : total - (count - 1) * slabSize;
                List<NodeRecord> chosen = placement.choose(all, size, replication);
                if (chosen.size() < replication) {
                    for (SlabRecord placed : run) {
                        charge(placed, -1);
                    }
                    throw outOfCapacity(size, replication, all);
                }
                long[] replicas = chosen.stream().mapToLong(n -> n.id).toArray();
                SlabRecord rec = new SlabRecord(id + i, tenant, size, replicas, 0, replicas.length, replication);
                charge(rec, +1);
                run.add(rec);
            }
            for (SlabRecord r : run) {
                reserved.put(r.id(), tenant);
            }
            idSpace.hold(id, count, shape);
            return run;
        } finally {
            lock.unlock();
        }
    }

    private static RememException outOfCapacity(long size, int replication, List<NodeRecord> all) {
        long live = all.stream().filter(NodeRecord::placeable).count();
        long totalFree = all.stream().filter(NodeRecord::placeable).mapToLong(NodeRecord::free).sum();
        long largest = all.stream().filter(NodeRecord::placeable).mapToLong(NodeRecord::free).max().orElse(0);
        return new RememException(ErrorCode.CLUSTER_OUT_OF_CAPACITY, "cannot place a slab of " + size + " bytes on "
                + replication + " memory node(s): " + live + " live node(s), " + totalFree
                + " bytes free in all, at most " + largest + " on one node");
    }

    /** Makes a reserved run permanent, owned by no lease. */
    void commit(List<SlabRecord> run) {
        commit(run, 0);
    }

    /**
     * Makes a reserved run permanent, owned by lease {@code leaseId} of its tenant (0: by no lease, never reclaimed).
     *
     * @throws RememException LEASE_EXPIRED if that lease ended meanwhile; the run stays reserved, for the caller to abort
     */
    void commit(List<SlabRecord> run, long leaseId) {
        lock.lock();
        try {
            List<Journal.Entry> entries = new ArrayList<>(run.size() + 1);
            for (SlabRecord s : run) {
                entries.add(Journal.Slab.of(s));
            }
            List<Journal.Lease> owner = new ArrayList<>();
            if (leaseId != 0 && !run.isEmpty()) {
                String tenant = run.getFirst().tenant();
                if (!leases.exists(tenant, leaseId)) {
                    throw new RememException(ErrorCode.LEASE_EXPIRED, "lease " + Long.toHexString(leaseId) + " of tenant "
                            + tenant + " has expired; the allocation is undone");
                }
                long[] ids = run.stream().mapToLong(SlabRecord::id).toArray();
                for (int from = 0; from < ids.length; from += Journal.Lease.MAX_SLABS) {
                    owner.add(new Journal.Lease(tenant, leaseId,
                            Arrays.copyOfRange(ids, from, Math.min(ids.length, from + Journal.Lease.MAX_SLABS))));
                }
                entries.addAll(owner);
            }
            journal.append(entries);
            for (SlabRecord s : run) {
                slabs.put(s.id(), s);
                reserved.remove(s.id());
            }
            if (!run.isEmpty()) {
                idSpace.settled(run.getFirst().id());
            }
            owner.forEach(leases::apply);
        } finally {
            lock.unlock();
        }
    }

    /** Gives back what {@link #reserve} charged, for a run that could not be created. */
    void abort(List<SlabRecord> run) {
        lock.lock();
        try {
            for (SlabRecord s : run) {
                charge(s, -1);
                reserved.remove(s.id());
            }
            if (!run.isEmpty()) {
                idSpace.settled(run.getFirst().id());
            }
        } finally {
            lock.unlock();
        }
    }

    /** Frees {@code count} slabs from {@code firstId}, all of which {@code tenant} must own. */
    List<SlabRecord> free(String tenant, long firstId, int count) {
        lock.lock();
        try {
            List<SlabRecord> run = owned(tenant, firstId, count);
            List<Journal.Entry> entries = new ArrayList<>(run.size());
            for (SlabRecord s : run) {
                Datasets.Key d = datasets.ownerOf(s.id());
                if (d != null) {
                    throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab " + s.id() + " belongs to dataset "
                            + d.name() + "; delete the dataset to free it");
                }
                entries.add(new Journal.SlabFreed(s.id()));
            }
            journal.append(entries);
            for (SlabRecord s : run) {
                slabs.remove(s.id());
                charge(s, -1);
                quarantined.remove(s.id());
                leases.slabFreed(s.id());
            }
            return run;
        } finally {
            lock.unlock();
        }
    }

    /** Descriptors of {@code count} slabs from {@code firstId}, all of which {@code tenant} must own. */
    SlabRun lookup(String tenant, long firstId, int count) {
        lock.lock();
        try {
            List<SlabRecord> run = visible(tenant, firstId, count); // checks the count before anything is sized by it
            List<SlabDescriptor> out = new ArrayList<>(run.size());
            for (SlabRecord s : run) {
                out.add(describe(s));
            }
            return new SlabRun(out);
        } finally {
            lock.unlock();
        }
    }

    /** Descriptors for a run this metadata placed; for the allocation reply. */
    SlabRun describe(List<SlabRecord> run) {
        lock.lock();
        try {
            List<SlabDescriptor> out = new ArrayList<>(run.size());
            for (SlabRecord s : run) {
                out.add(describe(s));
            }
            return new SlabRun(out);
        } finally {
            lock.unlock();
        }
    }

    NodeRecord node(long id) {
        lock.lock();
        try {
            return nodes.get(id);
        } finally {
            lock.unlock();
        }
    }

    long usedBy(String tenant) {
        lock.lock();
        try {
            return tenants.usedBy(tenant);
        } finally {
            lock.unlock();
        }
    }

    long quotaOf(String tenant) {
        lock.lock();
        try {
            return tenants.quotaOf(tenant);
        } finally {
            lock.unlock();
        }
    }

    /** What an admin sees: every node, every tenant and the state of replication. */
    ClusterStatus status(Repairer.Progress progress) {
        long now = System.nanoTime();
        lock.lock();
        try {
            List<ClusterStatus.Node> ns = new ArrayList<>();
            for (NodeRecord n : nodes.values()) {
                long silentMillis = n.lastHeartbeatNanos == 0 ? 0 : Math.max(0, (now - n.lastHeartbeatNanos) / 1_000_000);
                // A dead node's last heartbeat says nothing about now: its memory in use is shown as gone.
                ns.add(new ClusterStatus.Node(n.id, n.host, n.port, n.alive, n.capacity, n.alive ? n.backed : 0,
                        n.reserved, n.slabs, silentMillis, n.draining));
            }
            int under = 0;
            int unavailable = 0;
            for (SlabRecord s : slabs.values()) {
                int staying = 0; // live readable replicas that are not leaving
                boolean anyLive = false;
                for (int i = 0; i < s.readable(); i++) {
                    NodeRecord n = nodes.get(s.replicas()[i]);
                    boolean live = n != null && n.alive;
                    anyLive |= live;
                    staying += live && !n.draining ? 1 : 0;
                }
                under += staying < s.factor() ? 1 : 0;
                unavailable += anyLive ? 0 : 1;
            }
            return new ClusterStatus(slabShift, ns, tenants.status(null), new ClusterStatus.Repair(under, unavailable,
                    progress.copying(), progress.copiedBytes(), progress.copyBytes(), progress.copiedSlabs(),
                    quarantined.size()), leases.status(null, this::slabBytes));
        } finally {
            lock.unlock();
        }
    }

    /** What a tenant sees: itself, and nothing of the nodes or of other tenants. */
    ClusterStatus status(String tenant) {
        lock.lock();
        try {
            return new ClusterStatus(slabShift, List.of(), tenants.status(tenant), ClusterStatus.Repair.NONE,
                    leases.status(tenant, this::slabBytes));
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ tenants

    /** The verifier of a tenant's secret, or null if the tenant or the key does not exist. */
    Scram.Verifier tenantVerifier(String tenant, String keyId) {
        lock.lock();
        try {
            return tenants.verifier(tenant, keyId);
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code tenant} exists and may log in. */
    @Override
    public boolean tenantExists(String tenant) {
        lock.lock();
        try {
            Tenants.Tenant t = tenants.get(tenant);
            return t != null && t.registered();
        } finally {
            lock.unlock();
        }
    }

    void addTenant(String tenant, long quota, Scram.Verifier first) {
        changeTenant(() -> tenants.planAdd(tenant, quota, first));
    }

    void setQuota(String tenant, long quota) {
        changeTenant(() -> tenants.planQuota(tenant, quota));
    }

    void addTenantKey(String tenant, Scram.Verifier key) {
        changeTenant(() -> tenants.planKeyAdd(tenant, key));
    }

    void revokeTenantKey(String tenant, String keyId) {
        changeTenant(() -> tenants.planKeyRevoke(tenant, keyId));
    }

    private void changeTenant(Supplier<Journal.Tenant> plan) {
        lock.lock();
        try {
            Journal.Tenant next = plan.get();
            journal.append(List.of(next));
            tenants.apply(next);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes a tenant. One that still holds slabs is removed only with {@code force}, and then its slabs are freed
     * first; they are returned, for the caller to delete on their nodes.
     */
    List<SlabRecord> removeTenant(String tenant, boolean force) {
        lock.lock();
        try {
            Tenants.Tenant t = tenants.registered(tenant);
            if (reserved.containsValue(tenant)) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "tenant " + tenant + " has an allocation in"
                        + " progress; try again in a moment");
            }
            List<SlabRecord> held = new ArrayList<>();
            for (SlabRecord s : slabs.values()) {
                if (s.tenant().equals(tenant)) {
                    held.add(s);
                }
            }
            if (!held.isEmpty() && !force) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "tenant " + tenant + " holds " + t.bytes + " bytes in "
                        + held.size() + " slab(s); remove it with --force to free them, or free them first");
            }
            List<Journal.Entry> entries = new ArrayList<>(held.size() + 1);
            for (SlabRecord s : held) {
                entries.add(new Journal.SlabFreed(s.id()));
            }
            List<Journal.LeaseEnded> ended = leases.of(tenant);
            entries.addAll(ended);
            List<Journal.DatasetDeleted> deleted = datasets.of(tenant);
            entries.addAll(deleted);
            List<Journal.DatasetGrant> revoked = datasets.revokeAllTo(tenant);
            entries.addAll(revoked);
            entries.add(new Journal.TenantRemoved(tenant));
            journal.append(entries);
            for (SlabRecord s : held) {
                slabs.remove(s.id());
                charge(s, -1);
                quarantined.remove(s.id());
                leases.slabFreed(s.id());
            }
            for (Journal.LeaseEnded e : ended) {
                leases.apply(e);
                datasets.leaseEnded(e.tenant(), e.id());
            }
            deleted.forEach(datasets::apply);
            revoked.forEach(datasets::apply);
            tenants.apply(new Journal.TenantRemoved(tenant));
            return held;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------ damaged copies

    /** Whether {@code nodeId}'s copy of {@code slabId} is quarantined: it cannot be copied from. */
    boolean quarantinedOn(long slabId, long nodeId) {
        lock.lock();
        try {
            Long q = quarantined.get(slabId);
            return q != null && q == nodeId;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A node's copy of a slab failed its checksums. If another live readable replica exists, the copy is dropped (the
     * slab is re-replicated from a good one) and true is returned, for the caller to delete it on the node. If it was
     * the only readable copy, it is quarantined: kept, served to no one, and counted in the status until a person acts.
     */
    boolean damaged(long slabId, long nodeId) {
        lock.lock();
        try {
            SlabRecord s = slabs.get(slabId);
            if (s == null || !s.holds(nodeId)) {
                return true; // not a replica there: nothing to keep
            }
            if (s.readableOn(nodeId) && !anotherLiveReadable(s, nodeId)) {
                quarantined.put(slabId, nodeId);
                return false;
            }
            SlabRecord next = s.without(nodeId);
            journal.append(List.of(Journal.Slab.of(next)));
            replace(next);
            quarantined.remove(slabId, nodeId);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a copy of {@code slabId} is quarantined (on whichever node). */
    boolean isQuarantined(long slabId) {
        lock.lock();
        try {
            return quarantined.containsKey(slabId);
        } finally {
            lock.unlock();
        }
    }

    private long slabBytes(long slabId) {
        SlabRecord s = slabs.get(slabId);
        return s == null ? 0 : s.size();
    }

    // ------------------------------------------------------------------ for LeaseKeeper and DatasetDirectory

    @Override
    public <T> T locked(Supplier<T> work) {
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void journal(List<? extends Journal.Entry> entries) {
        journal.append(entries);
    }

    @Override
    public SlabRecord slabRecord(long id) {
        return slabs.get(id);
    }

    @Override
    public void adopt(SlabRecord s) {
        slabs.put(s.id(), s);
        reserved.remove(s.id());
        idSpace.settled(s.id()); // a new dataset's window is its own from now on (Datasets)
    }

    @Override
    public void release(SlabRecord s) {
        slabs.remove(s.id());
        charge(s, -1);
        quarantined.remove(s.id());
    }

    @Override
    public SlabDescriptor descriptor(SlabRecord s) {
        return describe(s);
    }

    /** Runtime leases: open, renew, expire and end them. */
    LeaseKeeper leaseKeeper() {
        return leaseKeeper;
    }

    /** Named datasets: create, open, close, delete and list them. */
    DatasetDirectory datasetDirectory() {
        return datasetDirectory;
    }

    /** As {@link #owned}, but also the slabs of datasets other tenants granted {@code tenant}. */
    private List<SlabRecord> visible(String tenant, long firstId, int count) {
        return checked(tenant, firstId, count, true);
    }

    private boolean grantedTo(String tenant, SlabRecord s) {
        Datasets.Key d = datasets.ownerOf(s.id());
        return d != null && datasets.access(d.tenant(), d.name(), tenant).reads();
    }

    private List<SlabRecord> owned(String tenant, long firstId, int count) {
        return checked(tenant, firstId, count, false);
    }

    private List<SlabRecord> checked(String tenant, long firstId, int count, boolean granted) {
        if (count <= 0 || count > SlabRun.MAX_SLABS) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab count " + count + " is outside 1.." + SlabRun.MAX_SLABS);
        }
        if (firstId < 0 || firstId > Long.MAX_VALUE - count) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab ids " + firstId + " + " + count + " are out of range");
        }
        List<SlabRecord> run = new ArrayList<>(Math.min(count, slabs.size() + 1));
        for (long id = firstId; id < firstId + count; id++) {
            SlabRecord s = slabs.get(id);
            // Another tenant's slab is answered exactly as one that does not exist, so ids cannot be probed.
            if (s == null || !(s.tenant().equals(tenant) || granted && grantedTo(tenant, s))) {
                throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + id + " does not exist");
            }
            run.add(s);
        }
        return run;
    }

    private SlabDescriptor describe(SlabRecord s) {
        List<Replica> replicas = new ArrayList<>(s.replicas().length);
        for (long nodeId : s.replicas()) {
            NodeRecord n = nodes.get(nodeId);
            replicas.add(n == null ? new Replica(nodeId, "unknown", 1) : new Replica(nodeId, n.host, n.port));
        }
        return new SlabDescriptor(s.id(), s.size(), s.epoch(), s.readable(), replicas);
    }

    @Override
    public void close() {
        journal.close();
    }
}
