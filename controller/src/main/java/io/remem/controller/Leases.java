package io.remem.controller;

import io.remem.protocol.ClusterStatus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * Runtimes' leases on the slabs they allocate. A runtime opens a lease when it starts and renews it in the background;
 * every slab it allocates joins it. A lease not renewed within the lease timeout (the runtime died, or was cut off)
 * expires, and the controller frees its slabs, so a dead client's memory comes back. Closing a session ends its lease
 * the same way at once.
 *
 * <p>Which slabs belong to which lease is journaled ({@link Journal.Lease}); expiry times are not. A restarted controller
 * gives every lease a full timeout from its start, as it presumes memory nodes alive for one node timeout, so its own
 * downtime never expires a live runtime's lease. Not thread-safe: {@link Metadata}'s lock guards it.
 */
final class Leases {
    private record Key(String tenant, long id) {}

    private static final class Lease {
        final Set<Long> slabs = new LinkedHashSet<>();
        long expiresAtNanos;
    }

    private final Map<Key, Lease> leases = new HashMap<>();
    private final Map<Long, Key> owners = new HashMap<>();
    private final LongSupplier nanoClock;
    private final long timeoutNanos;

    Leases(LongSupplier nanoClock, long timeoutNanos) {
        this.nanoClock = nanoClock;
        this.timeoutNanos = timeoutNanos;
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    boolean exists(String tenant, long id) {
        return leases.containsKey(new Key(tenant, id));
    }

    /** Renews a lease this controller knows; false if it does not (it expired, or was never opened). */
    boolean renew(String tenant, long id) {
        Lease l = leases.get(new Key(tenant, id));
        if (l == null) {
            return false;
        }
        l.expiresAtNanos = nanoClock.getAsLong() + timeoutNanos;
        return true;
    }

    /** Replays or applies a journal entry: the lease exists, with these slabs added, and runs a full timeout from now. */
    void apply(Journal.Lease e) {
        Key k = new Key(e.tenant(), e.id());
        Lease l = leases.computeIfAbsent(k, x -> new Lease());
        for (long slab : e.slabs()) {
            l.slabs.add(slab);
            owners.put(slab, k);
        }
        l.expiresAtNanos = nanoClock.getAsLong() + timeoutNanos;
    }

    void apply(Journal.LeaseEnded e) {
        Lease l = leases.remove(new Key(e.tenant(), e.id()));
        if (l != null) {
            for (long slab : l.slabs) {
                owners.remove(slab);
            }
        }
    }

    /** A slab was freed, by its runtime or with its lease: it belongs to no lease any more. */
    void slabFreed(long slabId) {
        Key k = owners.remove(slabId);
        if (k != null) {
            Lease l = leases.get(k);
            if (l != null) {
                l.slabs.remove(slabId);
            }
        }
    }

    /** The slabs of a lease, to free when it ends; empty if there is no such lease. */
    List<Long> slabsOf(String tenant, long id) {
        Lease l = leases.get(new Key(tenant, id));
        return l == null ? List.of() : List.copyOf(l.slabs);
    }

    /** Whether the lease exists and its time is up (not renewed since it was found expired, say). */
    boolean expired(String tenant, long id) {
        Lease l = leases.get(new Key(tenant, id));
        return l != null && nanoClock.getAsLong() - l.expiresAtNanos > 0;
    }

    /** Whether any tenant holds a lease with this id (ids are random 64-bit numbers, so at most one does). */
    boolean existsWithId(long id) {
        for (Key k : leases.keySet()) {
            if (k.id() == id) {
                return true;
            }
        }
        return false;
    }

    /** How many leases {@code tenant} holds. */
    int count(String tenant) {
        int n = 0;
        for (Key k : leases.keySet()) {
            n += k.tenant().equals(tenant) ? 1 : 0;
        }
        return n;
    }

    /** Tenant and id of every lease whose time is up. */
    List<Journal.LeaseEnded> expired() {
        long now = nanoClock.getAsLong();
        List<Journal.LeaseEnded> out = new ArrayList<>();
        for (Map.Entry<Key, Lease> e : leases.entrySet()) {
            if (now - e.getValue().expiresAtNanos > 0) {
                out.add(new Journal.LeaseEnded(e.getKey().tenant(), e.getKey().id()));
            }
        }
        return out;
    }

    /** Every lease of {@code tenant}, as entries that end them (for a tenant being removed). */
    List<Journal.LeaseEnded> of(String tenant) {
        List<Journal.LeaseEnded> out = new ArrayList<>();
        for (Key k : leases.keySet()) {
            if (k.tenant().equals(tenant)) {
                out.add(new Journal.LeaseEnded(k.tenant(), k.id()));
            }
        }
        return out;
    }

    /** Entries that rebuild every lease, a bounded number of slabs to an entry. */
    List<Journal.Entry> snapshot() {
        List<Journal.Entry> out = new ArrayList<>();
        for (Map.Entry<Key, Lease> e : leases.entrySet()) {
            long[] slabs = e.getValue().slabs.stream().mapToLong(Long::longValue).toArray();
            int from = 0;
            do {
                int to = Math.min(slabs.length, from + Journal.Lease.MAX_SLABS);
                out.add(new Journal.Lease(e.getKey().tenant(), e.getKey().id(), Arrays.copyOfRange(slabs, from, to)));
                from = to;
            } while (from < slabs.length);
        }
        return out;
    }

    /** The leases {@code tenant} holds, or every lease if null; {@code sizeOf} gives a slab's bytes. */
    List<ClusterStatus.Lease> status(String tenant, LongUnaryOperator sizeOf) {
        long now = nanoClock.getAsLong();
        List<ClusterStatus.Lease> out = new ArrayList<>();
        for (Map.Entry<Key, Lease> e : leases.entrySet()) {
            Key k = e.getKey();
            if (tenant != null && !k.tenant().equals(tenant)) {
                continue;
            }
            long bytes = 0;
            for (long slab : e.getValue().slabs) {
                bytes += sizeOf.applyAsLong(slab);
            }
            long left = Math.max(0, (e.getValue().expiresAtNanos - now) / 1_000_000);
            out.add(new ClusterStatus.Lease(k.tenant(), k.id(), e.getValue().slabs.size(), bytes, left));
        }
        out.sort((a, b) -> a.tenant().equals(b.tenant()) ? Long.compare(a.id(), b.id()) : a.tenant().compareTo(b.tenant()));
        return out;
    }
}
