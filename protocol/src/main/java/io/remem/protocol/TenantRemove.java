package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of TENANT_REMOVE: {@code string tenant, u8 force}. Without force, a tenant that still holds memory is not
 * removed; with it, every slab it holds is freed first.
 */
public record TenantRemove(String tenant, boolean force) {
    public TenantRemove {
        TenantName.check(tenant);
    }

    public void encode(ByteBuf out) {
        Bodies.writeString(out, tenant);
        out.writeByte(force ? 1 : 0);
    }

    public static TenantRemove decode(ByteBuf body) {
        String tenant = TenantName.check(Bodies.readString(body, "tenantRemove.tenant"));
        int force = Bodies.readUnsignedByte(body, "tenantRemove.force");
        if (force > 1) {
            throw RememException.malformed("tenantRemove.force: " + force + " is not 0 or 1");
        }
        Bodies.expectEnd(body, "tenantRemove");
        return new TenantRemove(tenant, force == 1);
    }
}
