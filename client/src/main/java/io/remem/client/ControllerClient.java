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
    private Peer peer; // guarded by this

    ControllerClient(EventLoops loops, HostPort address, String tenant, Duration connectTimeout, Duration callTimeout) {
        this.loops = loops;
        this.address = address;
        this.tenant = tenant;
        this.connectTimeout = connectTimeout;
        this.callTimeout = callTimeout;
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

    ClusterInfo info() {
        return Peer.await(peer().call(Opcode.CLUSTER_INFO, 0, 0, 0, 0, BodyWriter.EMPTY,
                (h, body) -> ClusterInfo.decode(body)));
    }

    SlabRun allocate(long bytes, int replication) {
        SlabAlloc req = new SlabAlloc(bytes, replication);
        return Peer.await(peer().call(Opcode.SLAB_ALLOC, 0, 0, 0, 16, req::encode, (h, body) -> SlabRun.decode(body)));
    }

    void free(long firstSlabId, int count) {
        Peer.await(peer().call(Opcode.SLAB_FREE, firstSlabId, 0, count, 0, BodyWriter.EMPTY, (h, body) -> null));
    }

    SlabRun lookup(long firstSlabId, int count) {
        return Peer.await(peer().call(Opcode.SLAB_LOOKUP, firstSlabId, 0, count, 0, BodyWriter.EMPTY,
                (h, body) -> SlabRun.decode(body)));
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
