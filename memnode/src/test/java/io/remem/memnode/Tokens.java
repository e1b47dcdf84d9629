package io.remem.memnode;

import io.remem.protocol.Role;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.Secret;
import io.remem.protocol.auth.Token;
import io.remem.protocol.auth.TokenKeys;
import io.remem.transport.ClientHandshake;
import io.remem.transport.DirectLink;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the controller hands out in a real cluster, made here from the cluster secret a test shares with its memory
 * nodes: session tokens for tenants and replica capabilities for slab copies, and sessions opened with them.
 */
final class Tokens {
    /** Long enough for any test; expiry itself is tested with explicit times. */
    static final Duration TTL = Duration.ofMinutes(10);
    /** The principal a copying node names in its REPLICA HELLO (the token, not the name, is what counts). */
    static final String REPLICA_PRINCIPAL = "replica";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicLong SERIALS = new AtomicLong(1);

    private Tokens() {}

    static Secret newClusterSecret() {
        return Secret.generate(RANDOM);
    }

    /** A session token for {@code tenant}, issued now. */
    static byte[] session(Secret cluster, String tenant) {
        return session(cluster, tenant, System.currentTimeMillis());
    }

    /** A session token for {@code tenant} issued at {@code issuedAtMillis}, valid for {@link #TTL} from then. */
    static byte[] session(Secret cluster, String tenant, long issuedAtMillis) {
        return TokenKeys.derive(List.of(cluster)).mint(
                Token.session(tenant, issuedAtMillis, issuedAtMillis + TTL.toMillis(), SERIALS.getAndIncrement()));
    }

    /** A capability to read slab {@code slabId} for a copy, issued now. */
    static byte[] replica(Secret cluster, long slabId) {
        return replica(cluster, slabId, System.currentTimeMillis());
    }

    /** A capability to read slab {@code slabId}, issued at {@code issuedAtMillis}, valid for {@link #TTL} from then. */
    static byte[] replica(Secret cluster, long slabId, long issuedAtMillis) {
        return TokenKeys.derive(List.of(cluster)).mint(
                Token.replica(slabId, issuedAtMillis, issuedAtMillis + TTL.toMillis(), SERIALS.getAndIncrement()));
    }

    /** Opens a CLIENT session on {@code link} as {@code tenant}, presenting a fresh session token. */
    static ClientHandshake.Session openClient(DirectLink link, Secret cluster, String tenant) {
        return openClient(link, cluster, tenant, 0, 0);
    }

    /** As above, superseding session {@code supersedes} (0 for none) and asking for {@code features}. */
    static ClientHandshake.Session openClient(DirectLink link, Secret cluster, String tenant, int supersedes,
                                              int features) {
        byte[] token = session(cluster, tenant);
        return link.hello(Role.CLIENT, Credentials.ofToken(tenant, () -> token), supersedes, features);
    }

    /** Opens a REPLICA session on {@code link} with a capability for slab {@code slabId}, as a copying node does. */
    static ClientHandshake.Session openReplica(DirectLink link, Secret cluster, long slabId, int features) {
        byte[] capability = replica(cluster, slabId);
        return link.hello(Role.REPLICA, Credentials.ofToken(REPLICA_PRINCIPAL, () -> capability), 0, features);
    }
}
