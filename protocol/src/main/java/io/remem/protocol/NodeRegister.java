package io.remem.protocol;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;

/**
 * Body of NODE_REGISTER: the address clients should use to reach the memory node, the bytes it lends and the slabs it
 * already holds (after a restart from its data directory, or a lost controller connection), each with its epoch, so
 * the controller can say which are still current. {@code nodeId} is 0 for a node that has never registered, else the
 * id the controller gave it before.
 */
public record NodeRegister(long nodeId, String host, int port, long capacity, List<HeldSlab> held) {
    /** Upper bound on the slabs one registration lists. */
    public static final int MAX_HELD = 1 << 20;

    /** A slab the node holds, at the epoch it last knew. */
    public record HeldSlab(long slabId, long epoch) {}

    public NodeRegister {
        if (port < 1 || port > 65535) {
            throw RememException.malformed("register.port: " + port + " is outside 1..65535");
        }
        held = List.copyOf(held);
    }

    public NodeRegister(long nodeId, String host, int port, long capacity) {
        this(nodeId, host, port, capacity, List.of());
    }

    public void encode(ByteBuf out) {
        out.writeLong(nodeId);
        Bodies.writeString(out, host);
        out.writeShort(port);
        out.writeLong(capacity);
        out.writeInt(held.size());
        for (HeldSlab h : held) {
            out.writeLong(h.slabId());
            out.writeLong(h.epoch());
        }
    }

    public static NodeRegister decode(ByteBuf body) {
        long nodeId = Bodies.readNonNegativeLong(body, "register.nodeId");
        String host = Bodies.readString(body, "register.host");
        int port = Bodies.readPort(body, "register.port");
        long capacity = Bodies.readNonNegativeLong(body, "register.capacity");
        int count = Bodies.readCount(body, MAX_HELD, "register.heldCount");
        List<HeldSlab> held = new ArrayList<>(Math.min(count, body.readableBytes() / 16));
        for (int i = 0; i < count; i++) {
            held.add(new HeldSlab(Bodies.readNonNegativeLong(body, "register.held.slabId"),
                    Bodies.readNonNegativeLong(body, "register.held.epoch")));
        }
        Bodies.expectEnd(body, "register");
        if (host.isEmpty()) {
            throw RememException.malformed("register.host: empty");
        }
        return new NodeRegister(nodeId, host, port, capacity, held);
    }
}
