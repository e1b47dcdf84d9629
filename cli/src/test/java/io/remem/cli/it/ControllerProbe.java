package io.remem.cli.it;

import io.remem.protocol.ClusterStatus;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetOpen;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.Secret;
import io.remem.transport.BodyWriter;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;

import java.time.Duration;

/**
 * A raw session with the controller as some tenant (proving its secret), to send requests the runtime would never send
 * and to get the session token the runtime would present to memory nodes.
 */
final class ControllerProbe implements AutoCloseable {
    private final EventLoops loops = EventLoops.create("probe", 1);
    private final Peer peer;
    private final byte[] token;

    ControllerProbe(String address, String tenant, Secret secret) {
        HostPort hp = HostPort.parse(address, "controller");
        peer = Connections.connect(loops, hp.host(), hp.port(), null, "probe", Duration.ofSeconds(3), Duration.ofSeconds(10));
        token = peer.hello(Role.CLIENT, Credentials.ofSecret(tenant, secret)).grant();
    }

    /** The session token the controller granted this tenant: what a memory node wants in HELLO. */
    byte[] token() {
        return token.clone();
    }

    ErrorCode lookup(long slabId) {
        return lookup(slabId, 1);
    }

    ErrorCode lookup(long slabId, int count) {
        return outcome(Opcode.SLAB_LOOKUP, slabId, count, BodyWriter.EMPTY);
    }

    ErrorCode free(long slabId) {
        return outcome(Opcode.SLAB_FREE, slabId, 1, BodyWriter.EMPTY);
    }

    /** Any request, for the ones a tenant must be refused. */
    ErrorCode call(Opcode op, long slabId, BodyWriter body) {
        return outcome(op, slabId, 0, body);
    }

    /** Opens a dataset as a runtime would (lease 0: a tool), getting its slabs and, for another tenant's, the grant. */
    DatasetInfo.Opened open(DatasetOpen open) {
        return Peer.await(peer.call(Opcode.DATASET_OPEN, 0, 0, 0, 64, open::encode,
                (h, b) -> DatasetInfo.decodeOpened(b)));
    }

    /** What the controller shows this tenant. */
    ClusterStatus status() {
        return Peer.await(peer.call(Opcode.STATUS, 0, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> ClusterStatus.decode(b)));
    }

    private ErrorCode outcome(Opcode op, long slabId, int length, BodyWriter body) {
        try {
            Peer.await(peer.call(op, slabId, 0, length, 64, body, (h, b) -> null));
            return ErrorCode.OK;
        } catch (RememException e) {
            return e.code();
        }
    }

    @Override
    public void close() {
        peer.close();
        loops.close();
    }
}
