package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/** Body of TENANT_KEY_REVOKE: {@code string tenant, string keyId}. A tenant's last secret cannot be revoked. */
public record TenantKeyRevoke(String tenant, String keyId) {
    public TenantKeyRevoke {
        TenantName.check(tenant);
    }

    public void encode(ByteBuf out) {
        Bodies.writeString(out, tenant);
        Bodies.writeString(out, keyId);
    }

    public static TenantKeyRevoke decode(ByteBuf body) {
        String tenant = TenantName.check(Bodies.readString(body, "tenantKeyRevoke.tenant"));
        String keyId = Bodies.readString(body, "tenantKeyRevoke.keyId");
        Bodies.expectEnd(body, "tenantKeyRevoke");
        return new TenantKeyRevoke(tenant, keyId);
    }
}
