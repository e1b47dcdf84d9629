package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * Body of the STATUS response: every memory node and every tenant the controller knows, how far the repair of
 * replication has come, and the runtimes' leases. A tenant asking sees only itself: no nodes, no other tenant, no
 * repair figures, only its own leases.
 */
public record ClusterStatus(int slabShift, List<Node> nodes, List<Tenant> tenants, Repair repair, List<Lease> leases) {
    private static final int MAX_ENTRIES = 1 << 20;
    /** Secrets one tenant may hold at once. */
    public static final int MAX_KEYS = 16;

    public ClusterStatus {
        nodes = List.copyOf(nodes);
        tenants = List.copyOf(tenants);
        leases = List.copyOf(leases);
    }

    public ClusterStatus(int slabShift, List<Node> nodes, List<Tenant> tenants, Repair repair) {
        this(slabShift, nodes, tenants, repair, List.of());
    }

    public ClusterStatus(int slabShift, List<Node> nodes, List<Tenant> tenants) {
        this(slabShift, nodes, tenants, Repair.NONE);
    }

    /**
     * A runtime's lease: the slabs it allocated, freed by the controller if the lease is not renewed in time.
     *
     * @param expiresInMillis how long until it expires unless renewed (0: expired, being reclaimed)
     */
    public record Lease(String tenant, long id, int slabs, long bytes, long expiresInMillis) {}

    /** One memory node as the controller sees it. */
    public record Node(long nodeId, String host, int port, boolean alive, long capacity, long backedBytes,
                       long reservedBytes, int slabs, long millisSinceHeartbeat, boolean draining) {
        public Node(long nodeId, String host, int port, boolean alive, long capacity, long backedBytes,
                    long reservedBytes, int slabs, long millisSinceHeartbeat) {
            this(nodeId, host, port, alive, capacity, backedBytes, reservedBytes, slabs, millisSinceHeartbeat, false);
        }

        public String address() {
            return host + ":" + port;
        }
    }

    /**
     * Re-replication and migration: slabs below their replication factor, slabs with no live replica at all, slabs
     * being copied now, and bytes copied of the bytes the copies in progress will move. {@code copiedSlabs} counts
     * every copy finished since the controller started.
     */
    public record Repair(int underReplicated, int unavailable, int copying, long copiedBytes, long copyBytes,
                         long copiedSlabs, int quarantined) {
        public static final Repair NONE = new Repair(0, 0, 0, 0, 0, 0, 0);

        public Repair(int underReplicated, int unavailable, int copying, long copiedBytes, long copyBytes, long copiedSlabs) {
            this(underReplicated, unavailable, copying, copiedBytes, copyBytes, copiedSlabs, 0);
        }

        /** Nothing left to do: every slab is at its factor and no copy is running. */
        public boolean done() {
            return underReplicated == 0 && unavailable == 0 && copying == 0;
        }
    }

    /** One tenant: its quota, the slab bytes it holds, and the key ids of its secrets. */
    public record Tenant(String name, long quota, long usedBytes, int slabs, List<String> keyIds) {
        public Tenant {
            keyIds = List.copyOf(keyIds);
        }

        public Tenant(String name, long quota, long usedBytes, int slabs) {
            this(name, quota, usedBytes, slabs, List.of());
        }
    }

    public long slabSize() {
        return 1L << slabShift;
    }

    public void encode(ByteBuf out) {
        out.writeByte(slabShift);
        out.writeInt(nodes.size());
        for (Node n : nodes) {
            out.writeLong(n.nodeId());
            Bodies.writeString(out, n.host());
            out.writeShort(n.port());
            out.writeBoolean(n.alive());
            out.writeLong(n.capacity());
            out.writeLong(n.backedBytes());
            out.writeLong(n.reservedBytes());
            out.writeInt(n.slabs());
            out.writeLong(n.millisSinceHeartbeat());
            out.writeBoolean(n.draining());
        }
        out.writeInt(tenants.size());
        for (Tenant t : tenants) {
            Bodies.writeString(out, t.name());
            out.writeLong(t.quota());
            out.writeLong(t.usedBytes());
            out.writeInt(t.slabs());
            out.writeInt(t.keyIds().size());
            for (String k : t.keyIds()) {
                Bodies.writeString(out, k);
            }
        }
        out.writeInt(repair.underReplicated());
        out.writeInt(repair.unavailable());
        out.writeInt(repair.copying());
        out.writeLong(repair.copiedBytes());
        out.writeLong(repair.copyBytes());
        out.writeLong(repair.copiedSlabs());
        out.writeInt(repair.quarantined());
        out.writeInt(leases.size());
        for (Lease l : leases) {
            Bodies.writeString(out, l.tenant());
            out.writeLong(l.id());
            out.writeInt(l.slabs());
            out.writeLong(l.bytes());
            out.writeLong(l.expiresInMillis());
        }
    }

    public static ClusterStatus decode(ByteBuf body) {
        int shift = Bodies.readUnsignedByte(body, "status.slabShift");
        if (shift < Limits.MIN_SLAB_SHIFT || shift > Limits.MAX_SLAB_SHIFT) {
            throw RememException.malformed("status.slabShift: " + shift + " is outside "
                    + Limits.MIN_SLAB_SHIFT + ".." + Limits.MAX_SLAB_SHIFT);
        }
        int nodeCount = Bodies.readCount(body, MAX_ENTRIES, "status.nodeCount");
        List<Node> nodes = new ArrayList<>(Math.min(nodeCount, body.readableBytes() / 40));
        for (int i = 0; i < nodeCount; i++) {
            nodes.add(new Node(
                    Bodies.readNonNegativeLong(body, "node.id"),
                    Bodies.readString(body, "node.host"),
                    Bodies.readPort(body, "node.port"),
                    Bodies.readBoolean(body, "node.alive"),
                    Bodies.readNonNegativeLong(body, "node.capacity"),
                    Bodies.readNonNegativeLong(body, "node.backed"),
                    Bodies.readNonNegativeLong(body, "node.reserved"),
                    Bodies.readCount(body, Integer.MAX_VALUE, "node.slabs"),
                    Bodies.readNonNegativeLong(body, "node.millisSinceHeartbeat"),
                    Bodies.readBoolean(body, "node.draining")));
        }
        int tenantCount = Bodies.readCount(body, MAX_ENTRIES, "status.tenantCount");
        List<Tenant> tenants = new ArrayList<>(Math.min(tenantCount, body.readableBytes() / 22));
        for (int i = 0; i < tenantCount; i++) {
            String name = Bodies.readString(body, "tenant.name");
            long quota = Bodies.readNonNegativeLong(body, "tenant.quota");
            long used = Bodies.readNonNegativeLong(body, "tenant.used");
            int slabs = Bodies.readCount(body, Integer.MAX_VALUE, "tenant.slabs");
            int keys = Bodies.readCount(body, MAX_KEYS, "tenant.keyCount");
            List<String> keyIds = new ArrayList<>(keys);
            for (int k = 0; k < keys; k++) {
                keyIds.add(Bodies.readString(body, "tenant.keyId"));
            }
            tenants.add(new Tenant(name, quota, used, slabs, keyIds));
        }
        Repair repair = new Repair(
                Bodies.readCount(body, Integer.MAX_VALUE, "repair.underReplicated"),
                Bodies.readCount(body, Integer.MAX_VALUE, "repair.unavailable"),
                Bodies.readCount(body, Integer.MAX_VALUE, "repair.copying"),
                Bodies.readNonNegativeLong(body, "repair.copiedBytes"),
                Bodies.readNonNegativeLong(body, "repair.copyBytes"),
                Bodies.readNonNegativeLong(body, "repair.copiedSlabs"),
                Bodies.readCount(body, Integer.MAX_VALUE, "repair.quarantined"));
        int leaseCount = Bodies.readCount(body, MAX_ENTRIES, "status.leaseCount");
        List<Lease> leases = new ArrayList<>(Math.min(leaseCount, body.readableBytes() / 30));
        for (int i = 0; i < leaseCount; i++) {
            leases.add(new Lease(
                    Bodies.readString(body, "lease.tenant"),
                    Bodies.readLong(body, "lease.id"),
                    Bodies.readCount(body, Integer.MAX_VALUE, "lease.slabs"),
                    Bodies.readNonNegativeLong(body, "lease.bytes"),
                    Bodies.readNonNegativeLong(body, "lease.expiresInMillis")));
        }
        Bodies.expectEnd(body, "status");
        return new ClusterStatus(shift, nodes, tenants, repair, leases);
    }
}
