package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/** Body of SLAB_ALLOC: how many bytes the run must hold, and the replication factor (0: the cluster's default). */
public record SlabAlloc(long bytes, int replication) {
    public void encode(ByteBuf out) {
        out.writeLong(bytes);
        out.writeByte(replication);
    }

    public static SlabAlloc decode(ByteBuf body) {
        long bytes = Bodies.readNonNegativeLong(body, "slabAlloc.bytes");
        int replication = Bodies.readUnsignedByte(body, "slabAlloc.replication");
        Bodies.expectEnd(body, "slabAlloc");
        if (bytes == 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slabAlloc.bytes: must be positive");
        }
        if (replication > Limits.MAX_REPLICATION) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT,
                    "slabAlloc.replication: " + replication + " exceeds " + Limits.MAX_REPLICATION);
        }
        return new SlabAlloc(bytes, replication);
    }
}
