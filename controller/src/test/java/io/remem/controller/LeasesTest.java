package io.remem.controller;

import io.remem.protocol.ClusterStatus;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Leases on their own, on a clock the test moves. */
class LeasesTest {
    private static final long TIMEOUT = 1_000;

    private final AtomicLong now = new AtomicLong(5_000);
    private final Leases leases = new Leases(now::get, TIMEOUT);

    private void open(String tenant, long id, long... slabs) {
        leases.apply(new Journal.Lease(tenant, id, slabs));
    }

    @Test
    void aLeaseExpiresOnlyAfterAFullTimeoutWithoutRenewal() {
        open("a", 1, 10, 11);
        now.addAndGet(TIMEOUT);
        assertThat(leases.expired()).as("at exactly the timeout").isEmpty();
        assertThat(leases.renew("a", 1)).isTrue();
        now.addAndGet(TIMEOUT);
        assertThat(leases.expired()).as("renewed a timeout ago").isEmpty();
        now.addAndGet(1);
        assertThat(leases.expired()).containsExactly(new Journal.LeaseEnded("a", 1));
    }

    @Test
    void leasesAreKeyedByTenantSoOneTenantCannotRenewOrEndAnothersLease() {
        open("a", 7, 10);
        assertThat(leases.renew("b", 7)).isFalse();
        assertThat(leases.slabsOf("b", 7)).isEmpty();
        assertThat(leases.exists("b", 7)).isFalse();
        assertThat(leases.slabsOf("a", 7)).containsExactly(10L);
    }

    @Test
    void aFreedSlabLeavesItsLeaseAndAnEndedLeaseIsForgotten() {
        open("a", 1, 10, 11, 12);
        leases.slabFreed(11);
        assertThat(leases.slabsOf("a", 1)).containsExactly(10L, 12L);
        leases.apply(new Journal.LeaseEnded("a", 1));
        assertThat(leases.exists("a", 1)).isFalse();
        assertThat(leases.renew("a", 1)).as("a renewal after the end").isFalse();
        leases.slabFreed(10); // no longer anyone's: nothing to do
        assertThat(leases.snapshot()).isEmpty();
    }

    @Test
    void entriesAddUpAndASnapshotSplitsABigLease() {
        open("a", 1);
        open("a", 1, 1, 2);
        long[] many = new long[Journal.Lease.MAX_SLABS + 5];
        for (int i = 0; i < many.length; i++) {
            many[i] = 100 + i;
        }
        open("a", 1, Arrays.copyOfRange(many, 0, Journal.Lease.MAX_SLABS));
        open("a", 1, Arrays.copyOfRange(many, Journal.Lease.MAX_SLABS, many.length));
        List<Journal.Entry> snapshot = leases.snapshot();
        assertThat(snapshot).hasSize(2);
        Leases replayed = new Leases(now::get, TIMEOUT);
        snapshot.forEach(e -> replayed.apply((Journal.Lease) e));
        assertThat(replayed.slabsOf("a", 1)).hasSize(many.length + 2).containsAll(leases.slabsOf("a", 1));
        open("b", 2);
        assertThat(leases.snapshot()).as("an empty lease is kept too").hasSize(3);
    }

    @Test
    void statusShowsOnlyTheAskingTenantsLeasesWithTheirBytesAndTimeLeft() {
        open("a", 1, 10, 11);
        open("b", 2, 20);
        now.addAndGet(400);
        assertThat(leases.status("a", slab -> 1 << 20)).containsExactly(new ClusterStatus.Lease("a", 1, 2, 2 << 20, 0));
        List<ClusterStatus.Lease> all = leases.status(null, slab -> 4096);
        assertThat(all).extracting(ClusterStatus.Lease::tenant).containsExactly("a", "b");
        assertThat(leases.of("b")).containsExactly(new Journal.LeaseEnded("b", 2));
    }
}
