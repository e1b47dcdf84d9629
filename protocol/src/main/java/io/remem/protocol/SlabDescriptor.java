package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a slab lives: its id, its size and its replicas, primary first.
 *
 * <p>{@code epoch} counts the changes of the replica set; a memory node refuses writes from a session that has not
 * said it knows the current one, so no write can miss a replica that was added. The first {@code readable}
 * replicas hold every acknowledged write and may serve reads; the rest are still being copied and take writes
 * only.
 */
public record SlabDescriptor(long slabId, long size, long epoch, int readable, List<Replica> replicas) {
    public SlabDescriptor {
        replicas = List.copyOf(replicas);
        if (replicas.isEmpty() || replicas.size() > Limits.MAX_REPLICATION) {
            throw RememException.malformed("slab " + slabId + ": " + replicas.size() + " replicas is outside 1.."
                    + Limits.MAX_REPLICATION);
        }
        if (readable < 1 || readable > replicas.size()) {
            throw RememException.malformed("slab " + slabId + ": " + readable + " readable replicas is outside 1.."
                    + replicas.size());
        }
        if (epoch < 0) {
            throw RememException.malformed("slab " + slabId + ": negative epoch " + epoch);
        }
    }

    /** A slab whose replicas are all readable, at epoch 0. */
    public SlabDescriptor(long slabId, long size, List<Replica> replicas) {
        this(slabId, size, 0, replicas.size(), replicas);
    }

    public Replica primary() {
        return replicas.getFirst();
    }

    public void encode(ByteBuf out) {
        out.writeLong(slabId);
        out.writeLong(size);
        out.writeLong(epoch);
        out.writeByte(readable);
        out.writeByte(replicas.size());
        for (Replica r : replicas) {
            r.encode(out);
        }
    }

    public static SlabDescriptor decode(ByteBuf body) {
        long slabId = Bodies.readNonNegativeLong(body, "slab.id");
        long size = Bodies.readNonNegativeLong(body, "slab.size");
        long epoch = Bodies.readNonNegativeLong(body, "slab.epoch");
        int readable = Bodies.readUnsignedByte(body, "slab.readable");
        int n = Bodies.readUnsignedByte(body, "slab.replicaCount");
        if (n == 0 || n > Limits.MAX_REPLICATION) {
            throw RememException.malformed("slab.replicaCount: " + n + " is outside 1.." + Limits.MAX_REPLICATION);
        }
        List<Replica> replicas = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            replicas.add(Replica.decode(body));
        }
        if (readable < 1 || readable > n) {
            throw RememException.malformed("slab.readable: " + readable + " is outside 1.." + n);
        }
        return new SlabDescriptor(slabId, size, epoch, readable, replicas);
    }
}
