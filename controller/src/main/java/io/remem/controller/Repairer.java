package io.remem.controller;

import io.remem.protocol.Opcode;
import io.remem.protocol.Replica;
import io.remem.protocol.RememException;
import io.remem.protocol.SlabSync;
import io.remem.transport.Peer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps every slab at its replication factor: re-replicates slabs that lost a replica, and moves slabs off nodes
 * that are draining or short of memory. A copy follows four steps, each journaled before the next:
 *
 * <ol>
 *   <li>the new node joins the slab's replicas as one being copied, at the next epoch: clients that look the slab up
 *       from now on write to it too;</li>
 *   <li>the readable replicas are fenced at that epoch, so no client that does not know the new node can still have
 *       a write acknowledged (each write needs every replica's answer, and a fenced replica refuses it);</li>
 *   <li>the new node copies the slab from a readable replica, leaving alone the lines clients wrote meanwhile;</li>
 *   <li>the new node becomes readable; a replica that was leaving is dropped.</li>
 * </ol>
 */
final class Repairer {
    private static final Logger log = LoggerFactory.getLogger(Repairer.class);

    /** What {@code remem status} shows. */
    record Progress(int copying, long copiedBytes, long copyBytes, long copiedSlabs) {}

    private final Metadata metadata;
    /** Issues the capability a copy presents to its source, which serves REPLICA_READ of that slab only. */
    private final TokenIssuer tokens;
    private final ExecutorService workers;
    private final int maxCopies;
    private final double memoryHighWater;
    private final long copyTimeoutNanos;
    /** Slab id to the node it is being copied to. */
    private final Map<Long, Long> copies = new ConcurrentHashMap<>();
    /** Slab id to the node it is moving off because that node is short of memory. */
    private final Map<Long, Long> moves = new ConcurrentHashMap<>();
    private final AtomicLong copiedBytes = new AtomicLong();
    private final AtomicLong copyingBytes = new AtomicLong();
    private final AtomicLong copiedSlabs = new AtomicLong();

    /**
     * @param maxCopies       copies running at once
     * @param memoryHighWater fraction of a node's capacity in use above which slabs move off it
     */
    Repairer(Metadata metadata, ExecutorService workers, int maxCopies, double memoryHighWater, Duration copyTimeout,
             TokenIssuer tokens) {
        this.metadata = metadata;
        this.tokens = tokens;
        this.workers = workers;
        this.maxCopies = maxCopies;
        this.memoryHighWater = memoryHighWater;
        this.copyTimeoutNanos = copyTimeout.toNanos();
    }

    Progress progress() {
        long copied = copiedBytes.get();
        return new Progress(copies.size(), copied, copied + copyingBytes.get(), copiedSlabs.get());
    }

    /** One pass over all slabs; called periodically. Starts copies and drops replicas that have been replaced. */
    void tick() {
        pickMovesForFullNodes();
        for (SlabRecord s : metadata.allSlabs()) {
            if (copies.containsKey(s.id())) {
                continue;
            }
            if (dropDeadReplica(s)) {
                continue;
            }
            if (s.copying()) { // a copy that was running when the controller stopped: start over
                long stale = s.replicas()[s.readable()];
                if (metadata.update(s, s.without(stale))) {
                    deleteOn(stale, s.id());
                }
                continue;
            }
            NodeRecord source = null;
            int staying = 0;
            long leaving = 0;
            for (int i = 0; i < s.readable(); i++) {
                NodeRecord n = metadata.node(s.replicas()[i]);
                if (n == null || !n.alive) {
                    continue;
                }
                if (source == null && n.link != null && n.link.isOpen() && !metadata.quarantinedOn(s.id(), n.id)) {
                    source = n; // a quarantined copy would fail every copy with DATA_CORRUPT, forever
                }
                if (leaves(s, n)) {
                    leaving = n.id;
                } else {
                    staying++;
                }
            }
            if (source == null) {
                continue; // unavailable: nothing to copy from until a replica returns
            }
            if (staying < s.factor()) {
                if (copies.size() < maxCopies) {
                    startCopy(s, source);
                }
            } else if (leaving != 0 && metadata.update(s, s.without(leaving))) {
                moves.remove(s.id(), leaving);
                log.info("slab {} moved off memory node {}", s.id(), leaving);
                deleteOn(leaving, s.id());
            }
        }
    }

    /**
     * Drops a dead replica that was kept at the time it died because no other copy was live then (two deaths in one
     * sweep, or a copy that finished later), once another readable replica is live: every write waits for every
     * replica, so a dead one would block the slab's writes for good. Returns whether it changed the slab.
     */
    private boolean dropDeadReplica(SlabRecord s) {
        boolean liveReadable = false;
        for (int i = 0; i < s.readable(); i++) {
            NodeRecord n = metadata.node(s.replicas()[i]);
            liveReadable |= n != null && n.alive;
        }
        if (!liveReadable) {
            return false;
        }
        for (long id : s.replicas()) {
            NodeRecord n = metadata.node(id);
            if ((n == null || !n.alive) && metadata.update(s, s.without(id))) {
                log.info("slab {}: dropped replica on dead memory node {} now that another copy is live", s.id(), id);
                return true;
            }
        }
        return false;
    }

    private boolean leaves(SlabRecord s, NodeRecord n) {
        return n.draining || Long.valueOf(n.id).equals(moves.get(s.id()));
    }

    /** A node above the high-water mark gets one slab moved off at a time, until it is below again. */
    private void pickMovesForFullNodes() {
        // A move whose slab was freed, or that lost the node another way, is over.
        moves.entrySet().removeIf(m -> {
            SlabRecord s = metadata.slab(m.getKey());
            return s == null || !s.readableOn(m.getValue());
        });
        for (NodeRecord n : metadata.allNodes()) {
            if (!n.alive || n.draining || n.capacity == 0 || n.backed < memoryHighWater * n.capacity
                    || moves.containsValue(n.id)) {
                continue;
            }
            for (SlabRecord s : metadata.allSlabs()) {
                if (s.readableOn(n.id) && !s.copying()) {
                    log.info("memory node {} uses {} of {} bytes; moving slab {} off it", n.id, n.backed, n.capacity, s.id());
                    moves.put(s.id(), n.id);
                    break;
                }
            }
        }
    }

    private void startCopy(SlabRecord s, NodeRecord source) {
        Set<Long> exclude = Set.of();
        NodeRecord target = metadata.copyTarget(s, exclude);
        if (target == null) {
            return;
        }
        SlabRecord next = s.withCopy(target.id);
        if (!metadata.update(s, next)) {
            return;
        }
        copies.put(s.id(), target.id);
        copyingBytes.addAndGet(s.size());
        workers.execute(() -> runCopy(next, target, source));
    }

    private void runCopy(SlabRecord s, NodeRecord target, NodeRecord source) {
        long started = System.nanoTime();
        boolean ok = false;
        try {
            // Every live readable replica is fenced, or the copy does not start: an unfenced one would take writes from
            // a client that does not know the target. A dead one takes no writes at all.
            for (int i = 0; i < s.readable(); i++) {
                NodeRecord n = metadata.node(s.replicas()[i]);
                if (n == null || !n.alive) {
                    continue;
                }
                Peer link = n.link;
                if (link == null) {
                    throw new IllegalStateException("memory node " + n.id + " holds slab " + s.id()
                            + " but is not connected, so it cannot be fenced");
                }
                Peer.await(link.call(Opcode.SLAB_FENCE, s.id(), s.epoch(), 0, 0, out -> {}, (h, b) -> null));
            }
            Peer link = target.link;
            if (link == null) {
                throw new IllegalStateException("memory node " + target.id + " is not connected");
            }
            SlabSync sync = new SlabSync(s.size(), s.tenant(), s.epoch(), new Replica(source.id, source.host, source.port),
                    tokens.copy(s.id()));
            Peer.await(link.call(Opcode.SLAB_SYNC, s.id(), 0, 0, 128, sync::encode, (h, b) -> null, copyTimeoutNanos));
            ok = finish(s.id(), target.id);
            if (ok) {
                copiedBytes.addAndGet(s.size());
                copiedSlabs.incrementAndGet();
                log.info("slab {} copied from memory node {} to {} in {} ms", s.id(), source.id, target.id,
                        (System.nanoTime() - started) / 1_000_000);
            }
        } catch (RuntimeException e) {
            log.warn("copying slab {} to memory node {} failed: {}", s.id(), target.id, e.getMessage());
        } finally {
            if (!ok) {
                abandon(s.id(), target.id);
            }
            copyingBytes.addAndGet(-s.size());
            copies.remove(s.id());
        }
    }

    /** Makes the copy readable, unless the slab changed under it in a way that dropped the target. */
    private boolean finish(long slabId, long target) {
        while (true) {
            SlabRecord cur = metadata.slab(slabId);
            if (cur == null || !cur.holds(target) || cur.readableOn(target)) {
                return false;
            }
            if (metadata.update(cur, cur.copied(target))) {
                return true;
            }
        }
    }

    private void abandon(long slabId, long target) {
        while (true) {
            SlabRecord cur = metadata.slab(slabId);
            if (cur == null || !cur.holds(target) || cur.readableOn(target)) {
                break;
            }
            if (metadata.update(cur, cur.without(target))) {
                break;
            }
        }
        deleteOn(target, slabId);
    }

    private void deleteOn(long nodeId, long slabId) {
        deleteOn(metadata, nodeId, slabId);
    }

    /** Best effort: a node that is gone has lost the slab anyway, and one that returns drops it when it registers. */
    static void deleteOn(Metadata metadata, long nodeId, long slabId) {
        NodeRecord node = metadata.node(nodeId);
        Peer link = node == null ? null : node.link;
        if (link != null) {
            link.call(Opcode.SLAB_DELETE, slabId, 0, 0, 0, out -> {}, (hdr, b) -> null)
                    .exceptionally(e -> {
                        log.warn("deleting slab {} on memory node {} failed: {}", slabId, nodeId, e.getMessage());
                        return null;
                    });
        }
    }
}
