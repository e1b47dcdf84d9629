package io.remem.client;

import io.remem.transport.NanoClock;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.SlabDescriptor;
import io.remem.protocol.SlabRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * What the runtime does when a memory node fails it: which failures are worth another try, which nodes to avoid for
 * a while, and how to learn where a slab lives now. Reads and writes retry through it until they succeed or the
 * failover timeout passes, so an application sees a node's death as a pause, not an error.
 */
final class Failover {
    private static final Logger log = LoggerFactory.getLogger(Failover.class);
    /** How long a node that failed a request is tried last, after every other replica. */
    private static final long SUSPECT_NANOS = Duration.ofSeconds(2).toNanos();

    private final SlabTable table;
    private final ControllerClient controller;
    private final NodeLinks links;
    private final long timeoutNanos;
    private final NanoClock clock;
    private final Map<Long, Long> suspects = new ConcurrentHashMap<>();
    /** Reports to the controller go out on their own threads: a failing request must not wait for them. */
    private final Executor reports = Executors.newVirtualThreadPerTaskExecutor();

    Failover(SlabTable table, ControllerClient controller, NodeLinks links, Duration timeout) {
        this(table, controller, links, timeout, NanoClock.SYSTEM);
    }

    Failover(SlabTable table, ControllerClient controller, NodeLinks links, Duration timeout, NanoClock clock) {
        this.table = table;
        this.controller = controller;
        this.links = links;
        this.timeoutNanos = timeout.toNanos();
        this.clock = clock;
    }

    /** When a request that starts now must give up. */
    long deadline() {
        return clock.nanoTime() + timeoutNanos;
    }

    /** Whether {@code deadline}, from {@link #deadline()}, has passed. */
    boolean passed(long deadline) {
        return clock.nanoTime() - deadline > 0;
    }

    /** Failures another replica, a fresher slab map or a moment's wait can cure. */
    static boolean retryable(RememException e) {
        return switch (e.code()) {
            case CONNECTION_CLOSED, TIMEOUT, NODE_UNAVAILABLE, NO_SUCH_SLAB, STALE_MAP, REPLICA_NOT_READY,
                 CHECKSUM_MISMATCH, DATA_CORRUPT -> true;
            default -> false;
        };
    }

    /** Failures that say the node itself may be gone, rather than our map of it being old. */
    private static boolean nodeFailure(RememException e) {
        return switch (e.code()) {
            case CONNECTION_CLOSED, TIMEOUT, NODE_UNAVAILABLE -> true;
            default -> false;
        };
    }

    /**
     * Notes that {@code replica} failed a request. A node that looks gone is tried last for a while, and the controller
     * is told (a client timeout), so it need not wait for missed heartbeats to fail the node over.
     */
    void failed(Replica replica, RememException e) {
        if (!nodeFailure(e)) {
            return;
        }
        long now = clock.nanoTime();
        Long was = suspects.put(replica.nodeId(), now);
        if (was == null || now - was > SUSPECT_NANOS) {
            log.warn("memory node {} ({}) failed a request: {}; failing over", replica.nodeId(), replica.address(),
                    e.getMessage());
            reports.execute(() -> {
                try {
                    controller.suspect(replica.nodeId());
                } catch (RememException ignored) {
                    // the controller's own detector will notice
                }
            });
        }
    }

    /** Whether {@code replica} failed lately; on the miss path, so the common case (no suspects) looks nothing up. */
    boolean suspect(Replica replica) {
        if (suspects.isEmpty()) {
            return false;
        }
        Long since = suspects.get(replica.nodeId());
        if (since == null) {
            return false;
        }
        if (clock.nanoTime() - since > SUSPECT_NANOS) {
            suspects.remove(replica.nodeId(), since);
            return false;
        }
        return true;
    }

    /** Asks the controller where {@code slabId} lives now and updates the slab table; null if the slab is gone. */
    SlabEntry refresh(long slabId) {
        SlabEntry e = table.findSlab(slabId);
        if (e == null) {
            return null;
        }
        SlabRun run;
        try {
            run = controller.lookup(slabId, 1);
        } catch (RememException ex) {
            if (ex.code() == ErrorCode.NO_SUCH_SLAB) {
                return null;
            }
            throw ex;
        }
        for (SlabDescriptor d : run.slabs()) {
            e.refresh(d);
        }
        return e;
    }

    /** Tells {@code replica}, on the session writes use, that we know the slab's current replica set. */
    void declare(Replica replica, SlabDescriptor d) {
        links.link(replica).call(Opcode.SLAB_EPOCH, d.slabId(), d.epoch(), 0, null, null, (h, b) -> null);
    }

    /** Waits a little longer each attempt, up to half a second: the controller needs a moment to fail a node over. */
    static void backOff(int attempt) {
        try {
            Thread.sleep(Math.min(500, 10L << Math.min(attempt, 6)));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while failing over", ie);
        }
    }

    /** The failure to report once the failover timeout has passed. */
    RememException gaveUp(String what, RememException last) {
        return new RememException(last.code(), what + " failed on every replica for "
                + Duration.ofNanos(timeoutNanos).toMillis() + " ms (the failover timeout): " + last.detail(), last);
    }
}
