package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.function.LongFunction;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This runtime's lease on the far memory it allocates. Opened with the session, renewed in the background three times
 * per lease length, and closed with the session, which frees that memory. If the runtime dies, or is cut off from the
 * controller for the whole lease timeout, the controller frees it: a dead client's memory always comes back.
 *
 * <p>The id is random, chosen here, so a runtime keeps its lease across reconnections and controller restarts.
 */
final class SessionLease implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionLease.class);

    /** The controller's side of a lease. */
    interface Keeper {
        /** Opens or renews lease {@code id}; returns its length in milliseconds. */
        long renewLease(long id, boolean open);

        void closeLease(long id);
    }

    private final Keeper keeper;
    private final long id;
    private final ScheduledExecutorService timer;
    private volatile Runnable onExpired = () -> {};
    /** How many times the lease was found expired and reopened; written under this object's monitor. */
    private volatile long recoveries;
    /** Renew this often: a third of the lease length the controller last gave. */
    private volatile long periodMillis;

    /** Opens a lease now; fails if the controller cannot be reached. */
    SessionLease(Keeper keeper) {
        this.keeper = keeper;
        long random;
        do {
            random = new SecureRandom().nextLong();
        } while (random == 0); // 0 means "no lease"
        this.id = random;
        learn(keeper.renewLease(id, true));
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("remem-lease").factory());
        timer.schedule(this::renew, periodMillis, TimeUnit.MILLISECONDS);
    }

    long id() {
        return id;
    }

    /** What to do when the lease turns out to have expired: forget the memory it held. */
    void onExpired(Runnable action) {
        this.onExpired = action;
    }

    /** A controller restarted with another lease timeout is followed from its next answer on. */
    private void learn(long leaseMillis) {
        periodMillis = Math.max(50, leaseMillis / 3);
    }

    /**
     * Runs {@code request} with this lease's id. If the controller answers that the lease expired, first recovers it
     * (reopens it and forgets the memory it held, once however many threads found out), then tries again once, so a
     * request never fails just because the renewal thread had not noticed the expiry yet.
     *
     * <p>Call it holding no lock that {@link #onExpired}'s action takes: recovery runs that action.
     */
    <T> T call(LongFunction<T> request) {
        long seen = recoveries;
        try {
            return request.apply(id);
        } catch (RememException e) {
            if (e.code() != ErrorCode.LEASE_EXPIRED) {
                throw e;
            }
            recover(seen);
            return request.apply(id);
        }
    }

    private void renew() {
        long seen = recoveries;
        try {
            learn(keeper.renewLease(id, false));
        } catch (RememException e) {
            if (e.code() == ErrorCode.LEASE_EXPIRED) {
                recover(seen);
            } else {
                log.warn("renewing lease {} failed: {}; trying again", Long.toHexString(id), e.detail());
            }
        } catch (RuntimeException e) {
            log.warn("renewing lease {} failed; trying again", Long.toHexString(id), e);
        } finally {
            try {
                timer.schedule(this::renew, periodMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // the session closed meanwhile
            }
        }
    }

    /**
     * Reopens the lease and forgets what it held, unless another thread did so since {@code seen} was read. The
     * memory is forgotten before anyone can allocate under the reopened lease, or new slabs would be forgotten too.
     */
    private synchronized void recover(long seen) {
        if (recoveries != seen) {
            return;
        }
        learn(keeper.renewLease(id, true));
        onExpired.run();
        recoveries = seen + 1;
        log.error("this runtime's lease {} expired (the controller did not hear from it for the lease timeout)"
                + " and the far memory it held was freed; new allocations get a fresh lease", Long.toHexString(id));
    }

    /** Stops renewing and ends the lease, freeing what it holds. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            keeper.closeLease(id);
        } catch (RuntimeException e) {
            log.warn("closing lease {} failed ({}); the controller frees its memory when the lease expires",
                    Long.toHexString(id), e.toString());
        }
    }
}
