package io.remem.client;

import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;

import java.util.List;
import java.util.function.LongPredicate;

/**
 * A session's far memory: allocation, the local cache in front of it, and its statistics.
 * Obtain it from {@link RememSession#memory()}.
 */
public final class FarMemory {
    private final LocalCache cache;
    private final FarAllocator allocator;
    private final Offload offload;
    private final DatasetCatalog datasets;
    private final long leaseId;
    private final LongPredicate leases;

    /** @param leases whether a lease (of a far lock's holder) is alive */
    FarMemory(LocalCache cache, FarAllocator allocator, Offload offload, DatasetCatalog datasets, long leaseId,
              LongPredicate leases) {
        this.cache = cache;
        this.allocator = allocator;
        this.offload = offload;
        this.datasets = datasets;
        this.leaseId = leaseId;
        this.leases = leases;
    }

    /** Operations that can run at the memory nodes instead of pulling data into the cache. */
    public Offload offload() {
        return offload;
    }

    /**
     * Allocates {@code bytes} of far memory, all zero. Small sizes are carved out of slabs this runtime already
     * holds, without a round trip; sizes above 256 KiB get slabs of their own from the controller.
     *
     * @throws IllegalArgumentException if {@code bytes} is not positive
     * @throws RememException           with {@link ErrorCode#QUOTA_EXCEEDED} or {@link ErrorCode#CLUSTER_OUT_OF_CAPACITY}
     *                                  when the memory is not there
     */
    public FarSegment allocate(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes: " + bytes + " must be positive");
        }
        long address = allocator.allocate(bytes);
        return new FarSegment(cache, new Allocation(this, address, bytes, false), address, bytes);
    }

    /**
     * Allocates {@code bytes} of far memory, all zero, kept on {@code replication} memory nodes: every write-back goes
     * to all of them, and the data survives the loss of all but one. It gets slabs of its own, however small.
     * {@link #allocate(long)} uses the session's {@link RememOptions#replication()}, or the cluster's default: two
     * copies where there are at least two memory nodes.
     *
     * @throws IllegalArgumentException if {@code bytes} is not positive or {@code replication} is outside 1..8
     * @throws RememException           with {@link ErrorCode#CLUSTER_OUT_OF_CAPACITY} if fewer than {@code replication}
     *                                  memory nodes have room
     */
    public FarSegment allocate(long bytes, int replication) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes: " + bytes + " must be positive");
        }
        if (replication < 1 || replication > Limits.MAX_REPLICATION) {
            throw new IllegalArgumentException("replication: " + replication + " is outside 1.."
                    + Limits.MAX_REPLICATION);
        }
        long address = allocator.allocateRun(bytes, replication);
        return new FarSegment(cache, new Allocation(this, address, bytes, true), address, bytes);
    }

    /**
     * Opens the named dataset {@code name} of this session's tenant, creating it first if {@code options} say so
     * ({@link DatasetOptions#create}). Another runtime of the tenant, in this JVM or another, opens the same bytes by
     * the same name; they stay until the dataset is deleted, whatever happens to the runtimes.
     *
     * @throws RememException NO_SUCH_DATASET, DATASET_EXISTS (an exclusive create), QUOTA_EXCEEDED or
     *                        CLUSTER_OUT_OF_CAPACITY
     */
    public Dataset dataset(String name, DatasetOptions options) {
        return datasets.open(this, "", name, options);
    }

    /**
     * Opens tenant {@code owner}'s dataset {@code name}, which it granted this session's tenant ({@link
     * #grantDataset}): read-only if it granted reading only. Another tenant's dataset cannot be created, and one not
     * granted is answered as one that does not exist (NO_SUCH_DATASET).
     */
    public Dataset dataset(String owner, String name, DatasetOptions options) {
        return datasets.open(this, owner, name, options);
    }

    /**
     * Lets tenant {@code grantee} open this tenant's dataset {@code name} with {@code access} (READ or READ_WRITE), or
     * revokes it (NONE). A revoke refuses new opens at once; sessions that have it open keep their access until their
     * grant expires (the controller's --token-ttl, 15 minutes by default).
     */
    public void grantDataset(String name, String grantee, DatasetAccess access) {
        datasets.grant(name, grantee, access);
    }

    /** The datasets this session's tenant owns, with their sizes and how many sessions have each open. */
    public List<DatasetInfo> datasets() {
        return datasets.list();
    }

    /**
     * Deletes this tenant's dataset {@code name} and frees its memory. Refused with DATASET_IN_USE while another
     * session has it open, unless {@code force}; their accesses then fail with NO_SUCH_SLAB.
     */
    public void deleteDataset(String name, boolean force) {
        datasets.delete(name, force);
    }

    /**
     * A lock whose word is the 8 bytes at {@code offset} of {@code segment}, shared by every session that can write
     * them (a dataset, typically): see {@link FarLock}. The word must start at 0 (free). Make one per word and share
     * it among the session's threads: the word holds the session's lease id, so two lock objects of one session on
     * one word do not exclude each other.
     */
    public FarLock lock(FarSegment segment, long offset) {
        return new FarLock(segment, offset, leaseId, leases);
    }

    /**
     * Clio's fence: waits until every asynchronous call this thread started has completed and every dirty line is on
     * the memory nodes, so whatever this session did before is visible to whoever reads the memory nodes after.
     */
    public void fence() {
        release();
        flush();
    }

    /** Whether a session's lease is alive, as the controller says; for takeovers from dead holders. */
    LongPredicate leaseProbe() {
        return leases;
    }

    /** This session's lease id: what its far locks hold. */
    long leaseId() {
        return leaseId;
    }

    void release(Allocation allocation) {
        if (allocation.dataset != null) {
            throw new UnsupportedOperationException("the segment of dataset " + allocation.dataset
                    + " cannot be freed: delete the dataset (FarMemory.deleteDataset)");
        }
        synchronized (allocation) {
            if (allocation.freed) {
                throw new IllegalStateException("Already freed");
            }
            allocation.freed = true;
        }
        allocator.free(allocation.address, allocation.bytes, allocation.ownRun);
    }

    /**
     * Writes every dirty line back to the memory nodes and waits until they have applied it. Writes that
     * completed before this call are then safe on the memory nodes.
     *
     * @throws RememException if a memory node could not take the data; it stays dirty in the cache
     */
    public void flush() {
        cache.flush();
    }

    /**
     * Waits until every asynchronous read and write the calling thread started has completed (Clio's
     * {@code rrelease}).
     *
     * @throws RememException the first failure among them
     */
    public void release() {
        cache.releaseAsync();
    }

    /** A snapshot of the cache's counters. */
    public CacheStats stats() {
        return cache.stats();
    }

    /** Bytes per cache block. */
    public int blockSize() {
        return cache.blockSize;
    }

    /** Bytes of local cache. */
    public long cacheBytes() {
        return (long) cache.frameCount * cache.blockSize;
    }
}
