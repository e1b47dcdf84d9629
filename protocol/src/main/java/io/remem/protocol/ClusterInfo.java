package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of the CLUSTER_INFO response. A far address is {@code slabId << slabShift | offset}; slabs are at most
 * {@code 1 << slabShift} bytes, so the slabs of one run have consecutive ids and form one contiguous range.
 */
public record ClusterInfo(int slabShift, long quota, long used, int defaultReplication, int liveNodes) {
    public long slabSize() {
        return 1L << slabShift;
    }

    public void encode(ByteBuf out) {
        out.writeByte(slabShift);
        out.writeLong(quota);
        out.writeLong(used);
        out.writeByte(defaultReplication);
        out.writeInt(liveNodes);
    }

    public static ClusterInfo decode(ByteBuf body) {
        int shift = Bodies.readUnsignedByte(body, "clusterInfo.slabShift");
        if (shift < Limits.MIN_SLAB_SHIFT || shift > Limits.MAX_SLAB_SHIFT) {
            throw RememException.malformed("clusterInfo.slabShift: " + shift + " is outside "
                    + Limits.MIN_SLAB_SHIFT + ".." + Limits.MAX_SLAB_SHIFT);
        }
        long quota = Bodies.readNonNegativeLong(body, "clusterInfo.quota");
        long used = Bodies.readNonNegativeLong(body, "clusterInfo.used");
        int replication = Bodies.readUnsignedByte(body, "clusterInfo.defaultReplication");
        if (replication < 1 || replication > Limits.MAX_REPLICATION) {
            throw RememException.malformed("clusterInfo.defaultReplication: " + replication + " is outside 1.."
                    + Limits.MAX_REPLICATION);
        }
        int live = Bodies.readCount(body, Integer.MAX_VALUE, "clusterInfo.liveNodes");
        Bodies.expectEnd(body, "clusterInfo");
        return new ClusterInfo(shift, quota, used, replication, live);
    }
}
