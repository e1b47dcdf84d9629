package io.remem.controller;

import io.remem.protocol.DatasetOpen;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.SlabAlloc;
import io.remem.protocol.SlabCreate;
import io.remem.protocol.SlabRun;
import io.remem.transport.Peer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Allocation and free of slab runs: places a run, creates its slabs on their memory nodes, and commits it only when
 * every replica exists; frees by deleting them again. Runs on the controller's slow path (virtual threads), since it
 * waits for memory nodes.
 */
final class Allocations {
    private final Metadata metadata;
    private final Duration nodeTimeout;
    /**
     * One growth of a dataset at a time (a second grower waits, then finds it grown, or grows it further); datasets
     * by hash over a fixed set of locks, so growths of different datasets rarely wait for each other.
     */
    private final ReentrantLock[] growth = new ReentrantLock[64];

    Allocations(Metadata metadata, Duration nodeTimeout) {
        this.metadata = metadata;
        this.nodeTimeout = nodeTimeout;
        for (int i = 0; i < growth.length; i++) {
            growth[i] = new ReentrantLock();
        }
    }

    /** Two copies where there are two memory nodes to hold them, else one. */
    int defaultReplication() {
        return metadata.liveNodes() >= 2 ? 2 : 1;
    }

    /** Allocates a run for {@code tenant}, owned by its lease {@code leaseId} (0: by none). */
    SlabRun allocate(String tenant, SlabAlloc alloc, long leaseId) {
        if (leaseId != 0 && !metadata.leaseKeeper().exists(tenant, leaseId)) {
            throw new RememException(ErrorCode.LEASE_EXPIRED, "lease " + Long.toHexString(leaseId) + " of tenant "
                    + tenant + " is not known here: it expired, or was never opened");
        }
        int replication = alloc.replication() == 0 ? defaultReplication() : alloc.replication();
        List<SlabRecord> run = create(tenant, alloc.bytes(), replication, RunShape.ALLOCATION,
                r -> metadata.commit(r, leaseId));
        return metadata.describe(run);
    }

    /**
     * Creates {@code tenant}'s dataset as {@code open} describes it. The dataset belongs to the tenant, not to a lease:
     * it lives until it is deleted.
     */
    void createDataset(String tenant, DatasetOpen open, long slabSize) {
        long slabs = (open.bytes() + slabSize - 1) / slabSize;
        if (slabs > Journal.Lease.MAX_SLABS) {
            throw new RememException(ErrorCode.TOO_LARGE, "dataset " + open.name() + " of " + open.bytes() + " bytes needs "
                    + slabs + " slabs; at most " + Journal.Lease.MAX_SLABS + " of " + slabSize + " bytes");
        }
        int replication = open.replication() == 0 ? defaultReplication() : open.replication();
        create(tenant, open.bytes(), replication, RunShape.dataset(open.growable()),
                r -> metadata.datasetDirectory().commit(r, open.name(), open.bytes(), replication, open.mode()));
    }

    /**
     * Grows {@code owner}'s dataset to at least {@code bytes}: within its slabs, or by creating whole slabs and
     * appending them to its run. {@code asker} must be its owner unless {@code bytes} is no more than its size.
     * Returns whether it grew.
     */
    boolean growDataset(String asker, String owner, String name, long bytes, long slabSize) {
        ReentrantLock lock = growth[Math.floorMod((owner + "/" + name).hashCode(), growth.length)];
        lock.lock();
        try {
            DatasetDirectory.Growth g = metadata.datasetDirectory().planGrowth(asker, owner, name, bytes, slabSize);
            if (g != null && g.bytes() > 0) {
                create(owner, g.bytes(), g.replication(), RunShape.growth(g.window(), g.firstId()),
                        r -> metadata.datasetDirectory().commitGrowth(r, owner, name, bytes));
            }
            return g != null;
        } finally {
            lock.unlock();
        }
    }

    /** Deletes a dataset and its slabs on their nodes. */
    void deleteDataset(String tenant, String name, boolean force, long lease) {
        deleteAll(metadata.datasetDirectory().delete(tenant, name, force, lease));
    }

    /**
     * Places a run, creates its slabs on their memory nodes, and hands it to {@code commit}, which journals it. If a
     * node fails, or the commit refuses, the slabs already created are deleted and the reservation returned: a failed
     * allocation charges nothing.
     */
    private List<SlabRecord> create(String tenant, long bytes, int replication, RunShape shape,
                                    Consumer<List<SlabRecord>> commit) {
        List<SlabRecord> run = reserveWaitingForReturningNodes(tenant, bytes, replication, shape);
        List<CompletableFuture<Void>> creates = new ArrayList<>();
        List<long[]> created = new ArrayList<>(); // {slabId, nodeId} pairs that succeeded
        RememException failure = null;
        for (SlabRecord s : run) {
            for (long nodeId : s.replicas()) {
                creates.add(createOn(nodeId, s).thenRun(() -> {
                    synchronized (created) {
                        created.add(new long[] {s.id(), nodeId});
                    }
                }));
            }
        }
        for (CompletableFuture<Void> f : creates) {
            try {
                Peer.await(f);
            } catch (RememException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure == null) {
            try {
                commit.accept(run);
                return run;
            } catch (RememException e) {
                failure = e; // the lease expired, or a dataset of that name appeared, while the slabs were created
            } catch (RuntimeException e) {
                // The journal could not be written: nothing of the run is recorded, so nothing of it may stay.
                failure = new RememException(ErrorCode.INTERNAL, "recording the allocation failed: " + e, e);
            }
        }
        synchronized (created) {
            for (long[] c : created) {
                deleteOn(c[1], c[0]);
            }
        }
        metadata.abort(run);
        if (failure.code() == ErrorCode.LEASE_EXPIRED || failure.code() == ErrorCode.DATASET_EXISTS
                || failure.code() == ErrorCode.NO_SUCH_DATASET) {
            throw failure;
        }
        throw new RememException(failure.code(), "creating slabs failed: " + failure.detail(), failure);
    }

    /**
     * Places a run; if that fails for lack of nodes while some live node is between connections (just after a
     * controller restart, or a node reconnecting), waits for it up to the node timeout rather than fail at once.
     */
    private List<SlabRecord> reserveWaitingForReturningNodes(String tenant, long bytes, int replication,
                                                             RunShape shape) {
        long deadline = System.nanoTime() + nodeTimeout.toNanos();
        while (true) {
            try {
                return metadata.reserve(tenant, bytes, replication, shape);
            } catch (RememException e) {
                boolean someoneReturning = metadata.allNodes().stream().anyMatch(n -> n.alive && !n.placeable() && !n.draining);
                if (e.code() != ErrorCode.CLUSTER_OUT_OF_CAPACITY || !someoneReturning || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    void free(String tenant, long first, int count) {
        deleteAll(metadata.free(tenant, first, count));
    }

    /**
     * Ends a runtime's lease and frees its memory; returns how many slabs that was, or -1 if no lease ended (there is
     * none such, or, with {@code onlyIfExpired}, it was renewed meanwhile).
     */
    int endLease(String tenant, long leaseId, boolean onlyIfExpired) {
        List<SlabRecord> freed = metadata.leaseKeeper().end(tenant, leaseId, onlyIfExpired);
        if (freed == null) {
            return -1;
        }
        deleteAll(freed);
        return freed.size();
    }

    /** Deletes every replica of {@code slabs} on its node, best effort. */
    void deleteAll(List<SlabRecord> slabs) {
        for (SlabRecord s : slabs) {
            for (long nodeId : s.replicas()) {
                deleteOn(nodeId, s.id());
            }
        }
    }

    private CompletableFuture<Void> createOn(long nodeId, SlabRecord s) {
        NodeRecord node = metadata.node(nodeId);
        Peer link = node == null ? null : node.link;
        if (link == null) {
            return CompletableFuture.failedFuture(new RememException(ErrorCode.NODE_UNAVAILABLE,
                    "memory node " + nodeId + " is not connected"));
        }
        SlabCreate create = new SlabCreate(s.size(), s.tenant());
        return link.call(Opcode.SLAB_CREATE, s.id(), 0, 0, 32, create::encode, (hdr, b) -> null);
    }

    private void deleteOn(long nodeId, long slabId) {
        Repairer.deleteOn(metadata, nodeId, slabId);
    }
}
