package io.remem.protocol;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;

/**
 * Body of the NODE_REGISTER response: {@code u64 nodeId, u64 heartbeatIntervalMillis, u32 n, n × u64 keep, u32 m,
 * m × (u64 slabId, string tenant, u64 size, u64 epoch)}.
 *
 * <p>The node's id, how often it must send heartbeats, and which of the slabs it listed are still current replicas.
 * The node deletes the others: they are stale, and must never be served. {@code restore} lists slabs the node reported
 * damaged whose only readable copy is this one, with the metadata the controller holds for them: the node rebuilds what
 * it lost from that, checks the data against its checksums, and serves the slab again only if it passes; otherwise the
 * copy stays quarantined.
 */
public record NodeRegistered(long nodeId, long heartbeatIntervalMillis, List<Long> keep, List<Restore> restore) {
    /** What the controller knows of a slab whose local metadata was lost. */
    public record Restore(long slabId, String tenant, long size, long epoch) {
        public Restore {
            TenantName.check(tenant);
            if (slabId < 0 || size <= 0 || epoch < 0) {
                throw RememException.malformed("registered.restore: slab " + slabId + ", size " + size + ", epoch " + epoch);
            }
        }
    }

    public NodeRegistered {
        keep = List.copyOf(keep);
        restore = List.copyOf(restore);
    }

    public NodeRegistered(long nodeId, long heartbeatIntervalMillis, List<Long> keep) {
        this(nodeId, heartbeatIntervalMillis, keep, List.of());
    }

    public NodeRegistered(long nodeId, long heartbeatIntervalMillis) {
        this(nodeId, heartbeatIntervalMillis, List.of(), List.of());
    }

    public void encode(ByteBuf out) {
        out.writeLong(nodeId);
        out.writeLong(heartbeatIntervalMillis);
        out.writeInt(keep.size());
        for (long id : keep) {
            out.writeLong(id);
        }
        out.writeInt(restore.size());
        for (Restore r : restore) {
            out.writeLong(r.slabId());
            Bodies.writeString(out, r.tenant());
            out.writeLong(r.size());
            out.writeLong(r.epoch());
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
        int restoreCount = Bodies.readCount(body, NodeRegister.MAX_HELD, "registered.restoreCount");
        List<Restore> restore = new ArrayList<>(Math.min(restoreCount, body.readableBytes() / 27));
        for (int i = 0; i < restoreCount; i++) {
            restore.add(new Restore(Bodies.readNonNegativeLong(body, "restore.slabId"),
                    TenantName.check(Bodies.readString(body, "restore.tenant")),
                    Bodies.readNonNegativeLong(body, "restore.size"),
                    Bodies.readNonNegativeLong(body, "restore.epoch")));
        }
        Bodies.expectEnd(body, "registered");
        return new NodeRegistered(nodeId, interval, keep, restore);
    }
}
