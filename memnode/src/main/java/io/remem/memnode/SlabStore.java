package io.remem.memnode;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.NodeRegister.HeldSlab;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegistered.Restore;
import io.remem.protocol.RememException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The slabs of one memory node, and the check every access goes through: the slab exists and belongs to the
 * tenant of the session asking (Clio's permission check).
 *
 * <p>With a data directory, a copy that fails its checksums is quarantined, never deleted on this node's own say: the
 * controller drops it (by not keeping it, or SLAB_DELETE) when another copy exists, or has it checked again (restore)
 * when it is the only one. Quarantined slabs whose meta file is damaged are known only by id here ({@link #damagedFiles})
 * until the controller says what the meta held.
 */
final class SlabStore {
    private static final Logger log = LoggerFactory.getLogger(SlabStore.class);

    private final Capacity capacity;
    private final Map<Long, Slab> slabs = new ConcurrentHashMap<>();
    /**
     * Slabs whose data is in the data directory but whose meta is damaged (or whose data file is too short): by id, why.
     * Guarded by {@link #structure}, which also orders their deletion against a restore that would publish them.
     */
    private final Map<Long, String> damagedFiles = new HashMap<>();
    private final Object structure = new Object();
    /** Slabs being checked again for the controller, so a second request for one waits for the first. */
    private final Set<Long> restoring = ConcurrentHashMap.newKeySet();
    private final DamageReports reports;
    /** Runs restores: they read whole slabs, so they do not hold up the controller link. */
    private final Executor restores;
    private final Map<String, Integer> tenantIds = new ConcurrentHashMap<>();
    private final Map<Integer, String> tenantNames = new ConcurrentHashMap<>();
    private final AtomicInteger nextTenantId = new AtomicInteger(1);
    /** Where slabs are kept when the node has a data directory; null keeps them in anonymous memory. */
    private final SlabFiles files;

    SlabStore(long capacityBytes) {
        this(capacityBytes, null);
    }

    SlabStore(long capacityBytes, SlabFiles files) {
        this(capacityBytes, files, new DamageReports(), inVirtualThreads());
    }

    /**
     * @param reports where quarantines and the outcomes of restores go, for the controller
     * @param restores runs the checks of slabs the controller asks to restore
     */
    SlabStore(long capacityBytes, SlabFiles files, DamageReports reports, Executor restores) {
        this.capacity = new Capacity(capacityBytes);
        this.files = files;
        this.reports = reports;
        this.restores = restores;
    }

    static Executor inVirtualThreads() {
        ThreadFactory threads = Thread.ofVirtual().name("remem-restore-", 1).factory();
        return task -> threads.newThread(task).start();
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
     * Reads back the slabs in the data directory after a restart and checks every sealed chunk against its checksum; a
     * slab that fails is quarantined. They serve nothing until the controller confirms them ({@link #reconcile}); a slab
     * the controller no longer counts as a current replica is deleted unread.
     */
    void recover() {
        if (files == null) {
            return;
        }
        SlabFiles.Recovery found = files.recover();
        synchronized (structure) {
            damagedFiles.putAll(found.damaged());
        }
        ChunkSums.Summer summer = new ChunkSums.Summer();
        int quarantined = 0;
        for (SlabMeta meta : found.slabs()) {
            if (meta.syncing()) {
                log.info("slab {} was still being copied when the node stopped; dropping it", meta.slabId());
                files.delete(meta.slabId());
                continue;
            }
            try {
                Slab slab = openRecovered(meta.slabId(), tenantId(meta.tenant()), meta.size(), meta.epoch());
                String bad = slab.damage() != null ? slab.damage() : SlabCheck.verifyAll(slab, summer);
                if (bad != null) {
                    slab.quarantine(bad);
                    quarantined++;
                    log.error("slab {} is damaged on disk: {}; it is quarantined, served to no one, until the controller"
                            + " drops or restores it", meta.slabId(), bad);
                }
                slabs.put(meta.slabId(), slab);
            } catch (RememException e) {
                // Left on disk: it may be the only copy, and the cause (a smaller --capacity, say) may be undone.
                log.warn("cannot recover slab {} from {}: {}; its files are kept but it is not served", meta.slabId(),
                        files.dir(), e.detail());
            }
        }
        if (!slabs.isEmpty()) {
            log.info("recovered {} slab(s) from {}{}; they wait for the controller's confirmation", slabs.size(),
                    files.dir(), quarantined == 0 ? "" : ", " + quarantined + " of them quarantined");
        }
    }

    /** Maps a slab found in the data directory, reserving its capacity; it is RECOVERED, or quarantined if need be. */
    private Slab openRecovered(long slabId, int owner, long size, long epoch) {
        capacity.reserveSlab(size, slabId);
        Slab slab = null;
        try {
            slab = mapSlab(slabId, owner, size, false);
            slab.markRecovered(epoch);
            slab.installAllChunks();
            return slab;
        } catch (RuntimeException e) {
            if (slab != null) {
                slab.delete();
            }
            capacity.releaseSlab(size);
            throw e;
        }
    }

    /**
     * Applies the controller's answer to a registration that {@code listed} these slabs: those in {@code keep} are
     * current replicas and serve again (unless quarantined); those in {@code restore} were reported damaged and are
     * the only copies, so they are checked again, in the background; every other listed slab is stale, unknown to the
     * controller, or a damaged copy it dropped, and is deleted.
     */
    void reconcile(Collection<Long> listed, Collection<Long> keep, List<Restore> restore) {
        Set<Long> current = new HashSet<>(keep);
        Set<Long> judged = new HashSet<>(listed);
        Map<Long, Restore> toRestore = new HashMap<>();
        for (Restore r : restore) {
            if (judged.contains(r.slabId())) {
                toRestore.put(r.slabId(), r);
            }
        }
        for (Slab s : slabs.values()) {
            if (!judged.contains(s.id()) || toRestore.containsKey(s.id())) {
                continue; // not listed: created after the registration was sent, which the answer does not cover
            }
            if (current.contains(s.id())) {
                s.markReady(); // a quarantined slab stays so: its report is on its way
            } else if (s.state() != Slab.State.SYNCING) { // a copy in progress is newer than the registration
                log.info("slab {} is not a current replica here any more; deleting it", s.id());
                delete(s.id());
            }
        }
        for (long id : damagedIds()) {
            if (judged.contains(id) && !toRestore.containsKey(id)) {
                if (current.contains(id)) {
                    log.warn("the controller keeps slab {}, whose meta file is damaged: it stays quarantined", id);
                } else {
                    log.info("slab {}, whose meta file is damaged, has another copy; deleting this one", id);
                    delete(id);
                }
            }
        }
        for (Restore r : toRestore.values()) {
            restores.execute(() -> restore(r));
        }
    }

    /** As above, for an answer with no restore list. */
    void reconcile(Collection<Long> listed, Collection<Long> keep) {
        reconcile(listed, keep, List.of());
    }

    /**
     * Checks again a copy that the controller says is the only one of its slab, with what the controller knows of it:
     * it serves again if every sealed chunk passes, and stays quarantined otherwise. Either way the controller is told.
     */
    void restore(Restore r) {
        if (!restoring.add(r.slabId())) {
            return;
        }
        try {
            Slab slab = slabs.get(r.slabId());
            if (slab != null) {
                recheck(slab, r);
            } else if (damagedIds().contains(r.slabId())) {
                rebuild(r);
            }
        } catch (RuntimeException e) { // a slab deleted meanwhile, or a failing disk
            log.warn("restoring slab {} failed: {}", r.slabId(), e.toString());
        } finally {
            restoring.remove(r.slabId());
        }
    }

    /** A slab whose meta is intact: the controller's record must agree with it, and its data pass its checks. */
    private void recheck(Slab slab, Restore r) {
        String bad;
        if (files == null || slab.tenant() != tenantId(r.tenant()) || slab.size() != r.size()) {
            bad = "the controller's record (tenant " + r.tenant() + ", " + r.size() + " bytes) does not match this copy";
        } else {
            bad = SlabCheck.verifyAll(slab, new ChunkSums.Summer());
        }
        if (bad != null) {
            slab.quarantine(bad);
            stillDamaged(r.slabId(), bad);
            return;
        }
        synchronized (slab) { // a delete waits, so it removes the meta written here
            if (!slab.release(r.epoch())) {
                return;
            }
            persist(slab);
        }
        restored(r.slabId());
    }

    /** A slab whose meta is damaged: its data is mapped as the controller's record says, checked, and published. */
    private void rebuild(Restore r) {
        long have = files.dataSize(r.slabId());
        if (have < r.size()) {
            stillDamaged(r.slabId(), "its data file has " + have + " bytes, fewer than the slab's " + r.size());
            return;
        }
        Slab slab;
        try {
            checkSize(r.size());
            slab = openRecovered(r.slabId(), tenantId(r.tenant()), r.size(), r.epoch());
        } catch (RememException e) {
            stillDamaged(r.slabId(), "it cannot be mapped: " + e.detail());
            return;
        }
        String bad = slab.damage() != null ? slab.damage() : SlabCheck.verifyAll(slab, new ChunkSums.Summer());
        synchronized (structure) {
            if (!damagedFiles.containsKey(r.slabId()) || slabs.containsKey(r.slabId())) {
                slab.delete(); // dropped or created again meanwhile: whatever is there now is not this copy
                capacity.releaseSlab(r.size());
                return;
            }
            damagedFiles.remove(r.slabId());
            if (bad == null) {
                files.writeMeta(new SlabMeta(r.slabId(), r.tenant(), r.size(), r.epoch(), false));
                slab.release(r.epoch());
            } else {
                slab.quarantine(bad); // the damaged meta stays as it is, evidence for whoever looks
            }
            slabs.put(r.slabId(), slab);
        }
        if (bad == null) {
            restored(r.slabId());
        } else {
            stillDamaged(r.slabId(), bad);
        }
    }

    private void restored(long slabId) {
        log.info("slab {} passed every check and serves again", slabId);
        reports.report(slabId, false, "restored: every sealed chunk matches its checksum");
    }

    private void stillDamaged(long slabId, String why) {
        log.error("slab {} cannot be restored: {}; it stays quarantined", slabId, why);
        reports.report(slabId, true, "checked again and still damaged: " + why);
    }

    /**
     * The scrubber found {@code slab} damaged: it is quarantined and the controller told, unless it already was, or
     * the slab has been deleted or replaced meanwhile.
     */
    void quarantine(Slab slab, String detail) {
        if (slabs.get(slab.id()) == slab && slab.quarantine(detail)) {
            log.error("slab {} is damaged: {}; it is quarantined, served to no one, and reported to the controller",
                    slab.id(), detail);
            reports.report(slab.id(), true, detail);
        }
    }

    private Set<Long> damagedIds() {
        synchronized (structure) {
            return new HashSet<>(damagedFiles.keySet());
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
            slab = mapSlab(slabId, tenantId(tenant), size, true);
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

    /**
     * A slab in anonymous memory, or over its files in the data directory: {@code fresh} ones for a new slab, else
     * those found there. A slab whose checksum file is damaged comes back quarantined.
     */
    private Slab mapSlab(long slabId, int owner, long size, boolean fresh) {
        if (files == null) {
            return new Slab(slabId, owner, size, capacity);
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment data = files.map(slabId, size, arena);
            ChunkSums sums = null;
            String damaged = null;
            try {
                sums = files.mapSums(slabId, (int) (size >>> Slab.CHUNK_SHIFT), arena, fresh);
            } catch (RememException e) {
                if (fresh || e.code() != ErrorCode.DATA_CORRUPT) {
                    throw e;
                }
                damaged = e.detail();
            }
            Slab slab = new Slab(slabId, owner, size, capacity, arena, data, sums);
            if (damaged != null) {
                slab.quarantine(damaged);
            }
            return slab;
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
        if (slabs.containsKey(slabId) || damagedIds().contains(slabId)) {
            log.info("slab {} is created again; dropping the stale copy here first", slabId);
            delete(slabId);
        }
        capacity.reserveSlab(size, slabId);
        Slab slab;
        try {
            slab = mapSlab(slabId, owner, size, true);
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

    /**
     * Deletes a slab and frees its memory, whatever its state: the controller dropped it. Deleting a slab that is not
     * here is not an error.
     */
    void delete(long slabId) {
        Slab slab;
        boolean onlyFiles;
        synchronized (structure) {
            slab = slabs.remove(slabId);
            onlyFiles = slab == null && damagedFiles.remove(slabId) != null;
        }
        if (slab != null) {
            release(slab, true);
        } else if (onlyFiles) {
            files.delete(slabId);
        }
    }

    /** The slab, if it exists, {@code who} may read it and it is readable; otherwise a typed error naming the slab. */
    Slab access(long slabId, SlabAccess who) {
        Slab slab = owned(slabId, who, false);
        slab.checkReadable();
        return slab;
    }

    /** The slab, if it exists, {@code who} may write it and {@code session} may write it now. */
    Slab writable(long slabId, SlabAccess who, int session) {
        Slab slab = owned(slabId, who, true);
        slab.checkWritable(session);
        return slab;
    }

    /** The slab, if it exists and {@code who} may read it (or, with {@code write}, write it), whatever its state. */
    Slab owned(long slabId, SlabAccess who, boolean write) {
        Slab slab = slabs.get(slabId);
        if (slab == null) {
            throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + slabId + " does not exist on this memory node");
        }
        if (!(write ? who.mayWrite(slab) : who.mayRead(slab))) {
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
     * The slab if it is here, readable and {@code who} may read it, else null: for offloads, which leave when a pointer
     * does.
     */
    Slab find(long slabId, SlabAccess who) {
        Slab slab = slabs.get(slabId);
        return slab != null && who.mayRead(slab) && slab.state() == Slab.State.READY ? slab : null;
    }

    /** A slab in any state, or null. */
    Slab get(long slabId) {
        return slabs.get(slabId);
    }

    /**
     * Every slab here with its epoch, for registering with the controller; quarantined ones flagged DAMAGED, and those
     * whose meta is damaged at epoch 0 (unknown: the controller has it).
     */
    List<HeldSlab> held() {
        List<HeldSlab> out = new ArrayList<>();
        for (Slab s : slabs.values()) {
            out.add(new HeldSlab(s.id(), s.epoch(), s.state() == Slab.State.QUARANTINED ? NodeRegister.DAMAGED : 0));
        }
        for (long id : damagedIds()) {
            out.add(new HeldSlab(id, 0, NodeRegister.DAMAGED));
        }
        return out;
    }

    /** Every slab here, by id: the scrubber's order. */
    List<Slab> slabsById() {
        List<Slab> all = new ArrayList<>(slabs.values());
        all.sort(Comparator.comparingLong(Slab::id));
        return all;
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
