package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A request made under an expired lease: the lease is recovered (reopened, its memory forgotten) before the request is
 * tried again, once however many threads find out together. CI once saw an allocation fail with LEASE_EXPIRED because
 * it raced the renewal thread's recovery.
 */
class SessionLeaseTest {
    /** A controller whose lease can be made to expire; renewals are slow, so the timer never interferes. */
    private static final class Controller implements SessionLease.Keeper {
        final AtomicBoolean known = new AtomicBoolean();
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());

        @Override
        public long renewLease(long id, boolean open) {
            calls.add(open ? "open" : "renew");
            if (open) {
                known.set(true);
            } else if (!known.get()) {
                throw new RememException(ErrorCode.LEASE_EXPIRED, "lease expired");
            }
            return 60_000;
        }

        @Override
        public void closeLease(long id) {
            calls.add("close");
        }

        /** A controller request that needs the lease. */
        long allocate(long id) {
            if (!known.get()) {
                throw new RememException(ErrorCode.LEASE_EXPIRED, "lease " + id + " expired");
            }
            return id;
        }
    }

    @Test
    void aRequestThatFindsTheLeaseExpiredRecoversItThenSucceeds() {
        Controller controller = new Controller();
        try (SessionLease lease = new SessionLease(controller)) {
            AtomicInteger forgotten = new AtomicInteger();
            lease.onExpired(() -> {
                assertThat(controller.known).as("reopened before the memory is forgotten").isTrue();
                forgotten.incrementAndGet();
            });
            controller.known.set(false); // the controller expired it

            assertThat(lease.call(controller::allocate)).isEqualTo(lease.id());
            assertThat(forgotten).hasValue(1);
            assertThat(controller.calls).containsExactly("open", "open");

            assertThat(lease.call(controller::allocate)).as("no recovery while the lease lives").isEqualTo(lease.id());
            assertThat(forgotten).hasValue(1);
        }
    }

    @Test
    void threadsThatFindOutTogetherRecoverTheLeaseOnce() throws Exception {
        Controller controller = new Controller();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (SessionLease lease = new SessionLease(controller)) {
            AtomicInteger forgotten = new AtomicInteger();
            CountDownLatch allFailed = new CountDownLatch(4);
            lease.onExpired(forgotten::incrementAndGet);
            controller.known.set(false);
            List<Future<Long>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> lease.call(id -> {
                    if (allFailed.getCount() > 0) { // every thread's first try fails before any recovers
                        allFailed.countDown();
                        awaitQuietly(allFailed);
                    }
                    return controller.allocate(id);
                })));
            }
            for (Future<Long> r : results) {
                assertThat(r.get(10, TimeUnit.SECONDS)).isEqualTo(lease.id());
            }
            assertThat(forgotten).as("one recovery for one expiry").hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void otherErrorsAndASecondExpiryReachTheCaller() {
        Controller controller = new Controller();
        try (SessionLease lease = new SessionLease(controller)) {
            assertThatThrownBy(() -> lease.call(id -> {
                throw new RememException(ErrorCode.QUOTA_EXCEEDED, "over quota");
            })).isInstanceOf(RememException.class).hasMessageContaining("over quota");
            assertThat(controller.calls).containsExactly("open");

            assertThatThrownBy(() -> lease.call(id -> {
                throw new RememException(ErrorCode.LEASE_EXPIRED, "expired again at once");
            })).hasMessageContaining("expired again at once");
            assertThat(controller.calls).as("recovered once, then the second refusal is the caller's")
                    .containsExactly("open", "open");
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
