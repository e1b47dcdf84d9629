package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * A tenant secret's verifier, as an admin sends it to the controller: {@code string tenant, string keyId, u16 n, n bytes
 * salt, u32 iterations, 32 bytes storedKey, 32 bytes serverKey}. The admin's machine derives it from the secret; the
 * secret itself never crosses the wire, and the controller cannot recover it from this. The body of TENANT_KEY_ADD, and
 * part of TENANT_ADD's.
 */
public record TenantKey(String tenant, String keyId, byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {
    public static final int KEY_BYTES = 32;
    public static final int MAX_SALT_BYTES = 64;

    public TenantKey {
        TenantName.check(tenant);
        if (storedKey.length != KEY_BYTES || serverKey.length != KEY_BYTES) {
            throw RememException.malformed("tenantKey: keys must be " + KEY_BYTES + " bytes");
        }
        salt = salt.clone();
        storedKey = storedKey.clone();
        serverKey = serverKey.clone();
    }

    public void encode(ByteBuf out) {
        Bodies.writeString(out, tenant);
        Bodies.writeString(out, keyId);
        Bodies.writeBytes(out, salt);
        out.writeInt(iterations);
        out.writeBytes(storedKey);
        out.writeBytes(serverKey);
    }

    public static TenantKey decode(ByteBuf body) {
        TenantKey k = read(body);
        Bodies.expectEnd(body, "tenantKey");
        return k;
    }

    static TenantKey read(ByteBuf body) {
        String tenant = Bodies.readString(body, "tenantKey.tenant");
        String keyId = Bodies.readString(body, "tenantKey.keyId");
        byte[] salt = Bodies.readBytes(body, MAX_SALT_BYTES, "tenantKey.salt");
        int iterations = Bodies.readInt(body, "tenantKey.iterations");
        byte[] stored = Bodies.readFixed(body, KEY_BYTES, "tenantKey.storedKey");
        byte[] server = Bodies.readFixed(body, KEY_BYTES, "tenantKey.serverKey");
        return new TenantKey(TenantName.check(tenant), keyId, salt, iterations, stored, server);
    }

    @Override
    public String toString() {
        return "TenantKey[" + tenant + " " + keyId + "]";
    }
}
