package io.remem.client;

import io.remem.protocol.Replica;
import io.remem.protocol.Role;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.Peer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One pipelined connection per memory node, opened on first use and again after it drops. Requests from
 * every thread share it, matched to their responses by request id.
 */
final class NodeLinks implements AutoCloseable {
    private final EventLoops loops;
    private final String tenant;
    private final Duration connectTimeout;
    private final Duration callTimeout;
    private final Map<Long, Peer> peers = new ConcurrentHashMap<>();
    private final Map<Long, Object> connectLocks = new ConcurrentHashMap<>();
    private volatile boolean closed;

    NodeLinks(EventLoops loops, String tenant, Duration connectTimeout, Duration callTimeout) {
        this.loops = loops;
        this.tenant = tenant;
        this.connectTimeout = connectTimeout;
        this.callTimeout = callTimeout;
    }

    /** An open session with the node holding {@code replica}. */
    Peer peer(Replica replica) {
        Peer p = peers.get(replica.nodeId());
        if (p != null && p.isOpen()) {
            return p;
        }
        synchronized (connectLocks.computeIfAbsent(replica.nodeId(), id -> new Object())) {
            p = peers.get(replica.nodeId());
            if (p != null && p.isOpen()) {
                return p;
            }
            if (closed) {
                throw new IllegalStateException("the far memory session is closed");
            }
            Peer fresh = Connections.connect(loops, replica.host(), replica.port(), null, "client",
                    connectTimeout, callTimeout);
            try {
                fresh.hello(Role.CLIENT, tenant);
            } catch (RuntimeException e) {
                fresh.close();
                throw e;
            }
            peers.put(replica.nodeId(), fresh);
            return fresh;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Peer p : peers.values()) {
            p.close();
        }
    }
}
