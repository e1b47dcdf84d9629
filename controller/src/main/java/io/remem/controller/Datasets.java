package io.remem.controller;

import io.remem.protocol.DatasetInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Named datasets: far memory with a name, owned by a tenant rather than by a runtime session, so it outlives its
 * clients and any runtime of the tenant can open it again by name. What a dataset is (name, size, replication, slabs)
 * and which runtime sessions (leases) have it open are journaled, so a controller restart does not forget a user and
 * let a delete through under it. Not thread-safe: {@link Metadata}'s lock guards it.
 */
final class Datasets {
    record Key(String tenant, String name) {}

    /** One dataset: its size, copies and the run of slabs that holds it, first slab first. */
    record Dataset(String tenant, String name, long bytes, int replication, long[] slabs) {
        Journal.Dataset entry() {
            return new Journal.Dataset(tenant, name, bytes, replication, slabs);
        }
    }

    private final Map<Key, Dataset> datasets = new HashMap<>();
    private final Map<Long, Key> bySlab = new HashMap<>();
    /** Names being created now: a second creator waits for the first rather than reserve the memory twice. */
    private final java.util.Set<Key> creating = new java.util.HashSet<>();
    /** The runtime sessions (leases) that have each dataset open, and how many times each. */
    private final Map<Key, Map<Long, Integer>> openBy = new HashMap<>();

    void apply(Journal.Dataset e) {
        Key k = new Key(e.tenant(), e.name());
        datasets.put(k, new Dataset(e.tenant(), e.name(), e.bytes(), e.replication(), e.slabs()));
        for (long slab : e.slabs()) {
            bySlab.put(slab, k);
        }
    }

    void apply(Journal.DatasetDeleted e) {
        Key k = new Key(e.tenant(), e.name());
        Dataset d = datasets.remove(k);
        if (d != null) {
            for (long slab : d.slabs()) {
                bySlab.remove(slab);
            }
        }
        openBy.remove(k);
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

    /** The dataset slab {@code slabId} belongs to, or null if it belongs to none. */
    Key ownerOf(long slabId) {
        return bySlab.get(slabId);
    }

    void apply(Journal.DatasetOpened e) {
        openBy.computeIfAbsent(new Key(e.tenant(), e.name()), k -> new HashMap<>()).merge(e.lease(), 1, Integer::sum);
    }

    void apply(Journal.DatasetClosed e) {
        Map<Long, Integer> m = openBy.get(new Key(e.tenant(), e.name()));
        if (m != null) {
            m.computeIfPresent(e.lease(), (lease, n) -> n > 1 ? n - 1 : null);
        }
    }

    /** Whether lease {@code lease} has the dataset open. */
    boolean isOpenBy(String tenant, String name, long lease) {
        Map<Long, Integer> m = openBy.get(new Key(tenant, name));
        return m != null && m.containsKey(lease);
    }

    /** A lease ended: it has nothing open any more. */
    void leaseEnded(String tenant, long lease) {
        for (Map.Entry<Key, Map<Long, Integer>> e : openBy.entrySet()) {
            if (e.getKey().tenant().equals(tenant)) {
                e.getValue().remove(lease);
            }
        }
    }

    /** How many sessions other than {@code lease} have the dataset open. */
    int openByOthers(String tenant, String name, long lease) {
        Map<Long, Integer> m = openBy.get(new Key(tenant, name));
        if (m == null) {
            return 0;
        }
        return m.size() - (m.containsKey(lease) ? 1 : 0);
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

    DatasetInfo info(Dataset d) {
        Map<Long, Integer> m = openBy.get(new Key(d.tenant(), d.name()));
        return new DatasetInfo(d.tenant(), d.name(), d.bytes(), d.replication(), m == null ? 0 : m.size());
    }

    /** The datasets of {@code tenant}, or every dataset if null, by owner and name. */
    List<DatasetInfo> list(String tenant) {
        List<DatasetInfo> out = new ArrayList<>();
        for (Dataset d : datasets.values()) {
            if (tenant == null || d.tenant().equals(tenant)) {
                out.add(info(d));
            }
        }
        out.sort((a, b) -> a.owner().equals(b.owner()) ? a.name().compareTo(b.name()) : a.owner().compareTo(b.owner()));
        return out;
    }

    /** Entries that rebuild every dataset and who has it open; the opens come after the datasets. */
    List<Journal.Entry> snapshot() {
        List<Journal.Entry> out = new ArrayList<>(datasets.size());
        for (Dataset d : datasets.values()) {
            out.add(d.entry());
        }
        for (Map.Entry<Key, Map<Long, Integer>> e : openBy.entrySet()) {
            if (!datasets.containsKey(e.getKey())) {
                continue;
            }
            for (Map.Entry<Long, Integer> lease : e.getValue().entrySet()) {
                for (int i = 0; i < lease.getValue(); i++) {
                    out.add(new Journal.DatasetOpened(e.getKey().tenant(), e.getKey().name(), lease.getKey()));
                }
            }
        }
        return out;
    }
}
