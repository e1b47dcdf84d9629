package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of SLAB_SYNC (the slab id is in the header): {@code u64 size, string tenant, u64 epoch, replica source, u16 n,
 * n bytes capability}. Create the slab as a new replica at {@code epoch}, for {@code tenant}, and copy its bytes from
 * {@code source}, a readable replica, presenting {@code capability} there: a replica token the controller issued for
 * this slab, without which the source serves no REPLICA_READ.
 */
public record SlabSync(long size, String tenant, long epoch, Replica source, byte[] capability) {
    public static final int MAX_CAPABILITY_BYTES = 512;

    public SlabSync {
        capability = capability.clone();
        if (capability.length > MAX_CAPABILITY_BYTES) {
            throw RememException.malformed("slabSync.capability: " + capability.length + " bytes");
        }
        if (size <= 0 || epoch < 0 || source == null) {
            throw RememException.malformed("slabSync: size " + size + ", epoch " + epoch + ", source " + source
                    + ": need a positive size, a non-negative epoch and a source");
        }
        TenantName.check(tenant);
    }

    public void encode(ByteBuf out) {
        out.writeLong(size);
        Bodies.writeString(out, tenant);
        out.writeLong(epoch);
        source.encode(out);
        Bodies.writeBytes(out, capability);
    }

    public static SlabSync decode(ByteBuf body) {
        long size = Bodies.readNonNegativeLong(body, "slabSync.size");
        String tenant = TenantName.check(Bodies.readString(body, "slabSync.tenant"));
        long epoch = Bodies.readNonNegativeLong(body, "slabSync.epoch");
        Replica source = Replica.decode(body);
        byte[] capability = Bodies.readBytes(body, MAX_CAPABILITY_BYTES, "slabSync.capability");
        Bodies.expectEnd(body, "slabSync");
        return new SlabSync(size, tenant, epoch, source, capability);
    }

    @Override
    public String toString() {
        return "SlabSync[" + size + " bytes of " + tenant + " at epoch " + epoch + " from " + source.address() + "]";
    }
}
