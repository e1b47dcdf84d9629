package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of NODE_HEARTBEAT. {@code backedBytes} is memory actually in use (chunks written at least once);
 * {@code reservedBytes} is the sum of the sizes of the slabs the node holds.
 */
public record NodeHeartbeat(long capacity, long backedBytes, long reservedBytes, int slabCount) {
    public void encode(ByteBuf out) {
        out.writeLong(capacity);
        out.writeLong(backedBytes);
        out.writeLong(reservedBytes);
        out.writeInt(slabCount);
    }

    public static NodeHeartbeat decode(ByteBuf body) {
        long capacity = Bodies.readNonNegativeLong(body, "heartbeat.capacity");
        long backed = Bodies.readNonNegativeLong(body, "heartbeat.backedBytes");
        long reserved = Bodies.readNonNegativeLong(body, "heartbeat.reservedBytes");
        int slabs = Bodies.readCount(body, Integer.MAX_VALUE, "heartbeat.slabCount");
        Bodies.expectEnd(body, "heartbeat");
        return new NodeHeartbeat(capacity, backed, reserved, slabs);
    }
}
