package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/** Body of a HELLO response: the version both sides will speak, the session id and who answered. */
public record HelloAck(int version, int session, String server) {
    public void encode(ByteBuf out) {
        out.writeShort(version);
        out.writeInt(session);
        Bodies.writeString(out, server);
    }

    public static HelloAck decode(ByteBuf body) {
        int version = Bodies.readUnsignedShort(body, "helloAck.version");
        int session = Bodies.readInt(body, "helloAck.session");
        String server = Bodies.readString(body, "helloAck.server");
        Bodies.expectEnd(body, "helloAck");
        return new HelloAck(version, session, server);
    }
}
