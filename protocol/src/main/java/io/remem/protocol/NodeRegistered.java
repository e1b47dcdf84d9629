package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/** Body of the NODE_REGISTER response: the node's id and how often it must send heartbeats. */
public record NodeRegistered(long nodeId, long heartbeatIntervalMillis) {
    public void encode(ByteBuf out) {
        out.writeLong(nodeId);
        out.writeLong(heartbeatIntervalMillis);
    }

    public static NodeRegistered decode(ByteBuf body) {
        long nodeId = Bodies.readNonNegativeLong(body, "registered.nodeId");
        long interval = Bodies.readNonNegativeLong(body, "registered.heartbeatIntervalMillis");
        Bodies.expectEnd(body, "registered");
        return new NodeRegistered(nodeId, interval);
    }
}
