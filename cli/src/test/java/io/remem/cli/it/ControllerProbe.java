package io.remem.cli.it;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.transport.BodyWriter;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;

import java.time.Duration;

/** A raw session with the controller as some tenant, to send requests the runtime would never send. */
final class ControllerProbe implements AutoCloseable {
    private final EventLoops loops = EventLoops.create("probe", 1);
    private final Peer peer;

    ControllerProbe(String address, String tenant) {
        HostPort hp = HostPort.parse(address, "controller");
        peer = Connections.connect(loops, hp.host(), hp.port(), null, "probe", Duration.ofSeconds(3), Duration.ofSeconds(10));
        peer.hello(Role.CLIENT, tenant);
    }

    ErrorCode lookup(long slabId) {
        return outcome(Opcode.SLAB_LOOKUP, slabId);
    }

    ErrorCode free(long slabId) {
        return outcome(Opcode.SLAB_FREE, slabId);
    }

    private ErrorCode outcome(Opcode op, long slabId) {
        try {
            Peer.await(peer.call(op, slabId, 0, 1, 0, BodyWriter.EMPTY, (h, b) -> null));
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
