package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of NODE_REGISTER: the address clients should use to reach the memory node and the bytes it lends.
 * {@code nodeId} is 0 for a node that has never registered, else the id the controller gave it before.
 */
public record NodeRegister(long nodeId, String host, int port, long capacity) {
    public NodeRegister {
        if (port < 1 || port > 65535) {
            throw RememException.malformed("register.port: " + port + " is outside 1..65535");
        }
    }

    public void encode(ByteBuf out) {
        out.writeLong(nodeId);
        Bodies.writeString(out, host);
        out.writeShort(port);
        out.writeLong(capacity);
    }

    public static NodeRegister decode(ByteBuf body) {
        long nodeId = Bodies.readNonNegativeLong(body, "register.nodeId");
        String host = Bodies.readString(body, "register.host");
        int port = Bodies.readPort(body, "register.port");
        long capacity = Bodies.readNonNegativeLong(body, "register.capacity");
        Bodies.expectEnd(body, "register");
        if (host.isEmpty()) {
            throw RememException.malformed("register.host: empty");
        }
        return new NodeRegister(nodeId, host, port, capacity);
    }
}
