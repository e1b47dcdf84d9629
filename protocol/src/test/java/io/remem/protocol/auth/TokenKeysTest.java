package io.remem.protocol.auth;

import io.remem.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tokens: what the controller signs verifies; anything altered, foreign, expired or of the wrong kind does not. */
class TokenKeysTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long NOW = 1_800_000_000_000L;

    private final Secret cluster = Secret.generate(RANDOM);
    private final TokenKeys keys = TokenKeys.derive(List.of(cluster));

    @Test
    void aSessionTokenVerifiesAndNamesItsTenant() {
        byte[] t = keys.mint(Token.session("orders", NOW, NOW + 60_000, 7));
        Token token = keys.verify(t, Token.Kind.SESSION, NOW + 1000);
        assertThat(token.subject()).isEqualTo("orders");
        assertThat(token.keyId()).isEqualTo(cluster.keyId());
        assertThat(TokenKeys.peek(t).expiresAtMillis()).isEqualTo(NOW + 60_000);
    }

    @Test
    void everyFlippedBitIsRefused() {
        byte[] t = keys.mint(Token.session("orders", NOW, NOW + 60_000, 7));
        for (int i = 0; i < t.length * 8; i++) {
            byte[] bad = t.clone();
            bad[i / 8] ^= (byte) (1 << (i % 8));
            assertThatThrownBy(() -> keys.verify(bad, Token.Kind.SESSION, NOW)).as("bit %d", i)
                    .isInstanceOfSatisfying(AuthenticationFailure.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
                        assertThat(e.detail()).isEqualTo(AuthenticationFailure.MESSAGE);
                    });
        }
    }

    @Test
    void aTokenOfAnotherClusterIsRefused() {
        TokenKeys other = TokenKeys.derive(List.of(Secret.generate(RANDOM)));
        byte[] t = other.mint(Token.session("orders", NOW, NOW + 60_000, 7));
        assertThatThrownBy(() -> keys.verify(t, Token.Kind.SESSION, NOW)).isInstanceOf(AuthenticationFailure.class);
    }

    @Test
    void anExpiredTokenIsRefusedAfterTheSkewAllowance() {
        byte[] t = keys.mint(Token.session("orders", NOW, NOW + 60_000, 7));
        keys.verify(t, Token.Kind.SESSION, NOW + 60_000 + TokenKeys.CLOCK_SKEW_MILLIS);
        assertThatThrownBy(() -> keys.verify(t, Token.Kind.SESSION, NOW + 60_001 + TokenKeys.CLOCK_SKEW_MILLIS))
                .isInstanceOfSatisfying(AuthenticationFailure.class, e -> assertThat(e.reason()).contains("expired"));
    }

    @Test
    void aReplicaCapabilityIsNotASessionToken() {
        byte[] t = keys.mint(Token.replica(42, NOW, NOW + 60_000, 1));
        assertThat(keys.verify(t, Token.Kind.REPLICA, NOW).slabId()).isEqualTo(42);
        assertThatThrownBy(() -> keys.verify(t, Token.Kind.SESSION, NOW)).isInstanceOf(AuthenticationFailure.class);
    }

    @Test
    void duringARotationTokensOfBothSecretsVerifyAndTheFirstSigns() {
        Secret next = Secret.generate(RANDOM);
        TokenKeys rotating = TokenKeys.derive(List.of(next, cluster));
        byte[] old = keys.mint(Token.session("a", NOW, NOW + 60_000, 1));
        byte[] fresh = rotating.mint(Token.session("a", NOW, NOW + 60_000, 2));
        assertThat(rotating.verify(old, Token.Kind.SESSION, NOW).keyId()).isEqualTo(cluster.keyId());
        assertThat(rotating.verify(fresh, Token.Kind.SESSION, NOW).keyId()).isEqualTo(next.keyId());
        assertThatThrownBy(() -> keys.verify(fresh, Token.Kind.SESSION, NOW)).isInstanceOf(AuthenticationFailure.class);
    }

    @Test
    void garbageAndOversizedInputAreRefusedWithTheSameError() {
        for (byte[] junk : new byte[][] {new byte[0], new byte[1], new byte[Token.MAX_BYTES + 1], "hello".getBytes()}) {
            assertThatThrownBy(() -> keys.verify(junk, Token.Kind.SESSION, NOW))
                    .isInstanceOfSatisfying(AuthenticationFailure.class,
                            e -> assertThat(e.detail()).isEqualTo(AuthenticationFailure.MESSAGE));
        }
    }
}
