package io.remem.controller;

import io.remem.protocol.Opcode;
import io.remem.transport.BodyWriter;
import io.remem.transport.Peer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The controller's open tenant connections, by the tenant and the secret each proved, so that revoking a secret or
 * removing a tenant cuts them off at once rather than leaving them to renew tokens for as long as they stay open.
 */
final class ClientConnections {
    private record Open(String tenant, String keyId) {}

    private final Map<Peer, Open> open = new ConcurrentHashMap<>();

    void opened(Peer peer, String tenant, String keyId) {
        open.put(peer, new Open(tenant, keyId));
    }

    void closed(Peer peer) {
        open.remove(peer);
    }

    /**
     * Tells every tenant connection that memory node {@code nodeId} is dead ({@code alive} false) or back, so runtimes
     * stop sending to a node that is gone without waiting for their requests to it to time out. Best effort: a
     * runtime that misses it still fails over when its own requests fail.
     */
    void announce(long nodeId, boolean alive) {
        for (Peer p : open.keySet()) {
            p.call(Opcode.NODE_STATE, nodeId, alive ? 1 : 0, 0, 0, BodyWriter.EMPTY, (h, b) -> null)
                    .exceptionally(e -> null);
        }
    }

    /** Closes every connection of {@code tenant} that proved secret {@code keyId}, or any of its secrets if null. */
    int closeAll(String tenant, String keyId) {
        int n = 0;
        for (Map.Entry<Peer, Open> e : open.entrySet()) {
            Open o = e.getValue();
            if (o.tenant().equals(tenant) && (keyId == null || o.keyId().equals(keyId))) {
                e.getKey().close();
                n++;
            }
        }
        return n;
    }
}
