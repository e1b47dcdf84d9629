package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/** Body of an AUTH request, the answer to a {@link HelloReply.Challenge}: {@code u16 n, n bytes proof}. */
public record AuthProof(byte[] proof) {
    public static final int MAX_BYTES = 64;

    public AuthProof {
        proof = proof.clone();
    }

    public void encode(ByteBuf out) {
        Bodies.writeBytes(out, proof);
    }

    public static AuthProof decode(ByteBuf body) {
        byte[] proof = Bodies.readBytes(body, MAX_BYTES, "auth.proof");
        Bodies.expectEnd(body, "auth");
        return new AuthProof(proof);
    }
}
