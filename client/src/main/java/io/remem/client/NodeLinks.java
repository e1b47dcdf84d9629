package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.Role;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.TokenKeys;
import io.remem.transport.ClientTls;
import io.remem.transport.DirectLink;
import io.remem.transport.NanoClock;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One pipelined {@link DirectLink} per memory node, opened on first use and again after it drops. Requests from
 * every thread share it, matched to their responses by request id.
 *
 * <p>Opening a link never holds a lock other requests need: the thread that connects publishes a future, threads that
 * want the same node wait for it at most the connect timeout, and requests to other nodes never wait at all. A node
 * the controller declared dead is refused at once, and its links are closed, so no request waits out its timeout on a
 * node that is already known to be gone.
 */
final class NodeLinks implements AutoCloseable {
    private static final long HANDSHAKE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long GRANT_MARGIN_MILLIS = 5_000;

    private final Credentials credentials;
    private final ClientTls tls;
    private final int features;
    private final Duration connectTimeout;
    private final Duration callTimeout;
    private final NanoClock clock;
    private final Duration spinWait;
    private final Pool demand = new Pool();
    private final Pool prefetch = new Pool();
    /** Grants to other tenants' datasets, presented on every link, open or opened later. */
    private final List<byte[]> grants = new CopyOnWriteArrayList<>();
    /** Nodes the controller declared dead; cleared when it says they are back. */
    private final Set<Long> down = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** The links of one purpose (demand or prefetch), and the connections being opened. */
    private static final class Pool {
        final Map<Long, DirectLink> links = new ConcurrentHashMap<>();
        final Map<Long, CompletableFuture<DirectLink>> opening = new ConcurrentHashMap<>();
    }

    /**
     * @param credentials the tenant's session token, which memory nodes check
     * @param tls         TLS for every link, or null for plain TCP
     * @param features    what every link asks for ({@link io.remem.protocol.Features})
     */
    NodeLinks(Credentials credentials, ClientTls tls, int features, Duration connectTimeout, Duration callTimeout) {
        this(credentials, tls, features, connectTimeout, callTimeout, NanoClock.SYSTEM, Duration.ZERO);
    }

    /** As above, with the links' deadlines on {@code clock}, and waits spinning for up to {@code spinWait}. */
    NodeLinks(Credentials credentials, ClientTls tls, int features, Duration connectTimeout, Duration callTimeout,
              NanoClock clock, Duration spinWait) {
        this.clock = clock;
        this.spinWait = spinWait;
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
        return link(replica, demand);
    }

    /**
     * A second session with the same node, for prefetches only, so a burst of prefetches never queues ahead of a
     * demand miss (Fastswap's separate queues).
     */
    DirectLink prefetchLink(Replica replica) {
        return link(replica, prefetch);
    }

    /** Grants one runtime presents at most: one per other tenant's dataset it has open. */
    static final int MAX_GRANTS = 256;

    /**
     * Presents a grant to every memory node this runtime talks to, now and on every link opened later; it replaces one
     * for the same slabs (a renewal). A link that cannot take it now gets it when it is opened again.
     *
     * @throws RememException OVERLOADED if this runtime holds {@value #MAX_GRANTS} grants already
     */
    void present(byte[] grant) {
        long first = TokenKeys.peekGrant(grant).firstSlab();
        synchronized (grants) {
            grants.removeIf(g -> TokenKeys.peekGrant(g).firstSlab() == first || expiresSoon(g));
            if (grants.size() >= MAX_GRANTS) {
                throw new RememException(ErrorCode.OVERLOADED, "this runtime has " + MAX_GRANTS
                        + " other tenants' datasets open, the most it may; close some first");
            }
            grants.add(grant.clone());
        }
        for (Pool pool : new Pool[] {demand, prefetch}) {
            for (DirectLink l : pool.links.values()) {
                if (l.isOpen()) {
                    try {
                        presentOn(l, grant, callTimeout.toNanos());
                    } catch (RememException e) {
                        l.close(); // reopened on next use, with every grant
                    }
                }
            }
        }
    }

    /** Forgets the grant for the slabs from {@code firstSlab}: its dataset was closed, deleted or not renewed. */
    void withdraw(long firstSlab) {
        synchronized (grants) {
            grants.removeIf(g -> TokenKeys.peekGrant(g).firstSlab() == firstSlab);
        }
    }

    /** A grant that would expire before a memory node could use it: presenting it would cost the link. */
    private static boolean expiresSoon(byte[] grant) {
        return TokenKeys.peekGrant(grant).expiresAtMillis() < System.currentTimeMillis() + GRANT_MARGIN_MILLIS;
    }

    private static void presentOn(DirectLink link, byte[] grant, long withinNanos) {
        ByteBuffer body = ByteBuffer.allocate(2 + grant.length).putShort((short) grant.length).put(grant).flip();
        link.call(Opcode.SLAB_GRANT, 0, 0, 0, body, null, (h, b) -> null, withinNanos);
    }

    /** The controller declared {@code nodeId} dead: refuse it from now on and fail what is in flight to it. */
    void markDown(long nodeId) {
        down.add(nodeId);
        closeLinks(nodeId, demand);
        closeLinks(nodeId, prefetch);
    }

    /** The controller says {@code nodeId} registered again. */
    void markUp(long nodeId) {
        down.remove(nodeId);
    }

    /** Forgets every verdict: after a new controller connection, whose verdicts this runtime may have missed. */
    void forgetVerdicts() {
        down.clear();
    }

    boolean isDown(long nodeId) {
        return !down.isEmpty() && down.contains(nodeId);
    }

    private static void closeLinks(long nodeId, Pool pool) {
        DirectLink l = pool.links.get(nodeId);
        if (l != null) {
            l.close(); // pending calls fail at once with CONNECTION_CLOSED, and fail over
        }
    }

    private DirectLink link(Replica replica, Pool pool) {
        long id = replica.nodeId();
        DirectLink l = pool.links.get(id);
        if (l != null && l.isOpen()) {
            return l;
        }
        if (isDown(id)) {
            throw new RememException(ErrorCode.NODE_UNAVAILABLE, "the controller declared memory node " + id + " ("
                    + replica.address() + ") dead");
        }
        if (closed) {
            throw new IllegalStateException("the far memory session is closed");
        }
        CompletableFuture<DirectLink> mine = new CompletableFuture<>();
        CompletableFuture<DirectLink> theirs = pool.opening.putIfAbsent(id, mine);
        if (theirs != null) {
            return await(theirs, replica);
        }
        try {
            DirectLink current = pool.links.get(id);
            if (current != null && current.isOpen()) { // opened by another thread between our check and the put
                mine.complete(current);
                return current;
            }
            DirectLink fresh = open(replica, current);
            pool.links.put(id, fresh);
            if (isDown(id)) { // declared dead while we connected: the close above could not see this link
                fresh.close();
            }
            mine.complete(fresh);
            return fresh;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            pool.opening.remove(id, mine);
        }
    }

    /**
     * A new session with the node, fencing {@code previous}'s, so no write still queued there lands after newer ones.
     * The handshake, one round trip to a node that is well, gets at most a second: a node that accepts connections but
     * does not answer (stopped, say) is given up on then, not after the request timeout.
     */
    private DirectLink open(Replica replica, DirectLink previous) {
        DirectLink fresh = DirectLink.connect(replica.host(), replica.port(), connectTimeout, callTimeout, tls, clock,
                spinWait);
        try {
            long budget = Math.min(connectTimeout.toNanos(), HANDSHAKE_NANOS);
            fresh.hello(Role.CLIENT, credentials, previous == null ? 0 : previous.session(), features, budget);
            for (byte[] g : grants) {
                if (!expiresSoon(g)) {
                    presentOn(fresh, g, budget);
                }
            }
            return fresh;
        } catch (RuntimeException e) {
            fresh.close();
            throw e;
        }
    }

    private DirectLink await(CompletableFuture<DirectLink> opening, Replica replica) {
        try {
            return opening.get(connectTimeout.toMillis() + TimeUnit.NANOSECONDS.toMillis(HANDSHAKE_NANOS),
                    TimeUnit.MILLISECONDS); // connect, then handshake
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RememException re ? new RememException(re.code(), re.detail(), re)
                    : new RememException(ErrorCode.NODE_UNAVAILABLE, "cannot connect to " + replica.address(), e.getCause());
        } catch (TimeoutException e) {
            throw new RememException(ErrorCode.NODE_UNAVAILABLE, "connecting to memory node " + replica.nodeId() + " ("
                    + replica.address() + ") takes longer than " + connectTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while connecting", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (DirectLink l : demand.links.values()) {
            l.close();
        }
        for (DirectLink l : prefetch.links.values()) {
            l.close();
        }
    }
}
