package io.remem.controller;

import io.remem.protocol.DatasetInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Named datasets: far memory with a name, owned by a tenant rather than by a runtime session, so it outlives its
 * clients and any runtime of the tenant can open it again by name. What a dataset is (name, size, replication, slabs)
 * is journaled; which sessions have it open is not, since every session reopens what it uses after a controller
 * restart. Not thread-safe: {@link Metadata}'s lock guards it.
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
    /** Leases of the runtime sessions that have each dataset open. */
    private final Map<Key, Set<Long>> openBy = new HashMap<>();

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

    Dataset get(String tenant, String name) {
        return datasets.get(new Key(tenant, name));
    }

    /** The dataset slab {@code slabId} belongs to, or null if it belongs to none. */
    Key ownerOf(long slabId) {
        return bySlab.get(slabId);
    }

    /** Lease {@code lease} has the dataset open (0: an admin or tool, not counted). */
    void opened(String tenant, String name, long lease) {
        if (lease != 0) {
            openBy.computeIfAbsent(new Key(tenant, name), k -> new HashSet<>()).add(lease);
        }
    }

    void closed(String tenant, String name, long lease) {
        Set<Long> s = openBy.get(new Key(tenant, name));
        if (s != null) {
            s.remove(lease);
        }
    }

    /** A lease ended: it has nothing open any more. */
    void leaseEnded(String tenant, long lease) {
        for (Map.Entry<Key, Set<Long>> e : openBy.entrySet()) {
            if (e.getKey().tenant().equals(tenant)) {
                e.getValue().remove(lease);
            }
        }
    }

    /** How many sessions other than {@code lease} have the dataset open. */
    int openByOthers(String tenant, String name, long lease) {
        Set<Long> s = openBy.get(new Key(tenant, name));
        if (s == null) {
            return 0;
        }
        return s.size() - (s.contains(lease) ? 1 : 0);
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
        Set<Long> s = openBy.get(new Key(d.tenant(), d.name()));
        return new DatasetInfo(d.tenant(), d.name(), d.bytes(), d.replication(), s == null ? 0 : s.size());
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

    List<Journal.Entry> snapshot() {
        List<Journal.Entry> out = new ArrayList<>(datasets.size());
        for (Dataset d : datasets.values()) {
            out.add(d.entry());
        }
        return out;
    }
}
