package io.remem.protocol.auth;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * SCRAM-SHA-256's key schedule (RFC 5802, RFC 7677), the core of remem's challenge-response: the client proves it
 * knows a secret without sending it, the server proves it holds the secret's verifier, and the server stores only
 * that verifier ({@link Verifier}), from which the secret cannot be recovered.
 *
 * <p>The message format is remem's own (binary HELLO, challenge and AUTH frames); the "auth message" both sides sign is
 * the transcript of the HELLO and the challenge, so every field of both is bound to the proof.
 */
public final class Scram {
    /** RFC 7677's minimum; a challenge asking for fewer is refused, so a fake server cannot weaken a proof. */
    public static final int MIN_ITERATIONS = 4096;
    /** A challenge asking for more is refused, so a fake server cannot make a client spin. */
    public static final int MAX_ITERATIONS = 10_000_000;
    /** What new verifiers use: the secrets are random, so this is defence in depth, not the only protection. */
    public static final int DEFAULT_ITERATIONS = 65_536;
    public static final int MIN_SALT = 16;
    public static final int MAX_SALT = 64;
    public static final int PROOF_BYTES = Crypto.HASH_BYTES;

    private static final byte[] CLIENT_KEY = "Client Key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SERVER_KEY = "Server Key".getBytes(StandardCharsets.US_ASCII);

    private Scram() {}

    /**
     * What the server keeps of one secret: never the secret. {@code storedKey} checks a client's proof; {@code
     * serverKey} signs the server's answer.
     */
    public record Verifier(String keyId, byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {
        public Verifier {
            if (!Secret.isKeyId(keyId)) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "verifier: key id '" + keyId + "' is malformed");
            }
            checkParameters(salt, iterations);
            if (storedKey.length != Crypto.HASH_BYTES || serverKey.length != Crypto.HASH_BYTES) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "verifier: keys must be " + Crypto.HASH_BYTES + " bytes");
            }
            salt = salt.clone();
            storedKey = storedKey.clone();
            serverKey = serverKey.clone();
        }

        /** Derives the verifier of {@code secret} with a fresh salt. Costs one key stretch. */
        public static Verifier of(Secret secret, SecureRandom random, int iterations) {
            byte[] salt = new byte[MIN_SALT];
            random.nextBytes(salt);
            byte[] salted = saltedPassword(secret, salt, iterations);
            try {
                return new Verifier(secret.keyId(), salt, iterations, Crypto.sha256(clientKey(salted)), Scram.serverKey(salted));
            } finally {
                Arrays.fill(salted, (byte) 0);
            }
        }

        /**
         * A verifier no proof can satisfy, with a salt that is a fixed function of the name asked for, so that a HELLO
         * naming a tenant or key that does not exist gets a challenge like any other and fails only at the proof:
         * whether a name exists cannot be probed.
         */
        public static Verifier decoy(byte[] serverSecret, String principal, String keyId) {
            byte[] seed = Crypto.hmac(serverSecret, (principal + "\0" + keyId).getBytes(StandardCharsets.UTF_8));
            String id = Secret.isKeyId(keyId) ? keyId : "k00000000";
            return new Verifier(id, Arrays.copyOf(seed, MIN_SALT), DEFAULT_ITERATIONS,
                    Crypto.hmac(seed, CLIENT_KEY), Crypto.hmac(seed, SERVER_KEY));
        }

        @Override
        public String toString() {
            return "Verifier[" + keyId + ", " + iterations + " iterations]";
        }
    }

    /** Rejects challenge parameters a client must not accept, whoever sent them. */
    public static void checkParameters(byte[] salt, int iterations) {
        if (salt.length < MIN_SALT || salt.length > MAX_SALT) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "scram: salt of " + salt.length + " bytes is outside "
                    + MIN_SALT + ".." + MAX_SALT);
        }
        if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "scram: " + iterations + " iterations is outside "
                    + MIN_ITERATIONS + ".." + MAX_ITERATIONS);
        }
    }

    /** PBKDF2-HMAC-SHA-256 of the secret: the expensive step, which a client caches per salt. */
    public static byte[] saltedPassword(Secret secret, byte[] salt, int iterations) {
        checkParameters(salt, iterations);
        char[] chars = secret.reveal(); // ASCII: the JDK's UTF-8 encoding of it is its exact text
        PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, Crypto.HASH_BYTES * 8);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(chars, '\0');
        }
    }

    static byte[] clientKey(byte[] saltedPassword) {
        return Crypto.hmac(saltedPassword, CLIENT_KEY);
    }

    static byte[] serverKey(byte[] saltedPassword) {
        return Crypto.hmac(saltedPassword, SERVER_KEY);
    }

    /** The client's proof over {@code authMessage}: ClientKey XOR HMAC(StoredKey, authMessage). */
    public static byte[] clientProof(byte[] saltedPassword, byte[] authMessage) {
        byte[] clientKey = clientKey(saltedPassword);
        byte[] signature = Crypto.hmac(Crypto.sha256(clientKey), authMessage);
        return Crypto.xor(clientKey, signature);
    }

    /** The server's signature the client expects after a good proof: HMAC(ServerKey, authMessage). */
    public static byte[] expectedServerSignature(byte[] saltedPassword, byte[] authMessage) {
        return Crypto.hmac(serverKey(saltedPassword), authMessage);
    }

    /** Whether {@code proof} shows knowledge of the secret behind {@code v}. Constant-time in the proof's content. */
    public static boolean verify(Verifier v, byte[] authMessage, byte[] proof) {
        if (proof.length != PROOF_BYTES) {
            return false;
        }
        byte[] signature = Crypto.hmac(v.storedKey(), authMessage);
        byte[] clientKey = Crypto.xor(proof, signature);
        return Crypto.equal(Crypto.sha256(clientKey), v.storedKey());
    }

    /** What the server sends back after a good proof, so the client knows it talked to the holder of the verifier. */
    public static byte[] serverSignature(Verifier v, byte[] authMessage) {
        return Crypto.hmac(v.serverKey(), authMessage);
    }

    /** Constant-time equality, for the client's check of the server signature. */
    public static boolean sameSignature(byte[] a, byte[] b) {
        return Crypto.equal(a, b);
    }
}
