package io.remem.client;

import io.remem.protocol.Replica;
import io.remem.protocol.Role;
import io.remem.protocol.auth.Credentials;
import io.remem.transport.ClientTls;
import io.remem.transport.DirectLink;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One pipelined {@link DirectLink} per memory node, opened on first use and again after it drops. Requests from
 * every thread share it, matched to their responses by request id.
 */
final class NodeLinks implements AutoCloseable {
    private final Credentials credentials;
    private final ClientTls tls;
    private final int features;
    private final Duration connectTimeout;
    private final Duration callTimeout;
    private final Map<Long, DirectLink> links = new ConcurrentHashMap<>();
    private final Map<Long, DirectLink> prefetchLinks = new ConcurrentHashMap<>();
    private final Map<Long, Object> connectLocks = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param credentials the tenant's session token, which memory nodes check
     * @param tls         TLS for every link, or null for plain TCP
     * @param features    what every link asks for ({@link io.remem.protocol.Features})
     */
    NodeLinks(Credentials credentials, ClientTls tls, int features, Duration connectTimeout, Duration callTimeout) {
        this.credentials = credentials;
        this.tls = tls;
        this.features = features;
        this.connectTimeout = connectTimeout;
        this.callTimeout = callTimeout;
    }

    /** The features every link of this runtime has. */
    int features() {
        return features;
    }

    /** An open session with the node holding {@code replica}, for demand fetches and write-back. */
    DirectLink link(Replica replica) {
        return link(replica, links);
    }

    /**
     * A second session with the same node, for prefetches only, so a burst of prefetches never queues ahead of a
     * demand miss (Fastswap's separate queues).
     */
    DirectLink prefetchLink(Replica replica) {
        return link(replica, prefetchLinks);
    }

    private DirectLink link(Replica replica, Map<Long, DirectLink> links) {
        DirectLink l = links.get(replica.nodeId());
        if (l != null && l.isOpen()) {
            return l;
        }
        synchronized (connectLocks.computeIfAbsent(replica.nodeId(), id -> new Object())) {
            l = links.get(replica.nodeId());
            if (l != null && l.isOpen()) {
                return l;
            }
            if (closed) {
                throw new IllegalStateException("the far memory session is closed");
            }
            DirectLink fresh = DirectLink.connect(replica.host(), replica.port(), connectTimeout, callTimeout, tls);
            try {
                // Fence the broken link's session, so no write still queued there lands after newer ones.
                fresh.hello(Role.CLIENT, credentials, l == null ? 0 : l.session(), features);
            } catch (RuntimeException e) {
                fresh.close();
                throw e;
            }
            links.put(replica.nodeId(), fresh);
            return fresh;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (DirectLink l : links.values()) {
            l.close();
        }
        for (DirectLink l : prefetchLinks.values()) {
            l.close();
        }
    }
}
