package io.remem.protocol.auth;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FuzzSupport;
import io.remem.protocol.RememException;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.remem.protocol.FuzzSupport.byteAt;
import static io.remem.protocol.FuzzSupport.fail;
import static io.remem.protocol.FuzzSupport.rest;

/**
 * Tokens, as a memory node checks a credential from HELLO ({@link TokenKeys#verify}) and a client reads its own
 * ({@link TokenKeys#peek}). Input: {@code u8 kind} (bit 0: {@link Token.Kind#REPLICA}, else SESSION), then the token.
 *
 * <p>{@code verify} must refuse everything with {@link AuthenticationFailure} except a token the keys minted, bit for
 * bit: whatever it accepts must equal the re-mint of the claims it returned, under the key it names. {@code peek} reads
 * claims without the HMAC; it must refuse with {@link RememException} or return claims that re-encode to exactly the
 * bytes before the HMAC. Seeds ({@code TokenFuzzTestInputs/token/}) are valid tokens from {@link #KEYS} at {@link #NOW}, so
 * the fuzzer starts from real ones.
 */
public class TokenFuzzTest {
    /** Fixed secrets (test-only), so that the seed tokens stay valid. A rotation: the first signs, both verify. */
    static final Secret CURRENT = Secret.parse("k0f0221aa.ZnV6emluZy1vbmx5LWN1cnJlbnQtY2x1c3Rlci1zZWM".toCharArray(), "fuzz");
    static final Secret PREVIOUS = Secret.parse("k0f0221bb.ZnV6emluZy1vbmx5LXByZXZpb3VzLWNsdXN0ZXItc2U".toCharArray(), "fuzz");
    public static final TokenKeys KEYS = TokenKeys.derive(List.of(CURRENT, PREVIOUS));
    /** The keys that sign as PREVIOUS: tokens minted before the rotation. */
    public static final TokenKeys PREVIOUS_KEYS = TokenKeys.derive(List.of(PREVIOUS));
    private static final Map<String, TokenKeys> MINTERS = Map.of(
            CURRENT.keyId(), TokenKeys.derive(List.of(CURRENT)), PREVIOUS.keyId(), PREVIOUS_KEYS);
    public static final long NOW = 1_800_000_000_000L;

    @FuzzTest(maxDuration = "10s")
    void token(byte[] data) {
        Token.Kind kind = (byteAt(data, 0) & 1) != 0 ? Token.Kind.REPLICA : Token.Kind.SESSION;
        byte[] token = rest(data, 1);

        FuzzSupport.Outcome<Token> verified = FuzzSupport.decode("verify", token, b -> KEYS.verify(token, kind, NOW));
        if (verified.accepted()) {
            Token t = verified.value();
            byte[] minted = MINTERS.get(t.keyId()).mint(t);
            if (!Arrays.equals(minted, token) || t.kind() != kind || NOW > t.expiresAtMillis() + TokenKeys.CLOCK_SKEW_MILLIS) {
                throw fail("verify", data, "accepted " + t + " (key " + t.keyId() + "), which the keys did not mint as "
                        + kind + " valid now; minted: " + FuzzSupport.hex(minted));
            }
        } else if (!(verified.refusal() instanceof AuthenticationFailure f)
                || f.code() != ErrorCode.AUTHENTICATION_FAILED || !f.detail().equals(AuthenticationFailure.MESSAGE)) {
            throw fail("verify", data, "refused with " + verified.refusal() + ", not the one authentication failure");
        }

        FuzzSupport.Outcome<Token> peeked = FuzzSupport.decode("peek", token, b -> TokenKeys.peek(token));
        if (peeked.accepted()) {
            byte[] claims = peeked.value().claims();
            if (claims.length + Crypto.HASH_BYTES != token.length
                    || !Arrays.equals(claims, Arrays.copyOf(token, claims.length))) {
                throw fail("peek", data, "not canonical: " + peeked.value() + " re-encodes as " + FuzzSupport.hex(claims));
            }
        }
        if (verified.accepted() && !(peeked.accepted() && peeked.value().equals(verified.value()))) {
            throw fail("peek", data, "verify accepted what peek reads as " + (peeked.accepted() ? peeked.value() : peeked.refusal()));
        }
    }
}
