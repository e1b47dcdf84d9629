package io.remem.protocol.auth;

import io.remem.protocol.RememException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys that sign and check {@link Token}s, derived from the cluster secrets: the first signs, every one checks, so
 * the cluster secret can be rotated one process at a time.
 */
public final class TokenKeys {
    private static final byte[] LABEL = "remem token key v1".getBytes(StandardCharsets.US_ASCII);
    /** Clocks of different machines disagree a little; a token is honoured this long past its expiry. */
    public static final long CLOCK_SKEW_MILLIS = 30_000;

    private final String signingKeyId;
    private final Map<String, byte[]> keys = new LinkedHashMap<>();

    private TokenKeys(List<Secret> clusterSecrets) {
        if (clusterSecrets.isEmpty()) {
            throw new IllegalArgumentException("no cluster secret");
        }
        for (Secret s : clusterSecrets) {
            byte[] material = s.keyBytes();
            keys.put(s.keyId(), Crypto.hmac(material, LABEL));
            Arrays.fill(material, (byte) 0);
        }
        this.signingKeyId = clusterSecrets.getFirst().keyId();
    }

    public static TokenKeys derive(List<Secret> clusterSecrets) {
        return new TokenKeys(clusterSecrets);
    }

    /** Signs {@code token} with the current key and returns its wire form. */
    public byte[] mint(Token token) {
        return sign(token.signedBy(signingKeyId).claims());
    }

    /** Signs {@code grant} with the current key and returns its wire form. */
    public byte[] mint(Grant grant) {
        return sign(grant.signedBy(signingKeyId).claims());
    }

    private byte[] sign(byte[] claims) {
        byte[] mac = Crypto.hmac(keys.get(signingKeyId), claims);
        byte[] out = Arrays.copyOf(claims, claims.length + mac.length);
        System.arraycopy(mac, 0, out, claims.length, mac.length);
        return out;
    }

    /**
     * Checks a grant's HMAC and expiry and returns it.
     *
     * @throws RememException AUTHENTICATION_FAILED if it is malformed, forged, signed by an unknown key or expired
     */
    public Grant verify(byte[] bytes, long nowMillis) {
        Grant.Signed s;
        try {
            s = Grant.decode(bytes);
        } catch (RememException e) {
            throw failed("malformed grant: " + e.detail());
        }
        check("grant", s.grant().keyId(), s.signature(), s.grant().expiresAtMillis(), nowMillis);
        return s.grant();
    }
    /** Reads a grant without checking it: for a client to learn when to renew its own. */
    public static Grant peekGrant(byte[] bytes) {
        return Grant.decode(bytes).grant();
    }

    /**
     * Checks a token's HMAC and expiry and returns its claims.
     *
     * @throws RememException AUTHENTICATION_FAILED if it is malformed, forged, signed by an unknown key or expired
     */
    public Token verify(byte[] bytes, Token.Kind kind, long nowMillis) {
        Token.Signed s;
        try {
            s = Token.decode(bytes);
        } catch (RememException e) {
            throw failed("malformed token: " + e.detail());
        }
        check("token", s.token().keyId(), s.signature(), s.token().expiresAtMillis(), nowMillis);
        if (s.token().kind() != kind) {
            throw failed("a " + s.token().kind() + " token where a " + kind + " token is needed");
        }
        return s.token();
    }

    /** The HMAC under key {@code keyId}, then the expiry (with the allowed skew). */
    private void check(String what, String keyId, Signature signature, long expiresAtMillis, long nowMillis) {
        byte[] key = keys.get(keyId);
        if (key == null) {
            throw failed(what + " signed by unknown key " + keyId);
        }
        if (!Crypto.equal(Crypto.hmac(key, signature.claims()), signature.mac())) {
            throw failed(what + " signature does not match");
        }
        if (nowMillis > expiresAtMillis + CLOCK_SKEW_MILLIS) {
            throw failed(what + " expired at " + expiresAtMillis + " (now " + nowMillis + ")");
        }
    }
    /** Reads a token's claims without checking it: for a client to learn its own token's expiry. */
    public static Token peek(byte[] bytes) {
        return Token.decode(bytes).token();
    }

    private static RememException failed(String why) {
        return new AuthenticationFailure(why);
    }
}
