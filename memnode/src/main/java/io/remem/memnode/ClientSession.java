package io.remem.memnode;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Grant;
import io.remem.protocol.auth.TokenKeys;

import java.time.Clock;
import java.util.Arrays;

/**
 * What a memory node knows about a client connection after HELLO: whose memory it may touch (proven by a token the
 * controller signed), the grants to other tenants' datasets it presented (SLAB_GRANT), and whether its data carries
 * checksums.
 */
final class ClientSession implements SlabAccess {
    /** Grants one connection may hold; a runtime presents one per foreign dataset it has open. */
    static final int MAX_GRANTS = 256;

    /** A grant, with the id of the tenant whose slabs it covers: a slab id reused by someone else is not covered. */
    private record Held(Grant grant, int ownerId) {}

    private final String tenant;
    private final int tenantId;
    private final boolean checksums;
    private final Clock clock;
    /** Copy-on-write: read on every access to a foreign slab, written when a grant arrives. */
    private volatile Held[] grants = new Held[0];

    ClientSession(String tenant, int tenantId, boolean checksums, Clock clock) {
        this.tenant = tenant;
        this.tenantId = tenantId;
        this.checksums = checksums;
        this.clock = clock;
    }

    String tenant() {
        return tenant;
    }

    int tenantId() {
        return tenantId;
    }

    boolean checksums() {
        return checksums;
    }

    /**
     * Adds a verified grant for this session's tenant, covering slabs of tenant {@code ownerId}; one for the same slabs
     * replaces it (a renewal), and expired ones are dropped.
     */
    synchronized void add(Grant g, int ownerId) {
        long now = clock.millis();
        Held[] kept = Arrays.stream(grants)
                .filter(x -> x.grant().expiresAtMillis() > now && x.grant().firstSlab() != g.firstSlab())
                .toArray(Held[]::new);
        if (kept.length >= MAX_GRANTS) {
            throw new RememException(ErrorCode.OVERLOADED, "a connection may hold "
                    + MAX_GRANTS + " grants");
        }
        Held[] next = Arrays.copyOf(kept, kept.length + 1);
        next[kept.length] = new Held(g, ownerId);
        grants = next;
    }

    @Override
    public boolean mayRead(Slab slab) {
        return slab.tenant() == tenantId || granted(slab, false);
    }

    @Override
    public boolean mayWrite(Slab slab) {
        return slab.tenant() == tenantId || granted(slab, true);
    }

    private boolean granted(Slab slab, boolean write) {
        Held[] gs = grants;
        if (gs.length == 0) {
            return false;
        }
        long now = -1;
        for (Held h : gs) {
            Grant g = h.grant();
            if (h.ownerId() == slab.tenant() && g.covers(slab.id()) && (!write || g.access().writes())) {
                if (now < 0) {
                    now = clock.millis();
                }
                if (g.expiresAtMillis() + TokenKeys.CLOCK_SKEW_MILLIS >= now) {
                    return true;
                }
            }
        }
        return false;
    }
}
