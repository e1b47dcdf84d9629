package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongPredicate;

/**
 * A lock whose state is one 8-byte word in far memory, taken and released by compare-and-exchange at the memory node
 * (Clio's {@code rlock}/{@code runlock}), so runtimes in any JVM that can write the word exclude each other. The word
 * holds the holding session's lease id, 0 when free. Each step is a far atomic, so it runs exactly once across retries
 * and failover. A session that dies holds the lock until its lease ends; a waiter then finds the holder's lease gone
 * and takes the lock over. Threads of one session take turns through a local lock first.
 *
 * <p>The lock orders far atomics, not cached bytes: to protect data in the cache, {@link FarSegment#refresh} the range
 * after locking (so it is read from the memory nodes) and {@link FarSegment#force} it before unlocking. Keep the word in
 * a 64-byte line of its own ({@link FarSegment#getAndAddAtNode}). Like any lease-based lock, a holder cut off from the
 * controller for longer than its lease may still believe it holds the lock after it was taken over.
 *
 * <p>Obtain one with {@link FarMemory#lock(FarSegment, long)}.
 */
public final class FarLock {
    /**
     * Holders keep a lock for a few round trips (a commit), so a waiter asleep for long wastes more than its retries
     * cost the memory node: a 20 ms cap halved a shared map's throughput under three-way contention (SharedMapIT).
     */
    private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long a holder may keep the lock before a waiter asks the controller whether it is alive. */
    private static final long PROBE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final FarSegment segment;
    private final long offset;
    private final long owner;
    private final LongPredicate alive;
    private final ReentrantLock local = new ReentrantLock();

    FarLock(FarSegment segment, long offset, long owner, LongPredicate alive) {
        if ((offset & 7) != 0) {
            throw new IllegalArgumentException("offset: " + offset + " is not 8-byte aligned");
        }
        this.segment = segment;
        this.offset = offset;
        this.owner = owner;
        this.alive = alive;
    }

    /** Takes the lock, waiting as long as it takes. */
    public void lock() {
        if (!tryLock(Duration.ofNanos(Long.MAX_VALUE))) {
            throw new IllegalStateException("unreachable: an unbounded wait gave up");
        }
    }

    /**
     * Takes the lock if it can within {@code timeout}; false if not.
     *
     * @throws RememException if the memory node or the controller cannot be reached within the failover timeout
     */
    public boolean tryLock(Duration timeout) {
        long start = System.nanoTime();
        long budget = timeout.toNanos();
        try {
            if (!local.tryLock(budget, TimeUnit.NANOSECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while waiting for a far lock", e);
        }
        boolean taken = false;
        try {
            long backoff = 50_000;
            long expected = 0; // what the word should hold for the exchange: 0 (free), or a dead holder to take over
            long seen = 0;
            long seenSince = 0;
            while (true) {
                long witness = segment.compareAndExchangeAtNode(offset, expected, owner);
                if (witness == expected || witness == owner) {
                    taken = true; // free, or taken over from a dead holder (or ours already: an earlier exchange landed)
                    return true;
                }
                expected = 0;
                if (witness == 0) {
                    continue; // freed meanwhile: try again at once
                }
                long now = System.nanoTime();
                if (witness != seen) {
                    seen = witness; // a new holder: give it time before asking whether it is alive
                    seenSince = now;
                } else if (now - seenSince > PROBE_AFTER_NANOS) {
                    if (!alive.test(witness)) {
                        expected = witness; // its session is gone: the next exchange takes the lock from it
                        continue;
                    }
                    seenSince = now;
                }
                if (now - start > budget) {
                    return false;
                }
                TimeUnit.NANOSECONDS.sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_NANOS, backoff * 2);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while waiting for a far lock", e);
        } finally {
            if (!taken) {
                local.unlock();
            }
        }
    }

    /**
     * Releases the lock.
     *
     * @throws IllegalMonitorStateException if this session does not hold it (it was taken over after this session's
     *                                      lease ended, say); the word is left as it is
     */
    public void unlock() {
        if (!local.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("this thread does not hold the far lock");
        }
        // An interrupt must not leave the word naming this live session, where no waiter would ever take it over:
        // the release runs with the flag cleared, and the flag is restored after.
        boolean interrupted = Thread.interrupted();
        try {
            long witness = segment.compareAndExchangeAtNode(offset, owner, 0);
            if (witness != owner && witness != 0) {
                throw new IllegalMonitorStateException("the far lock is held by session " + Long.toHexString(witness)
                        + ", not this one: was it taken over after this session's lease ended?");
            }
        } finally {
            local.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether the calling thread holds the lock (as far as this runtime knows). */
    public boolean isHeldByCurrentThread() {
        return local.isHeldByCurrentThread();
    }

    /** Whether this session holds the lock, as the memory node says now. */
    public boolean isHeldBySession() {
        return segment.getAtNode(offset) == owner;
    }
}
