package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.util.Arrays;

/**
 * Body of a HELLO request, the first frame of every connection:
 * {@code u16 version, u8 role, string principal, string keyId, u32 supersedes, u32 features, 32 bytes nonce,
 * u16 n, n bytes credential}.
 *
 * <ul>
 *   <li>{@code principal} is who the sender claims to be: a tenant's name, {@code node}, {@code admin} or
 *       {@code replica}. Nothing is believed until it is proven.</li>
 *   <li>{@code keyId} names which of the principal's secrets the sender will prove (challenge-response); empty when it
 *       presents a token instead.</li>
 *   <li>{@code credential} is that token (a runtime or a copying node to a memory node); empty for challenge-response.</li>
 *   <li>{@code nonce} is fresh randomness, so no two handshakes have the same transcript.</li>
 *   <li>{@code features} asks for optional behaviour ({@link Features}); the answer says what was granted.</li>
 *   <li>{@code supersedes} fences a dead connection. A client whose connection to a memory node broke may have left
 *       writes in that node's receive buffer; naming the old session makes the node close it and drop anything still
 *       unprocessed from it before the new session is answered.</li>
 * </ul>
 */
public record Hello(int version, Role role, String principal, String keyId, int supersedes, int features, byte[] nonce,
                    byte[] credential) {
    public static final int NONCE_BYTES = 32;
    /** Bounds a credential before it is read; a token is far shorter. */
    public static final int MAX_CREDENTIAL_BYTES = 512;

    public Hello {
        if (nonce.length != NONCE_BYTES) {
            throw RememException.malformed("hello.nonce: " + nonce.length + " bytes, not " + NONCE_BYTES);
        }
        if (credential.length > MAX_CREDENTIAL_BYTES) {
            throw RememException.malformed("hello.credential: " + credential.length + " bytes exceeds " + MAX_CREDENTIAL_BYTES);
        }
        nonce = nonce.clone();
        credential = credential.clone();
    }

    public void encode(ByteBuf out) {
        out.writeShort(version);
        out.writeByte(role.code());
        Bodies.writeString(out, principal);
        Bodies.writeString(out, keyId);
        out.writeInt(supersedes);
        out.writeInt(features);
        out.writeBytes(nonce);
        Bodies.writeBytes(out, credential);
    }

    public static Hello decode(ByteBuf body) {
        int version = Bodies.readUnsignedShort(body, "hello.version");
        Role role = Role.ofCode(Bodies.readUnsignedByte(body, "hello.role"));
        String principal = Bodies.readString(body, "hello.principal");
        String keyId = Bodies.readString(body, "hello.keyId");
        int supersedes = Bodies.readInt(body, "hello.supersedes");
        int features = Bodies.readInt(body, "hello.features");
        byte[] nonce = Bodies.readFixed(body, NONCE_BYTES, "hello.nonce");
        byte[] credential = Bodies.readBytes(body, MAX_CREDENTIAL_BYTES, "hello.credential");
        Bodies.expectEnd(body, "hello");
        if (role == Role.CLIENT) {
            TenantName.check(principal);
        }
        return new Hello(version, role, principal, keyId, supersedes, features, nonce, credential);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hello h && version == h.version && role == h.role && principal.equals(h.principal)
                && keyId.equals(h.keyId) && supersedes == h.supersedes && features == h.features
                && Arrays.equals(nonce, h.nonce) && Arrays.equals(credential, h.credential);
    }

    @Override
    public int hashCode() {
        return principal.hashCode() * 31 + Arrays.hashCode(nonce);
    }

    @Override
    public String toString() {
        // The credential is a bearer token: never print it.
        return "Hello[v" + version + " " + role + " " + principal + (keyId.isEmpty() ? "" : " key " + keyId)
                + (supersedes != 0 ? " supersedes " + supersedes : "") + " features " + features
                + (credential.length > 0 ? " with a credential" : "") + "]";
    }
}
