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
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SlabStore.class);

    private final Capacity capacity;
    private final Map<Long, Slab> slabs = new ConcurrentHashMap<>();
    private final Map<String, Integer> tenantIds = new ConcurrentHashMap<>();
    private final Map<Integer, String> tenantNames = new ConcurrentHashMap<>();
    private final AtomicInteger nextTenantId = new AtomicInteger(1);
    /** Where slabs are kept when the node has a data directory; null keeps them in anonymous memory. */
    private final SlabFiles files;

    SlabStore(long capacityBytes) {
        this(capacityBytes, null);
    }

    SlabStore(long capacityBytes, SlabFiles files) {
        this.capacity = new Capacity(capacityBytes);
        this.files = files;
    }

    /** A small local number for a tenant name, so the per-access ownership check compares ints. */
    int tenantId(String tenant) {
        return tenantIds.computeIfAbsent(tenant, t -> {
            int id = nextTenantId.getAndIncrement();
            tenantNames.put(id, t);
            return id;
        });
    }

    /**
     * Reads back the slabs in the data directory after a restart. They serve nothing until the controller confirms
     * them ({@link #reconcile}); a slab the controller no longer counts as a current replica is deleted unread.
     */
    void recover() {
        if (files == null) {
            return;
        }
        for (SlabMeta meta : files.recover()) {
            if (meta.syncing()) {
                log.info("slab {} was still being copied when the node stopped; dropping it", meta.slabId());
                files.delete(meta.slabId());
                continue;
            }
            try {
                capacity.reserveSlab(meta.size(), meta.slabId());
                Slab slab = null;
                try {
                    slab = newSlab(meta.slabId(), tenantId(meta.tenant()), meta.size());
                    slab.markRecovered(meta.epoch());
                    slab.installAllChunks();
                } catch (RuntimeException e) {
                    if (slab != null) {
                        slab.delete();
                    }
                    capacity.releaseSlab(meta.size());
                    throw e;
                }
                slabs.put(meta.slabId(), slab);
            } catch (RememException e) {
                // Left on disk: it may be the only copy, and the cause (a smaller --capacity, say) may be undone.
                log.warn("cannot recover slab {} from {}: {}; its files are kept but it is not served", meta.slabId(),
                        files.dir(), e.detail());
            }
        }
        if (!slabs.isEmpty()) {
            log.info("recovered {} slab(s) from {}; they wait for the controller's confirmation", slabs.size(), files.dir());
        }
    }

    /**
     * Applies the controller's answer to a registration that {@code listed} these slabs: those in {@code keep} are
     * current replicas and serve again; every other listed slab is stale, or unknown to the controller, and is deleted.
     */
    void reconcile(java.util.Collection<Long> listed, java.util.Collection<Long> keep) {
        java.util.Set<Long> current = new java.util.HashSet<>(keep);
        java.util.Set<Long> judged = new java.util.HashSet<>(listed);
        for (Slab s : slabs.values()) {
            if (!judged.contains(s.id())) {
                continue; // created after the registration was sent: the controller's answer does not cover it
            }
            if (current.contains(s.id())) {
                if (s.state() == Slab.State.RECOVERED) {
                    s.markReady();
                }
            } else if (s.state() != Slab.State.SYNCING) { // a copy in progress is newer than the registration
                log.info("slab {} is not a current replica here any more; deleting it", s.id());
                delete(s.id());
            }
        }
    }

    /** The replica set of {@code slabId} changed: only sessions that know {@code epoch} may write it from now on. */
    void fence(long slabId, long epoch) {
        Slab slab = slabs.get(slabId);
        if (slab == null) {
            throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + slabId + " does not exist on this memory node");
        }
        slab.fence(epoch);
        persist(slab);
    }

    /** Creates {@code slabId} afresh as a replica being copied; an older copy here is dropped first. */
    Slab createSyncing(long slabId, long size, String tenant, long epoch) {
        checkSize(size);
        delete(slabId);
        capacity.reserveSlab(size, slabId);
        Slab slab;
        try {
            slab = newSlab(slabId, tenantId(tenant), size);
        } catch (RuntimeException e) {
            capacity.releaseSlab(size);
            throw e;
        }
        slab.beginSync(epoch);
        persist(slab);
        slabs.put(slabId, slab);
        return slab;
    }

    /** A copy finished: the slab serves reads. False if a newer copy replaced it meanwhile. */
    boolean finishSync(Slab slab) {
        synchronized (slab) {
            if (slabs.get(slab.id()) != slab) {
                return false;
            }
            slab.markReady();
            persist(slab);
            return true;
        }
    }

    /** Deletes {@code slab} if it is still the one here under its id (a failed copy must not delete its successor). */
    void deleteIfCurrent(Slab slab) {
        if (slabs.remove(slab.id(), slab)) {
            release(slab, true);
        }
    }

    /** Frees a slab already taken out of the map, and its files too if {@code withFiles}. */
    private void release(Slab slab, boolean withFiles) {
        slab.delete();
        capacity.releaseSlab(slab.size());
        if (withFiles && files != null) {
            files.delete(slab.id());
        }
    }

    private Slab newSlab(long slabId, int owner, long size) {
        if (files == null) {
            return new Slab(slabId, owner, size, capacity);
        }
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
        try {
            return new Slab(slabId, owner, size, capacity, arena, files.map(slabId, size, arena));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private void persist(Slab slab) {
        if (files != null) {
            files.writeMeta(new SlabMeta(slab.id(), tenantNames.get(slab.tenant()), slab.size(), slab.epoch(),
                    slab.state() == Slab.State.SYNCING));
        }
    }

    private static void checkSize(long size) {
        if (size <= 0 || size > (1L << Limits.MAX_SLAB_SHIFT) || size % Limits.SLAB_GRANULE != 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab size " + size + " must be a positive multiple of "
                    + Limits.SLAB_GRANULE + " up to " + (1L << Limits.MAX_SLAB_SHIFT));
        }
    }

    /**
     * Creates a slab, all zeros. The controller creates each slab id once; a slab already here under that id is a stale
     * copy (a free whose delete never reached this node) and is dropped first, so a new slab never shows old bytes.
     */
    void create(long slabId, long size, String tenant) {
        checkSize(size);
        int owner = tenantId(tenant);
        Slab existing = slabs.get(slabId);
        if (existing != null) {
            log.info("slab {} is created again; dropping the stale copy here first", slabId);
            delete(slabId);
        }
        capacity.reserveSlab(size, slabId);
        Slab slab;
        try {
            slab = newSlab(slabId, owner, size);
        } catch (RuntimeException e) {
            capacity.releaseSlab(size);
            throw e;
        }
        Slab winner = slabs.putIfAbsent(slabId, slab);
        if (winner == null) {
            persist(slab);
        } else { // two creates of one id at once: the controller never does that
            slab.delete();
            capacity.releaseSlab(size);
            throw new RememException(ErrorCode.SLAB_EXISTS, "slab " + slabId + " is being created twice at once");
        }
    }

    /** Deletes a slab and frees its memory. Deleting a slab that is not here is not an error. */
    void delete(long slabId) {
        Slab slab = slabs.remove(slabId);
        if (slab != null) {
            release(slab, true);
        }
    }

    /** The slab, if it exists, {@code tenant} owns it and it is readable; otherwise a typed error naming the slab. */
    Slab access(long slabId, int tenant) {
        Slab slab = owned(slabId, tenant);
        slab.checkReadable();
        return slab;
    }

    /** The slab, if it exists, {@code tenant} owns it and {@code session} may write it now. */
    Slab writable(long slabId, int tenant, int session) {
        Slab slab = owned(slabId, tenant);
        slab.checkWritable(session);
        return slab;
    }

    /** The slab, if it exists and {@code tenant} owns it, whatever its state. */
    Slab owned(long slabId, int tenant) {
        Slab slab = slabs.get(slabId);
        if (slab == null) {
            throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + slabId + " does not exist on this memory node");
        }
        if (slab.tenant() != tenant) {
            // Answered exactly as a slab that is not here, so another tenant's slab ids cannot be probed.
            throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + slabId + " does not exist on this memory node");
        }
        return slab;
    }

    /** Any tenant's readable slab, for another memory node copying it (SLAB_SYNC). */
    Slab forReplica(long slabId) {
        Slab slab = slabs.get(slabId);
        if (slab == null) {
            throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + slabId + " does not exist on this memory node");
        }
        slab.checkReadable();
        return slab;
    }

    /**
     * The slab if it is here, readable and {@code tenant} owns it, else null: for offloads, which leave when a pointer
     * does.
     */
    Slab find(long slabId, int tenant) {
        Slab slab = slabs.get(slabId);
        return slab != null && slab.tenant() == tenant && slab.state() == Slab.State.READY ? slab : null;
    }

    /** A slab in any state, or null. */
    Slab get(long slabId) {
        return slabs.get(slabId);
    }

    /** Every slab here with its epoch, for registering with the controller. */
    java.util.List<io.remem.protocol.NodeRegister.HeldSlab> held() {
        java.util.List<io.remem.protocol.NodeRegister.HeldSlab> out = new java.util.ArrayList<>();
        for (Slab s : slabs.values()) {
            out.add(new io.remem.protocol.NodeRegister.HeldSlab(s.id(), s.epoch()));
        }
        return out;
    }

    int slabCount() {
        return slabs.size();
    }

    Capacity capacity() {
        return capacity;
    }

    /**
     * Deletes every slab; used when the node shuts down. With a data directory the files stay, so a restart finds
     * them: only the memory is released.
     */
    void clear() {
        for (Long id : slabs.keySet()) {
            Slab slab = slabs.remove(id);
            if (slab != null) {
                release(slab, false);
            }
        }
    }
}
