package io.remem.protocol.auth;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.Bodies;
import io.remem.protocol.RememException;
import io.remem.protocol.TenantName;

/**
 * A short-lived capability the controller issues and memory nodes check without asking it, by its HMAC under a key
 * both derive from the cluster secret (as HDFS's block access tokens do). Two kinds:
 * <ul>
 *   <li>{@link Kind#SESSION}: the bearer acts for tenant {@code subject}; a runtime presents it in HELLO to a memory
 *       node, which then serves that tenant's slabs on the connection.</li>
 *   <li>{@link Kind#REPLICA}: the bearer may read slab {@code slabId} to make a new replica of it (SLAB_SYNC).</li>
 * </ul>
 * A token is checked when a connection opens; the session it opens lives as long as the connection.
 *
 * <p>Layout, big-endian: {@code u8 format, u8 kind, string keyId, string subject, u64 slabId, u64 issuedAtMillis,
 * u64 expiresAtMillis, u64 serial, 32 bytes HMAC-SHA-256} of everything before the HMAC.
 */
public record Token(Kind kind, String keyId, String subject, long slabId, long issuedAtMillis, long expiresAtMillis,
                    long serial) {
    public static final int FORMAT = 1;
    /** No valid token is longer; a longer credential is refused before it is parsed. */
    public static final int MAX_BYTES = 256;

    public enum Kind { SESSION, REPLICA }

    public Token {
        if (kind == Kind.SESSION) {
            TenantName.check(subject);
        } else if (!subject.isEmpty()) {
            throw RememException.malformed("token.subject: a replica token names no tenant");
        }
        if (slabId < 0 || issuedAtMillis < 0 || expiresAtMillis < issuedAtMillis) {
            throw RememException.malformed("token: slab " + slabId + ", issued " + issuedAtMillis + ", expires "
                    + expiresAtMillis);
        }
    }

    public static Token session(String tenant, long issuedAtMillis, long expiresAtMillis, long serial) {
        return new Token(Kind.SESSION, "k00000000", tenant, 0, issuedAtMillis, expiresAtMillis, serial);
    }

    public static Token replica(long slabId, long issuedAtMillis, long expiresAtMillis, long serial) {
        return new Token(Kind.REPLICA, "k00000000", "", slabId, issuedAtMillis, expiresAtMillis, serial);
    }

    /** The token with {@code keyId} in place of its own. */
    Token signedBy(String keyId) {
        return new Token(kind, keyId, subject, slabId, issuedAtMillis, expiresAtMillis, serial);
    }

    /** The signed part: everything but the HMAC. */
    byte[] claims() {
        ByteBuf out = Unpooled.buffer(96);
        out.writeByte(FORMAT);
        out.writeByte(kind.ordinal() + 1);
        Bodies.writeString(out, keyId);
        Bodies.writeString(out, subject);
        out.writeLong(slabId);
        out.writeLong(issuedAtMillis);
        out.writeLong(expiresAtMillis);
        out.writeLong(serial);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    /**
     * Reads a token's claims and returns them with the HMAC that followed them, without checking the HMAC: that is
     * {@link TokenKeys#verify}'s job.
     */
    static Signed decode(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw RememException.malformed("token: " + bytes.length + " bytes exceeds " + MAX_BYTES);
        }
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        int format = Bodies.readUnsignedByte(in, "token.format");
        if (format != FORMAT) {
            throw RememException.malformed("token.format: " + format);
        }
        int kindCode = Bodies.readUnsignedByte(in, "token.kind");
        if (kindCode < 1 || kindCode > Kind.values().length) {
            throw RememException.malformed("token.kind: " + kindCode);
        }
        String keyId = Bodies.readString(in, "token.keyId");
        String subject = Bodies.readString(in, "token.subject");
        long slabId = Bodies.readLong(in, "token.slabId");
        long issued = Bodies.readLong(in, "token.issued");
        long expires = Bodies.readLong(in, "token.expires");
        long serial = Bodies.readLong(in, "token.serial");
        Signature signature = Signature.after(bytes, in, "token");
        return new Signed(new Token(Kind.values()[kindCode - 1], keyId, subject, slabId, issued, expires, serial),
                signature);
    }

    record Signed(Token token, Signature signature) {}

    @Override
    public String toString() {
        return "Token[" + kind + (kind == Kind.SESSION ? " " + subject : " slab " + slabId) + ", expires "
                + expiresAtMillis + ", serial " + Long.toHexString(serial) + "]";
    }
}
