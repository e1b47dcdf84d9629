package io.remem.controller;

import io.remem.protocol.DatasetAccess;
import io.remem.protocol.auth.Grant;
import io.remem.protocol.auth.Token;
import io.remem.protocol.auth.TokenKeys;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;

/**
 * Issues the tokens memory nodes check without asking the controller: session tokens for tenants' runtimes and
 * capabilities for slab copies. Time comes from an injected clock; tokens carry wall-clock times, since they are
 * checked on other machines.
 */
final class TokenIssuer {
    private final TokenKeys keys;
    private final Clock clock;
    private final long sessionTtlMillis;
    private final long copyTtlMillis;
    private final SecureRandom random = new SecureRandom();

    TokenIssuer(TokenKeys keys, Clock clock, Duration sessionTtl, Duration copyTtl) {
        this.keys = keys;
        this.clock = clock;
        this.sessionTtlMillis = sessionTtl.toMillis();
        this.copyTtlMillis = copyTtl.toMillis();
    }

    /** A token for a runtime of {@code tenant} to open sessions with memory nodes. */
    byte[] session(String tenant) {
        long now = clock.millis();
        return keys.mint(Token.session(tenant, now, now + sessionTtlMillis, random.nextLong()));
    }

    /**
     * A capability for {@code grantee}'s runtimes to use {@code count} slabs from {@code firstSlab} of a dataset tenant
     * {@code owner} granted them, as {@code access} allows; as long-lived as a session token.
     */
    byte[] grant(String grantee, String owner, long firstSlab, int count, DatasetAccess access) {
        long now = clock.millis();
        return keys.mint(Grant.of(grantee, owner, firstSlab, count, access, now, now + sessionTtlMillis,
                random.nextLong()));
    }

    /** A capability to read slab {@code slabId} from a replica, for the copy that makes a new one. */
    byte[] copy(long slabId) {
        long now = clock.millis();
        return keys.mint(Token.replica(slabId, now, now + copyTtlMillis, random.nextLong()));
    }
}
