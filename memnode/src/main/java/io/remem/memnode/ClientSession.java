package io.remem.memnode;

import io.remem.protocol.auth.Grant;

import java.time.Clock;
import java.util.Arrays;

/**
 * What a memory node knows about a client connection after HELLO: whose memory it may touch (proven by a token the
 * controller signed), the grants to other tenants' datasets it presented (SLAB_GRANT), and whether its data carries
 * checksums.
 */
final class ClientSession implements SlabAccess {
    /** Grants one connection may hold; a runtime presents one per foreign dataset it has open. */
    static final int MAX_GRANTS = 64;

    private final String tenant;
    private final int tenantId;
    private final boolean checksums;
    private final Clock clock;
    /** Copy-on-write: read on every access to a foreign slab, written when a grant arrives. */
    private volatile Grant[] grants = new Grant[0];

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
     * Adds a verified grant for this session's tenant; one for the same slabs replaces it (a renewal), and expired
     * ones are dropped.
     */
    synchronized void add(Grant g) {
        long now = clock.millis();
        Grant[] kept = Arrays.stream(grants)
                .filter(x -> x.expiresAtMillis() > now && x.firstSlab() != g.firstSlab())
                .toArray(Grant[]::new);
        if (kept.length >= MAX_GRANTS) {
            throw new io.remem.protocol.RememException(io.remem.protocol.ErrorCode.OVERLOADED, "a connection may hold "
                    + MAX_GRANTS + " grants");
        }
        Grant[] next = Arrays.copyOf(kept, kept.length + 1);
        next[kept.length] = g;
        grants = next;
    }

    @Override
    public boolean mayRead(Slab slab) {
        return slab.tenant() == tenantId || granted(slab.id(), false);
    }

    @Override
    public boolean mayWrite(Slab slab) {
        return slab.tenant() == tenantId || granted(slab.id(), true);
    }

    private boolean granted(long slabId, boolean write) {
        Grant[] gs = grants;
        if (gs.length == 0) {
            return false;
        }
        for (Grant g : gs) {
            if (g.covers(slabId) && (!write || g.access().writes())) {
                return g.expiresAtMillis() + io.remem.protocol.auth.TokenKeys.CLOCK_SKEW_MILLIS >= clock.millis();
            }
        }
        return false;
    }
}
