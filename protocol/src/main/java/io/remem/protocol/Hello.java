package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of a HELLO request: the highest protocol version the sender speaks, its role, its tenant, and the session
 * this one replaces (0 for none).
 *
 * <p>{@code supersedes} fences a dead connection. A client whose connection to a memory node broke may have left
 * writes in that node's receive buffer; if they were applied after the client's newer writes on a new connection,
 * older data would win. Naming the old session makes the node close it and drop anything still unprocessed from it
 * before the new session is answered.
 */
public record Hello(int version, Role role, String tenant, int supersedes) {
    public Hello(int version, Role role, String tenant) {
        this(version, role, tenant, 0);
    }

    public void encode(ByteBuf out) {
        out.writeShort(version);
        out.writeByte(role.code());
        Bodies.writeString(out, tenant);
        out.writeInt(supersedes);
    }

    public static Hello decode(ByteBuf body) {
        int version = Bodies.readUnsignedShort(body, "hello.version");
        Role role = Role.ofCode(Bodies.readUnsignedByte(body, "hello.role"));
        String tenant = Bodies.readString(body, "hello.tenant");
        int supersedes = Bodies.readInt(body, "hello.supersedes");
        Bodies.expectEnd(body, "hello");
        if (role == Role.CLIENT) {
            TenantName.check(tenant);
        }
        return new Hello(version, role, tenant, supersedes);
    }
}
