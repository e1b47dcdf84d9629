package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of TENANT_ADD: {@code u64 quota} (or {@link #DEFAULT_QUOTA} for the controller's default), then the first
 * secret's {@link TenantKey}, which names the tenant.
 */
public record TenantAdd(long quota, TenantKey key) {
    /** Take the controller's {@code --default-quota}. */
    public static final long DEFAULT_QUOTA = -1;

    public TenantAdd {
        if (quota < DEFAULT_QUOTA) {
            throw RememException.malformed("tenantAdd.quota: " + quota);
        }
    }

    public String tenant() {
        return key.tenant();
    }

    public void encode(ByteBuf out) {
        out.writeLong(quota);
        key.encode(out);
    }

    public static TenantAdd decode(ByteBuf body) {
        long quota = Bodies.readLong(body, "tenantAdd.quota");
        if (quota < DEFAULT_QUOTA) {
            throw RememException.malformed("tenantAdd.quota: " + quota + " is negative");
        }
        TenantKey key = TenantKey.read(body);
        Bodies.expectEnd(body, "tenantAdd");
        return new TenantAdd(quota, key);
    }
}
