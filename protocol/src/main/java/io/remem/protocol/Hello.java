package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/** Body of a HELLO request: the highest protocol version the sender speaks, its role and its tenant. */
public record Hello(int version, Role role, String tenant) {
    public void encode(ByteBuf out) {
        out.writeShort(version);
        out.writeByte(role.code());
        Bodies.writeString(out, tenant);
    }

    public static Hello decode(ByteBuf body) {
        int version = Bodies.readUnsignedShort(body, "hello.version");
        Role role = Role.ofCode(Bodies.readUnsignedByte(body, "hello.role"));
        String tenant = Bodies.readString(body, "hello.tenant");
        Bodies.expectEnd(body, "hello");
        if (role == Role.CLIENT) {
            TenantName.check(tenant);
        }
        return new Hello(version, role, tenant);
    }
}
