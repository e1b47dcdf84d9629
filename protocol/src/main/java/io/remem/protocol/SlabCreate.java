package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/** Body of SLAB_CREATE (the slab id is in the header): the slab's size and the tenant that owns it. */
public record SlabCreate(long size, String tenant) {
    public void encode(ByteBuf out) {
        out.writeLong(size);
        Bodies.writeString(out, tenant);
    }

    public static SlabCreate decode(ByteBuf body) {
        long size = Bodies.readNonNegativeLong(body, "slabCreate.size");
        String tenant = TenantName.check(Bodies.readString(body, "slabCreate.tenant"));
        Bodies.expectEnd(body, "slabCreate");
        return new SlabCreate(size, tenant);
    }
}
