package io.remem.protocol.auth;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.Hello;
import io.remem.protocol.HelloReply;

import java.nio.charset.StandardCharsets;

/**
 * What both sides of a handshake sign and bind to. Messages are re-encoded from their decoded form, which is exact:
 * decoding is strict (no trailing bytes, no alternative encodings), so both sides get the same bytes.
 */
public final class Transcript {
    private static final byte[] AUTH_LABEL = "remem scram v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BINDING_LABEL = "remem session binding v1".getBytes(StandardCharsets.US_ASCII);

    private Transcript() {}

    /** SCRAM's AuthMessage: the HELLO and the challenge, whole. */
    public static byte[] authMessage(Hello hello, HelloReply.Challenge challenge) {
        ByteBuf b = Unpooled.buffer(256);
        b.writeBytes(AUTH_LABEL);
        hello.encode(b);
        challenge.encode(b);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    /**
     * A value unique to one authenticated session, known to both ends and to nobody else who could not forge the
     * handshake: what a memory node signs when it registers, so a registration cannot be replayed on another session.
     */
    public static byte[] binding(byte[] authMessage) {
        return Crypto.sha256(BINDING_LABEL, authMessage);
    }
}
