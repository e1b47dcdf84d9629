package io.remem.protocol.auth;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.Bodies;

/**
 * The signed part of a token or grant and the HMAC-SHA-256 that follows it, split apart for {@link TokenKeys} to
 * check.
 */
record Signature(byte[] claims, byte[] mac) {
    /**
     * Reads the HMAC that must follow the claims {@code in} has just read from {@code bytes}, and nothing after it.
     */
    static Signature after(byte[] bytes, ByteBuf in, String what) {
        int claimBytes = in.readerIndex();
        Bodies.need(in, Crypto.HASH_BYTES, what + ".mac");
        byte[] mac = new byte[Crypto.HASH_BYTES];
        in.readBytes(mac);
        Bodies.expectEnd(in, what);
        byte[] claims = new byte[claimBytes];
        System.arraycopy(bytes, 0, claims, 0, claimBytes);
        return new Signature(claims, mac);
    }
}
