package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/** Body of TENANT_QUOTA: {@code string tenant, u64 quota} in bytes of slabs. */
public record TenantQuota(String tenant, long quota) {
    public TenantQuota {
        TenantName.check(tenant);
        if (quota < 0) {
            throw RememException.malformed("tenantQuota.quota: " + quota + " is negative");
        }
    }

    public void encode(ByteBuf out) {
        Bodies.writeString(out, tenant);
        out.writeLong(quota);
    }

    public static TenantQuota decode(ByteBuf body) {
        String tenant = TenantName.check(Bodies.readString(body, "tenantQuota.tenant"));
        long quota = Bodies.readNonNegativeLong(body, "tenantQuota.quota");
        Bodies.expectEnd(body, "tenantQuota");
        return new TenantQuota(tenant, quota);
    }
}
