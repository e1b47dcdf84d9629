package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of SLAB_SYNC (the slab id is in the header): create the slab as a new replica at {@code epoch}, for
 * {@code tenant}, and copy its bytes from {@code source}, a readable replica.
 */
public record SlabSync(long size, String tenant, long epoch, Replica source) {
    public SlabSync {
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
    }

    public static SlabSync decode(ByteBuf body) {
        long size = Bodies.readNonNegativeLong(body, "slabSync.size");
        String tenant = TenantName.check(Bodies.readString(body, "slabSync.tenant"));
        long epoch = Bodies.readNonNegativeLong(body, "slabSync.epoch");
        Replica source = Replica.decode(body);
        Bodies.expectEnd(body, "slabSync");
        return new SlabSync(size, tenant, epoch, source);
    }
}
