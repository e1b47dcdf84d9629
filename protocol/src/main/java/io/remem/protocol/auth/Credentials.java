package io.remem.protocol.auth;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * What a connecting side presents in HELLO: proof of a {@link Secret} by challenge-response (tenants, memory nodes and
 * admins to the controller), or a {@link Token} the controller issued (runtimes and copying nodes to memory nodes).
 */
public sealed interface Credentials {
    /** The identity claimed: a tenant's name, {@code node} or {@code admin}. */
    String principal();

    static Credentials ofSecret(String principal, Secret secret) {
        return new OfSecret(principal, secret);
    }

    static Credentials ofToken(String principal, Supplier<byte[]> token) {
        return new OfToken(principal, token);
    }

    /**
     * Proves a secret. Stretching it is the slow step of a handshake, so the result is kept for the salt last seen:
     * reconnecting to the same server costs two HMACs.
     */
    final class OfSecret implements Credentials {
        private final String principal;
        private final Secret secret;
        private Cached cached; // guarded by this

        private record Cached(byte[] salt, int iterations, byte[] salted) {}

        private OfSecret(String principal, Secret secret) {
            this.principal = principal;
            this.secret = secret;
        }

        @Override
        public String principal() {
            return principal;
        }

        public String keyId() {
            return secret.keyId();
        }

        /** The salted password for a challenge's parameters, after checking they are within sane bounds. */
        public synchronized byte[] saltedPassword(byte[] salt, int iterations) {
            Cached c = cached;
            if (c != null && c.iterations == iterations && Arrays.equals(c.salt, salt)) {
                return c.salted;
            }
            byte[] salted = Scram.saltedPassword(secret, salt, iterations);
            cached = new Cached(salt.clone(), iterations, salted);
            return salted;
        }

        @Override
        public String toString() {
            return "secret " + secret.keyId() + " of " + principal;
        }
    }

    /** Presents a token; the supplier is asked at each HELLO, so it can hand out a renewed one. */
    record OfToken(String principal, Supplier<byte[]> token) implements Credentials {
        public byte[] current() {
            byte[] t = token.get();
            if (t == null || t.length == 0) {
                throw new RememException(ErrorCode.AUTHENTICATION_FAILED, "no token to present for " + principal);
            }
            return t;
        }

        @Override
        public String toString() {
            return "token of " + principal;
        }
    }
}
