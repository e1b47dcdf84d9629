package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.SlabDescriptor;
import io.remem.transport.DirectLink;

import java.util.function.Supplier;

/**
 * The one way a read-only request reaches a memory node: block fetches and every offload (map gets, chases, scans)
 * alike. It tries the slab's readable replicas, primary first and nodes that failed lately last, then looks the slab
 * up again and starts over, until the request succeeds or the failover timeout passes. Where another replica could
 * serve, a replica is given only a deadline drawn from its own recent latency ({@link DirectLink#earlyDeadline})
 * before the next is tried, so a stalled node costs milliseconds, not the request timeout.
 */
final class ReplicaReads {
    /** One attempt of the request on one replica; {@code withinNanos} is how long it may wait for the answer. */
    @FunctionalInterface
    interface Attempt<T> {
        T run(DirectLink link, SlabEntry slab, long withinNanos);
    }

    private final SlabTable table;
    private final NodeLinks links;
    private final Failover failover;
    private final long earlyFloorNanos;

    /** @param earlyFloorNanos the least a replica is waited for before another is tried, whatever its latency */
    ReplicaReads(SlabTable table, NodeLinks links, Failover failover, long earlyFloorNanos) {
        this.table = table;
        this.links = links;
        this.failover = failover;
        this.earlyFloorNanos = earlyFloorNanos;
    }

    /** Runs {@code attempt} against a readable replica of the slab holding {@code farAddress}, failing over. */
    <T> T call(long farAddress, String what, Attempt<T> attempt) {
        return run(farAddress, what, attempt, null);
    }

    /**
     * As {@link #call}, but when every readable replica failed once and there is no other to try (a slab with one
     * readable copy), returns {@code fallback}'s answer instead of waiting for the node: for an offload, the same
     * answer computed here over the cache.
     */
    <T> T callOrElse(long farAddress, String what, Attempt<T> attempt, Supplier<T> fallback) {
        return run(farAddress, what, attempt, fallback);
    }

    private <T> T run(long farAddress, String what, Attempt<T> attempt, Supplier<T> fallback) {
        SlabEntry e = table.get(farAddress);
        long deadline = failover.deadline();
        RememException last = null;
        for (int round = 0; ; round++) {
            SlabDescriptor d = e.descriptor();
            boolean alternative = d.readable() > 1;
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < d.readable(); i++) {
                    Replica r = d.replicas().get(i);
                    if (failover.suspect(r) != (pass == 1)) {
                        continue; // healthy-looking replicas on the first pass, suspects on the second
                    }
                    try {
                        DirectLink link = links.link(r);
                        return attempt.run(link, e, alternative ? link.earlyDeadline(earlyFloorNanos) : Long.MAX_VALUE);
                    } catch (RememException ex) {
                        if (!Failover.retryable(ex)) {
                            throw ex;
                        }
                        failover.failed(r, ex);
                        last = ex;
                    }
                }
            }
            if (fallback != null && !alternative) {
                return fallback.get();
            }
            if (failover.passed(deadline)) {
                throw failover.gaveUp(what + " of slab " + e.slabId(), last != null ? last
                        : new RememException(ErrorCode.NODE_UNAVAILABLE, "no readable replica"));
            }
            Failover.backOff(round);
            SlabEntry fresh = failover.refresh(e.slabId());
            if (fresh == null) {
                throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + e.slabId() + " was freed");
            }
            e = fresh;
        }
    }
}
