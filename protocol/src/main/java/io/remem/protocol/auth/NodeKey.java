package io.remem.protocol.auth;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;

/**
 * A memory node's own identity: an Ed25519 key pair it makes on first start (kept in its data directory, or in memory
 * without one). The controller binds the node's id to the public key at its first registration; a later registration
 * under that id must be signed by the private key, over the session's binding, so no other process can take over a
 * live node's id and redirect its clients, and no recorded registration can be replayed.
 */
public final class NodeKey {
    /** An X.509-encoded Ed25519 public key is 44 bytes; anything much larger is not one. */
    public static final int MAX_PUBLIC_KEY_BYTES = 128;
    public static final int MAX_SIGNATURE_BYTES = 128;

    private NodeKey() {}

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is missing from this JDK", e);
        }
    }

    /** The public key's wire form (X.509 SubjectPublicKeyInfo). */
    public static byte[] encodePublic(KeyPair pair) {
        return pair.getPublic().getEncoded();
    }

    /** The private key's storage form (PKCS#8). */
    public static byte[] encodePrivate(KeyPair pair) {
        return pair.getPrivate().getEncoded();
    }

    /** Rebuilds a key pair from its two stored forms. */
    public static KeyPair decode(byte[] publicKey, byte[] privateKey) {
        try {
            KeyFactory f = KeyFactory.getInstance("Ed25519");
            PublicKey pub = f.generatePublic(new X509EncodedKeySpec(publicKey));
            PrivateKey priv = f.generatePrivate(new PKCS8EncodedKeySpec(privateKey));
            return new KeyPair(pub, priv);
        } catch (GeneralSecurityException e) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "not an Ed25519 key pair: " + e.getMessage(), e);
        }
    }

    /** Signs a registration: the session binding, the node id claimed and the public key. */
    public static byte[] sign(KeyPair pair, byte[] binding, long nodeId) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(pair.getPrivate());
            s.update(message(binding, nodeId, encodePublic(pair)));
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with Ed25519", e);
        }
    }

    /** Whether {@code signature} is {@code publicKey}'s over this registration. False for any malformed input. */
    public static boolean verify(byte[] publicKey, byte[] signature, byte[] binding, long nodeId) {
        if (publicKey.length > MAX_PUBLIC_KEY_BYTES || signature.length > MAX_SIGNATURE_BYTES) {
            return false;
        }
        try {
            PublicKey pub = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(publicKey));
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(pub);
            s.update(message(binding, nodeId, publicKey));
            return s.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static byte[] message(byte[] binding, long nodeId, byte[] publicKey) {
        byte[] label = "remem node registration v1".getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(label.length + binding.length + 8 + publicKey.length)
                .put(label).put(binding).putLong(nodeId).put(publicKey).array();
    }
}
