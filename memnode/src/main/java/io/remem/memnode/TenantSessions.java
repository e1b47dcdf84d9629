package io.remem.memnode;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.transport.Peer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open client sessions of a memory node, shared by all its connections: by id, so a new session can fence the one
 * it supersedes, and counted per tenant, so one tenant cannot take every connection the node will hold.
 */
final class TenantSessions {
    private record Open(Peer peer, int tenantId) {}

    private final Map<Integer, Open> byId = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> perTenant = new ConcurrentHashMap<>();
    private final int maxPerTenant;

    TenantSessions(int maxPerTenant) {
        this.maxPerTenant = maxPerTenant;
    }

    /** Admits a session of {@code tenantId}, or refuses it if the tenant holds its limit already. */
    void open(Peer peer, int tenantId) {
        AtomicInteger n = perTenant.computeIfAbsent(tenantId, t -> new AtomicInteger());
        if (n.incrementAndGet() > maxPerTenant) {
            n.decrementAndGet();
            throw new RememException(ErrorCode.OVERLOADED, "this tenant already holds " + maxPerTenant
                    + " sessions on this memory node (--max-sessions-per-tenant)");
        }
        byId.put(peer.session(), new Open(peer, tenantId));
    }

    /** The session {@code id} if it belongs to {@code tenantId}, else null. */
    Peer get(int id, int tenantId) {
        Open o = byId.get(id);
        return o != null && o.tenantId == tenantId ? o.peer : null;
    }

    /** The connection closed, or its session was superseded: it no longer counts. Idempotent. */
    void remove(Peer peer) {
        Open o = byId.get(peer.session());
        if (o != null && o.peer == peer && byId.remove(peer.session(), o)) {
            perTenant.get(o.tenantId).decrementAndGet();
        }
    }
}
