package io.remem.memnode;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The slabs of one memory node, and the check every access goes through: the slab exists and belongs to the
 * tenant of the session asking (Clio's permission check).
 */
final class SlabStore {
    private final Capacity capacity;
    private final Map<Long, Slab> slabs = new ConcurrentHashMap<>();
    private final Map<String, Integer> tenantIds = new ConcurrentHashMap<>();
    private final AtomicInteger nextTenantId = new AtomicInteger(1);

    SlabStore(long capacityBytes) {
        this.capacity = new Capacity(capacityBytes);
    }

    /** A small local number for a tenant name, so the per-access ownership check compares ints. */
    int tenantId(String tenant) {
        return tenantIds.computeIfAbsent(tenant, t -> nextTenantId.getAndIncrement());
    }

    /**
     * Creates a slab. Creating a slab that already exists with the same owner and size succeeds, so the
     * controller can safely retry.
     */
    void create(long slabId, long size, String tenant) {
        if (size <= 0 || size > (1L << Limits.MAX_SLAB_SHIFT) || size % Limits.SLAB_GRANULE != 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab size " + size + " must be a positive multiple of "
                    + Limits.SLAB_GRANULE + " up to " + (1L << Limits.MAX_SLAB_SHIFT));
        }
        int owner = tenantId(tenant);
        Slab existing = slabs.get(slabId);
        if (existing != null) {
            if (existing.tenant() == owner && existing.size() == size) {
                return;
            }
            throw new RememException(ErrorCode.SLAB_EXISTS, "slab " + slabId + " already exists");
        }
        capacity.reserveSlab(size, slabId);
        Slab slab = new Slab(slabId, owner, size, capacity);
        Slab winner = slabs.putIfAbsent(slabId, slab);
        if (winner != null) {
            capacity.releaseSlab(size);
            if (winner.tenant() != owner || winner.size() != size) {
                throw new RememException(ErrorCode.SLAB_EXISTS, "slab " + slabId + " already exists");
            }
        }
    }

    /** Deletes a slab and frees its memory. Deleting a slab that is not here is not an error. */
    void delete(long slabId) {
        Slab slab = slabs.remove(slabId);
        if (slab != null) {
            slab.delete();
            capacity.releaseSlab(slab.size());
        }
    }

    /** The slab, if it exists and {@code tenant} owns it; otherwise a typed error naming the slab. */
    Slab access(long slabId, int tenant) {
        Slab slab = slabs.get(slabId);
        if (slab == null) {
            throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + slabId + " does not exist on this memory node");
        }
        if (slab.tenant() != tenant) {
            throw new RememException(ErrorCode.ACCESS_DENIED, "slab " + slabId + " belongs to another tenant");
        }
        return slab;
    }

    /** The slab if it is here and {@code tenant} owns it, else null: for offloads, which leave when a pointer does. */
    Slab find(long slabId, int tenant) {
        Slab slab = slabs.get(slabId);
        return slab != null && slab.tenant() == tenant ? slab : null;
    }

    int slabCount() {
        return slabs.size();
    }

    Capacity capacity() {
        return capacity;
    }

    /** Deletes every slab; used when the node shuts down. */
    void clear() {
        for (Long id : slabs.keySet()) {
            delete(id);
        }
    }
}
