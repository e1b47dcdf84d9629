package io.remem.protocol.auth;

import io.remem.protocol.DatasetAccess;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Dataset grants: signed like tokens, checked without the controller, and never mistaken for a token. */
class GrantTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Secret cluster = Secret.generate(RANDOM);
    private final TokenKeys keys = TokenKeys.derive(List.of(cluster));

    private static void assertRefused(Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(RememException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
    }

    @Test
    void aMintedGrantVerifiesWithItsClaimsAndCoversExactlyItsSlabs() {
        byte[] wire = keys.mint(Grant.of("billing", "orders", 1000, 3, DatasetAccess.READ, 5_000, 65_000, 7));
        Grant g = keys.verify(wire, 6_000);
        assertThat(g.grantee()).isEqualTo("billing");
        assertThat(g.access()).isEqualTo(DatasetAccess.READ);
        assertThat(g.keyId()).isEqualTo(cluster.keyId());
        assertThat(g.covers(999)).isFalse();
        assertThat(g.covers(1000)).isTrue();
        assertThat(g.covers(1002)).isTrue();
        assertThat(g.covers(1003)).isFalse();
        assertThat(TokenKeys.peekGrant(wire)).isEqualTo(g);
    }

    @Test
    void aForgedExpiredOrForeignGrantIsRefused() {
        byte[] wire = keys.mint(Grant.of("billing", "orders", 1000, 3, DatasetAccess.READ, 5_000, 65_000, 7));
        for (int i = 0; i < wire.length; i++) {
            byte[] bent = wire.clone();
            bent[i] ^= 1;
            assertRefused(() -> keys.verify(bent, 6_000));
        }
        assertRefused(() -> keys.verify(wire, 65_000 + TokenKeys.CLOCK_SKEW_MILLIS + 1));
        TokenKeys other = TokenKeys.derive(List.of(Secret.generate(RANDOM)));
        assertRefused(() -> other.verify(wire, 6_000));
        assertRefused(() -> keys.verify(Arrays.copyOf(wire, wire.length - 1), 6_000));
    }

    @Test
    void aGrantIsNoTokenAndATokenIsNoGrant() {
        byte[] grant = keys.mint(Grant.of("billing", "orders", 1000, 3, DatasetAccess.READ_WRITE, 5_000, 65_000, 7));
        byte[] token = keys.mint(Token.session("billing", 5_000, 65_000, 7));
        assertRefused(() -> keys.verify(grant, Token.Kind.SESSION, 6_000));
        assertRefused(() -> keys.verify(token, 6_000));
    }

    @Test
    void aGrantWithNoAccessOrNoSlabsCannotBeMade() {
        assertThatThrownBy(() -> Grant.of("billing", "orders", 1, 1, DatasetAccess.NONE, 0, 1, 0)).isInstanceOf(RememException.class);
        assertThatThrownBy(() -> Grant.of("billing", "orders", 1, 0, DatasetAccess.READ, 0, 1, 0)).isInstanceOf(RememException.class);
    }
}
