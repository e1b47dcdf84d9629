package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/** Where a slab lives: its id, its size and its replicas, primary first. */
public record SlabDescriptor(long slabId, long size, List<Replica> replicas) {
    public SlabDescriptor {
        replicas = List.copyOf(replicas);
        if (replicas.isEmpty() || replicas.size() > Limits.MAX_REPLICATION) {
            throw RememException.malformed("slab " + slabId + ": " + replicas.size() + " replicas is outside 1.."
                    + Limits.MAX_REPLICATION);
        }
    }

    public Replica primary() {
        return replicas.getFirst();
    }

    public void encode(ByteBuf out) {
        out.writeLong(slabId);
        out.writeLong(size);
        out.writeByte(replicas.size());
        for (Replica r : replicas) {
            r.encode(out);
        }
    }

    public static SlabDescriptor decode(ByteBuf body) {
        long slabId = Bodies.readNonNegativeLong(body, "slab.id");
        long size = Bodies.readNonNegativeLong(body, "slab.size");
        int n = Bodies.readUnsignedByte(body, "slab.replicaCount");
        if (n == 0 || n > Limits.MAX_REPLICATION) {
            throw RememException.malformed("slab.replicaCount: " + n + " is outside 1.." + Limits.MAX_REPLICATION);
        }
        List<Replica> replicas = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            replicas.add(Replica.decode(body));
        }
        return new SlabDescriptor(slabId, size, replicas);
    }
}
