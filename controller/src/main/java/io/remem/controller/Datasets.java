package io.remem.controller;

import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetMode;
import io.remem.protocol.DatasetInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongPredicate;

/**
 * Named datasets: far memory with a name, owned by a tenant rather than by a runtime session, so it outlives its
 * clients and any runtime of the tenant can open it again by name. What a dataset is (name, size, replication, slabs),
 * whom it is granted to, and which runtime sessions (leases) have it open are journaled, so a controller restart
 * neither forgets a grant nor a user (and lets a delete through under it). Not thread-safe: {@link Metadata}'s lock
 * guards it.
 */
final class Datasets {
    record Key(String tenant, String name) {}

    /** A runtime session: its tenant (possibly a grantee, not the owner) and its lease. */
    record Session(String tenant, long lease) {}

    /** One dataset: its size, copies and the run of slabs that holds it, first slab first. */
    record Dataset(String tenant, String name, long bytes, int replication, DatasetMode mode, long[] slabs) {
        Journal.Dataset entry() {
            return new Journal.Dataset(tenant, name, bytes, replication, mode, slabs);
        }
    }

    /**
     * Slab ids kept for each growable dataset (whole slabs) from its first slab on, so it can grow by appending slabs
     * and stay one range of far addresses: no other run is placed in them. Also the most slabs a dataset has (one
     * journal entry holds them).
     */
    static final int WINDOW = Journal.Lease.MAX_SLABS;

    private final Map<Key, Dataset> datasets = new HashMap<>();
    private final Map<Long, Key> bySlab = new HashMap<>();
    /** Datasets by their first slab id: where their id windows begin. */
    private final NavigableMap<Long, Key> byFirstSlab = new TreeMap<>();
    /** Names being created now: a second creator waits for the first rather than reserve the memory twice. */
    private final Set<Key> creating = new HashSet<>();
    /** The runtime sessions that have each dataset open, and how many times each. */
    private final Map<Key, Map<Session, Integer>> openBy = new HashMap<>();
    /** Other tenants' access to each dataset. */
    private final Map<Key, Map<String, DatasetAccess>> grants = new HashMap<>();

    void apply(Journal.Dataset e) {
        Key k = new Key(e.tenant(), e.name());
        datasets.put(k, new Dataset(e.tenant(), e.name(), e.bytes(), e.replication(), e.mode(), e.slabs()));
        for (long slab : e.slabs()) {
            bySlab.put(slab, k);
        }
        byFirstSlab.put(e.slabs()[0], k);
    }

    void apply(Journal.DatasetDeleted e) {
        Key k = new Key(e.tenant(), e.name());
        Dataset d = datasets.remove(k);
        if (d != null) {
            for (long slab : d.slabs()) {
                bySlab.remove(slab);
            }
            byFirstSlab.remove(d.slabs()[0]);
        }
        openBy.remove(k);
        grants.remove(k);
    }

    void apply(Journal.DatasetOpened e) {
        openBy.computeIfAbsent(new Key(e.tenant(), e.name()), k -> new HashMap<>())
                .merge(new Session(e.leaseTenant(), e.lease()), 1, Integer::sum);
    }

    void apply(Journal.DatasetClosed e) {
        Map<Session, Integer> m = openBy.get(new Key(e.tenant(), e.name()));
        if (m != null) {
            m.computeIfPresent(new Session(e.leaseTenant(), e.lease()), (s, n) -> n > 1 ? n - 1 : null);
        }
    }

    void apply(Journal.DatasetGrant e) {
        Key k = new Key(e.tenant(), e.name());
        if (e.access() == DatasetAccess.NONE) {
            Map<String, DatasetAccess> m = grants.get(k);
            if (m != null) {
                m.remove(e.grantee());
            }
        } else {
            grants.computeIfAbsent(k, x -> new TreeMap<>()).put(e.grantee(), e.access());
        }
    }

    /** What {@code tenant} may do with {@code owner}'s dataset: everything if it is the owner. */
    DatasetAccess access(String owner, String name, String tenant) {
        if (owner.equals(tenant)) {
            return DatasetAccess.READ_WRITE;
        }
        Map<String, DatasetAccess> m = grants.get(new Key(owner, name));
        return m == null ? DatasetAccess.NONE : m.getOrDefault(tenant, DatasetAccess.NONE);
    }

    /** How many tenants the dataset is granted to. */
    int grantCount(String owner, String name) {
        Map<String, DatasetAccess> m = grants.get(new Key(owner, name));
        return m == null ? 0 : m.size();
    }

    /** Claims the creation of a name; false if it exists or another creator holds the claim. */
    boolean claimCreation(String tenant, String name) {
        Key k = new Key(tenant, name);
        return !datasets.containsKey(k) && creating.add(k);
    }

    void endCreation(String tenant, String name) {
        creating.remove(new Key(tenant, name));
    }

    boolean beingCreated(String tenant, String name) {
        return creating.contains(new Key(tenant, name));
    }

    Dataset get(String tenant, String name) {
        return datasets.get(new Key(tenant, name));
    }

    /**
     * Whether the id window of a dataset that can grow (its last slab is {@code whole}), other than the one starting
     * at {@code ownWindow}, holds an id of {@code [first, first + n)}. A dataset that cannot grow keeps no window.
     */
    boolean windowOverlaps(long first, long n, long ownWindow, LongPredicate whole) {
        // Window [k, k + WINDOW) meets [first, first + n) iff first - WINDOW < k < first + n.
        for (Map.Entry<Long, Key> e : byFirstSlab.subMap(Math.max(0, first - WINDOW + 1), true, first + n - 1, true)
                .entrySet()) {
            long[] slabs = datasets.get(e.getValue()).slabs();
            if (e.getKey() != ownWindow && whole.test(slabs[slabs.length - 1])) {
                return true;
            }
        }
        return false;
    }

    /** The dataset slab {@code slabId} belongs to, or null if it belongs to none. */
    Key ownerOf(long slabId) {
        return bySlab.get(slabId);
    }

    /** Whether {@code session} has {@code owner}'s dataset open. */
    boolean isOpenBy(String owner, String name, Session session) {
        Map<Session, Integer> m = openBy.get(new Key(owner, name));
        return m != null && m.containsKey(session);
    }

    /** A lease ended: it has nothing open any more, whoever's datasets they were. */
    void leaseEnded(String tenant, long lease) {
        Session s = new Session(tenant, lease);
        for (Map<Session, Integer> m : openBy.values()) {
            m.remove(s);
        }
    }

    /** How many sessions other than {@code asker} have the dataset open. */
    int openByOthers(String owner, String name, Session asker) {
        Map<Session, Integer> m = openBy.get(new Key(owner, name));
        if (m == null) {
            return 0;
        }
        return m.size() - (m.containsKey(asker) ? 1 : 0);
    }

    /** Every dataset of {@code tenant}, as entries that delete them (for a tenant being removed). */
    List<Journal.DatasetDeleted> of(String tenant) {
        List<Journal.DatasetDeleted> out = new ArrayList<>();
        for (Key k : datasets.keySet()) {
            if (k.tenant().equals(tenant)) {
                out.add(new Journal.DatasetDeleted(k.tenant(), k.name()));
            }
        }
        return out;
    }

    /** Entries that revoke every grant to {@code grantee} (a tenant being removed, whose name may come back). */
    List<Journal.DatasetGrant> revokeAllTo(String grantee) {
        List<Journal.DatasetGrant> out = new ArrayList<>();
        for (Map.Entry<Key, Map<String, DatasetAccess>> e : grants.entrySet()) {
            if (e.getValue().containsKey(grantee)) {
                out.add(new Journal.DatasetGrant(e.getKey().tenant(), e.getKey().name(), grantee, DatasetAccess.NONE));
            }
        }
        return out;
    }

    /** The dataset as {@code viewer} may see it: its grants only for its owner (or an admin, viewer null). */
    DatasetInfo info(Dataset d, String viewer) {
        Key k = new Key(d.tenant(), d.name());
        Map<Session, Integer> m = openBy.get(k);
        Map<String, DatasetAccess> g = viewer == null || viewer.equals(d.tenant()) ? grants.getOrDefault(k, Map.of())
                : Map.of();
        return new DatasetInfo(d.tenant(), d.name(), d.bytes(), d.replication(), d.mode(), m == null ? 0 : m.size(), g);
    }

    /** The datasets {@code tenant} owns or was granted, or every dataset if null, by owner and name. */
    List<DatasetInfo> list(String tenant) {
        List<DatasetInfo> out = new ArrayList<>();
        for (Dataset d : datasets.values()) {
            if (tenant == null || access(d.tenant(), d.name(), tenant).reads()) {
                out.add(info(d, tenant));
            }
        }
        out.sort((a, b) -> a.owner().equals(b.owner()) ? a.name().compareTo(b.name()) : a.owner().compareTo(b.owner()));
        return out;
    }

    /** Entries that rebuild every dataset, its grants and who has it open; all after the datasets they name. */
    List<Journal.Entry> snapshot() {
        List<Journal.Entry> out = new ArrayList<>(datasets.size());
        for (Dataset d : datasets.values()) {
            out.add(d.entry());
        }
        for (Map.Entry<Key, Map<String, DatasetAccess>> e : grants.entrySet()) {
            if (datasets.containsKey(e.getKey())) {
                e.getValue().forEach((grantee, access) -> out.add(new Journal.DatasetGrant(e.getKey().tenant(),
                        e.getKey().name(), grantee, access)));
            }
        }
        for (Map.Entry<Key, Map<Session, Integer>> e : openBy.entrySet()) {
            if (!datasets.containsKey(e.getKey())) {
                continue;
            }
            for (Map.Entry<Session, Integer> s : e.getValue().entrySet()) {
                for (int i = 0; i < s.getValue(); i++) {
                    out.add(new Journal.DatasetOpened(e.getKey().tenant(), e.getKey().name(), s.getKey().tenant(),
                            s.getKey().lease()));
                }
            }
        }
        return out;
    }
}
