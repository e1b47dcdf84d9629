package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.util.List;

/** Runtime leases as a whole: open, renew and end them, journaled, under the metadata lock (see {@link Leases}). */
final class LeaseKeeper {
    private final SlabLedger ledger;
    private final Leases leases;
    private final Datasets datasets;

    LeaseKeeper(SlabLedger ledger, Leases leases, Datasets datasets) {
        this.ledger = ledger;
        this.leases = leases;
        this.datasets = datasets;
    }

    /**
     * Opens lease {@code id} of {@code tenant} (journaled, so it outlives a controller restart), or renews it.
     *
     * @throws RememException OVERLOADED if the tenant already holds {@code maxPerTenant} leases
     */
    void open(String tenant, long id, int maxPerTenant) {
        ledger.locked(() -> {
            if (!leases.renew(tenant, id)) {
                if (leases.count(tenant) >= maxPerTenant) {
                    throw new RememException(ErrorCode.OVERLOADED, "tenant " + tenant + " holds " + maxPerTenant
                            + " runtime sessions, the most a tenant may (--max-leases-per-tenant)");
                }
                Journal.Lease opened = new Journal.Lease(tenant, id, new long[0]);
                ledger.journal(List.of(opened));
                leases.apply(opened);
            }
            return null;
        });
    }

    /** Renews a lease; false if it is not known (expired and reclaimed). */
    boolean renew(String tenant, long id) {
        return ledger.locked(() -> leases.renew(tenant, id));
    }

    long timeoutNanos() {
        return leases.timeoutNanos();
    }

    /** Leases whose time is up now. */
    List<Journal.LeaseEnded> expired() {
        return ledger.locked(leases::expired);
    }

    /** Whether any tenant holds lease {@code id}: for a far lock whose holder may have died. */
    boolean alive(long id) {
        return ledger.locked(() -> leases.existsWithId(id));
    }

    /** Whether {@code tenant} holds lease {@code id}. */
    boolean exists(String tenant, long id) {
        return ledger.locked(() -> leases.exists(tenant, id));
    }

    /**
     * Ends a lease and frees every slab it holds, journaled as one change; returns those slabs, for the caller to
     * delete from their nodes. With {@code onlyIfExpired}, a lease renewed since it was found expired is left alone.
     * The datasets it had open count it no more; they stay.
     *
     * @return null if no lease ended (there is none such, or it was renewed); nothing is journaled then
     */
    List<SlabRecord> end(String tenant, long id, boolean onlyIfExpired) {
        return ledger.locked(() -> {
            if (!leases.exists(tenant, id) || (onlyIfExpired && !leases.expired(tenant, id))) {
                return null;
            }
            Journal.LeaseEnded ended = new Journal.LeaseEnded(tenant, id);
            List<SlabRecord> run = ledger.freeWith(leases.slabsOf(tenant, id).stream().mapToLong(Long::longValue)
                    .toArray(), ended);
            leases.apply(ended);
            datasets.leaseEnded(tenant, id);
            return run;
        });
    }
}
