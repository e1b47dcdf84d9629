package io.remem.controller;

import io.remem.protocol.ClusterStatus;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Scram;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tenants the controller knows: each one's quota, the verifiers of its secrets and the slab bytes it holds. A
 * tenant exists only once an admin has added it; no request creates one. Not thread-safe: {@link Metadata}'s lock
 * guards it, and Metadata journals every change before making it here.
 */
final class Tenants {
    /** One tenant. A tenant without keys cannot log in: it only accounts for slabs an older journal gave it. */
    static final class Tenant {
        final String name;
        long quota;
        final Map<String, Scram.Verifier> keys = new LinkedHashMap<>();
        long bytes;
        int slabs;

        Tenant(String name, long quota) {
            this.name = name;
            this.quota = quota;
        }

        boolean registered() {
            return !keys.isEmpty();
        }

        Journal.Tenant entry() {
            return new Journal.Tenant(name, quota, List.copyOf(keys.values()));
        }
    }

    private final Map<String, Tenant> byName = new TreeMap<>();
    private final long defaultQuota;

    Tenants(long defaultQuota) {
        this.defaultQuota = defaultQuota;
    }

    long defaultQuota() {
        return defaultQuota;
    }

    Tenant get(String name) {
        return byName.get(name);
    }

    /** The tenant's record, made (unregistered, with the default quota) if a slab names a tenant not yet known. */
    Tenant account(String name) {
        return byName.computeIfAbsent(name, n -> new Tenant(n, defaultQuota));
    }

    /** The verifier of {@code name}'s secret {@code keyId}, or null if there is no such tenant or key. */
    Scram.Verifier verifier(String name, String keyId) {
        Tenant t = byName.get(name);
        return t == null ? null : t.keys.get(keyId);
    }

    /** Applies a journaled tenant record, on replay or after journaling a change. */
    void apply(Journal.Tenant e) {
        Tenant t = account(e.name());
        t.quota = e.quota();
        t.keys.clear();
        for (Scram.Verifier v : e.keys()) {
            t.keys.put(v.keyId(), v);
        }
    }

    void apply(Journal.TenantRemoved e) {
        byName.remove(e.name());
    }

    /** The record a new tenant would have; refuses a name that is already registered. */
    Journal.Tenant planAdd(String name, long quota, Scram.Verifier first) {
        Tenant existing = byName.get(name);
        if (existing != null && existing.registered()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "tenant " + name + " already exists; add a secret to it with"
                    + " `remem tenant secret add`, or remove it first");
        }
        return new Journal.Tenant(name, quota < 0 ? defaultQuota : quota, List.of(first));
    }

    Journal.Tenant planQuota(String name, long quota) {
        Tenant t = registered(name);
        return new Journal.Tenant(name, quota, List.copyOf(t.keys.values()));
    }

    Journal.Tenant planKeyAdd(String name, Scram.Verifier key) {
        Tenant t = registered(name);
        if (t.keys.containsKey(key.keyId())) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "tenant " + name + " already has a secret with key id " + key.keyId());
        }
        if (t.keys.size() >= ClusterStatus.MAX_KEYS) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "tenant " + name + " already has " + t.keys.size()
                    + " secrets; revoke one first");
        }
        List<Scram.Verifier> keys = new ArrayList<>(t.keys.values());
        keys.add(key);
        return new Journal.Tenant(name, t.quota, keys);
    }

    Journal.Tenant planKeyRevoke(String name, String keyId) {
        Tenant t = registered(name);
        if (!t.keys.containsKey(keyId)) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "tenant " + name + " has no secret with key id " + keyId
                    + "; its key ids are " + t.keys.keySet());
        }
        if (t.keys.size() == 1) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "key " + keyId + " is tenant " + name + "'s last secret;"
                    + " add another first, or remove the tenant");
        }
        List<Scram.Verifier> keys = new ArrayList<>(t.keys.values());
        keys.removeIf(v -> v.keyId().equals(keyId));
        return new Journal.Tenant(name, t.quota, keys);
    }

    /** A registered tenant, or a clear error. */
    Tenant registered(String name) {
        Tenant t = byName.get(name);
        if (t == null || !t.registered()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "there is no tenant " + name + " (see `remem tenant list`)");
        }
        return t;
    }

    /** Charges ({@code sign} +1) or refunds (-1) a slab of {@code size} bytes to {@code name}. */
    void charge(String name, long size, int sign) {
        Tenant t = account(name);
        t.bytes += sign * size;
        t.slabs += sign;
    }

    long usedBy(String name) {
        Tenant t = byName.get(name);
        return t == null ? 0 : t.bytes;
    }

    long quotaOf(String name) {
        Tenant t = byName.get(name);
        return t == null ? defaultQuota : t.quota;
    }

    int size() {
        return byName.size();
    }

    List<Journal.Tenant> snapshot() {
        List<Journal.Tenant> out = new ArrayList<>();
        for (Tenant t : byName.values()) {
            if (t.registered()) {
                out.add(t.entry());
            }
        }
        return out;
    }

    /** Every tenant, or only {@code only} if not null. */
    List<ClusterStatus.Tenant> status(String only) {
        List<ClusterStatus.Tenant> out = new ArrayList<>();
        for (Tenant t : byName.values()) {
            if (only == null || t.name.equals(only)) {
                out.add(new ClusterStatus.Tenant(t.name, t.quota, t.bytes, t.slabs, List.copyOf(t.keys.keySet())));
            }
        }
        return out;
    }
}
