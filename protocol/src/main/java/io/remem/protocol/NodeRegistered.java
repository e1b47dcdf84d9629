package io.remem.protocol;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;

/**
 * Body of the NODE_REGISTER response: the node's id, how often it must send heartbeats, and which of the slabs it
 * listed are still current replicas. The node deletes the others: they are stale, and must never be served.
 */
public record NodeRegistered(long nodeId, long heartbeatIntervalMillis, List<Long> keep) {
    public NodeRegistered {
        keep = List.copyOf(keep);
    }

    public NodeRegistered(long nodeId, long heartbeatIntervalMillis) {
        this(nodeId, heartbeatIntervalMillis, List.of());
    }

    public void encode(ByteBuf out) {
        out.writeLong(nodeId);
        out.writeLong(heartbeatIntervalMillis);
        out.writeInt(keep.size());
        for (long id : keep) {
            out.writeLong(id);
        }
    }

    public static NodeRegistered decode(ByteBuf body) {
        long nodeId = Bodies.readNonNegativeLong(body, "registered.nodeId");
        long interval = Bodies.readNonNegativeLong(body, "registered.heartbeatIntervalMillis");
        int count = Bodies.readCount(body, NodeRegister.MAX_HELD, "registered.keepCount");
        List<Long> keep = new ArrayList<>(Math.min(count, body.readableBytes() / 8));
        for (int i = 0; i < count; i++) {
            keep.add(Bodies.readNonNegativeLong(body, "registered.keep"));
        }
        Bodies.expectEnd(body, "registered");
        return new NodeRegistered(nodeId, interval, keep);
    }
}
