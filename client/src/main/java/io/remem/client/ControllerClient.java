package io.remem.client;

import io.remem.protocol.ClusterInfo;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.Opcode;
import io.remem.protocol.Role;
import io.remem.protocol.SlabAlloc;
import io.remem.protocol.SlabRun;
import io.remem.transport.BodyWriter;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;

import java.time.Duration;

/** The runtime's control path: asks the controller for slabs and gives them back. Reconnects when needed. */
final class ControllerClient implements AutoCloseable {
    private final EventLoops loops;
    private final HostPort address;
    private final String tenant;
    private final Duration connectTimeout;
    private final Duration callTimeout;
    private final long patienceNanos;
    private Peer peer; // guarded by this

    ControllerClient(EventLoops loops, HostPort address, String tenant, Duration connectTimeout, Duration callTimeout) {
        this(loops, address, tenant, connectTimeout, callTimeout, Duration.ZERO);
    }

    /**
     * @param patience how long a call keeps trying to reach a controller that is down or restarting before it fails
     *                 (zero: one try)
     */
    ControllerClient(EventLoops loops, HostPort address, String tenant, Duration connectTimeout, Duration callTimeout,
                     Duration patience) {
        this.loops = loops;
        this.address = address;
        this.tenant = tenant;
        this.connectTimeout = connectTimeout;
        this.callTimeout = callTimeout;
        this.patienceNanos = patience.toNanos();
    }

    /**
     * One request, tried again on a new connection while the controller is unreachable, within the patience. An
     * allocation whose answer was lost may so be made twice; the extra slabs are leaked, never shared.
     */
    private <T> T call(Opcode op, long slabId, int length, int bodySizeHint, BodyWriter body,
                       io.remem.transport.ResponseReader<T> reader) {
        long deadline = System.nanoTime() + patienceNanos;
        for (int attempt = 0; ; attempt++) {
            try {
                return Peer.await(peer().call(op, slabId, 0, length, bodySizeHint, body, reader));
            } catch (io.remem.protocol.RememException e) {
                boolean unreachable = switch (e.code()) {
                    case CONNECTION_CLOSED, NODE_UNAVAILABLE, TIMEOUT -> true;
                    default -> false;
                };
                if (!unreachable || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                Failover.backOff(attempt);
            }
        }
    }

    private synchronized Peer peer() {
        if (peer == null || !peer.isOpen()) {
            Peer fresh = Connections.connect(loops, address.host(), address.port(), null, "client",
                    connectTimeout, callTimeout);
            try {
                fresh.hello(Role.CLIENT, tenant);
            } catch (RuntimeException e) {
                fresh.close();
                throw e;
            }
            peer = fresh;
        }
        return peer;
    }

    /** One try: a session that cannot reach its controller at the start should say so at once. */
    ClusterInfo info() {
        return Peer.await(peer().call(Opcode.CLUSTER_INFO, 0, 0, 0, 0, BodyWriter.EMPTY,
                (h, body) -> ClusterInfo.decode(body)));
    }

    SlabRun allocate(long bytes, int replication) {
        SlabAlloc req = new SlabAlloc(bytes, replication);
        return call(Opcode.SLAB_ALLOC, 0, 0, 16, req::encode, (h, body) -> SlabRun.decode(body));
    }

    void free(long firstSlabId, int count) {
        call(Opcode.SLAB_FREE, firstSlabId, count, 0, BodyWriter.EMPTY, (h, body) -> null);
    }

    SlabRun lookup(long firstSlabId, int count) {
        return call(Opcode.SLAB_LOOKUP, firstSlabId, count, 0, BodyWriter.EMPTY, (h, body) -> SlabRun.decode(body));
    }

    /** Reports that memory node {@code nodeId} did not answer this client. */
    void suspect(long nodeId) {
        Peer.await(peer().call(Opcode.NODE_SUSPECT, nodeId, 0, 0, 0, BodyWriter.EMPTY, (h, body) -> null));
    }

    /** Asks the controller to move every slab off memory node {@code nodeId}. */
    void drain(long nodeId) {
        Peer.await(peer().call(Opcode.NODE_DRAIN, nodeId, 0, 0, 0, BodyWriter.EMPTY, (h, body) -> null));
    }

    ClusterStatus status() {
        return Peer.await(peer().call(Opcode.STATUS, 0, 0, 0, 0, BodyWriter.EMPTY, (h, body) -> ClusterStatus.decode(body)));
    }

    @Override
    public synchronized void close() {
        if (peer != null) {
            peer.close();
        }
    }
}
