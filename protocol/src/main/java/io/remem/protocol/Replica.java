package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/** One copy of a slab: the memory node that holds it and where to reach that node. */
public record Replica(long nodeId, String host, int port) {
    public Replica {
        if (port < 1 || port > 65535) {
            throw RememException.malformed("replica port " + port + " is outside 1..65535");
        }
    }

    public void encode(ByteBuf out) {
        out.writeLong(nodeId);
        Bodies.writeString(out, host);
        out.writeShort(port);
    }

    public static Replica decode(ByteBuf body) {
        long nodeId = Bodies.readNonNegativeLong(body, "replica.nodeId");
        String host = Bodies.readString(body, "replica.host");
        int port = Bodies.readPort(body, "replica.port");
        return new Replica(nodeId, host, port);
    }

    public String address() {
        return host + ":" + port;
    }
}
