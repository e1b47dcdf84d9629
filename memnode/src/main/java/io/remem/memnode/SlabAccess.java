package io.remem.memnode;

/**
 * Which slabs a connection may touch: its own tenant's, and others' as far as grants presented on it cover them. Asked
 * on every access, so it must be cheap and must not allocate; a slab it may not touch is answered as one that does not
 * exist.
 */
interface SlabAccess {
    boolean mayRead(Slab slab);

    boolean mayWrite(Slab slab);

    /** Its own tenant's slabs only: for tools and tests. */
    static SlabAccess ownOnly(int tenantId) {
        return new SlabAccess() {
            @Override
            public boolean mayRead(Slab slab) {
                return slab.tenant() == tenantId;
            }

            @Override
            public boolean mayWrite(Slab slab) {
                return slab.tenant() == tenantId;
            }
        };
    }
}
