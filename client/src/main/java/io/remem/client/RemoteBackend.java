package io.remem.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.Checksums;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Features;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.SlabDescriptor;
import io.remem.protocol.Wire;
import io.remem.transport.DirectLink;
import io.remem.transport.Peer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The cache's backend over real memory nodes: reads from a slab's primary and falls back to its other readable
 * replicas; writes back to every replica of a slab, one scatter write per node ({@link ReplicatedWrite}). Both fail
 * over through {@link Failover} until they succeed or its timeout passes.
 */
final class RemoteBackend implements FarBackend {
    private final SlabTable table;
    private final NodeLinks links;
    private final Failover failover;
    private final ReplicaReads reads;
    /** Whether write runs carry CRC32Cs: every link of this runtime asked for checksums and got them. */
    private final boolean checksums;
    /**
     * Operation ids for writes and atomics: a random prefix per runtime, so ids of two runtimes of one tenant do not
     * meet in a memory node's window, and a counter.
     */
    private final AtomicLong opIds =
            new AtomicLong(new SecureRandom().nextLong() & 0xFF_FFFFL << 40);

    RemoteBackend(SlabTable table, NodeLinks links, Failover failover, ReplicaReads reads) {
        this.table = table;
        this.links = links;
        this.failover = failover;
        this.reads = reads;
        this.checksums = Features.has(links.features(), Features.CHECKSUMS);
    }

    private long nextOpId() {
        return opIds.getAndIncrement();
    }

    @Override
    public boolean mayHoldData(long farAddress, int length) {
        SlabEntry e = table.find(farAddress);
        return e == null || e.mayHoldData(table.offset(farAddress), length);
    }

    /**
     * Reads through {@link ReplicaReads}: the readable replicas, primary first and nodes that failed lately last, a
     * stalled one given up on at its early deadline; then the slab looked up again.
     */
    @Override
    public void fetch(long farAddress, MemorySegment dst) {
        long offset = table.offset(farAddress);
        reads.call(farAddress, "reading", (link, e, within) -> {
            link.read(e.slabId(), offset, dst, within);
            return null;
        });
    }

    /**
     * Same-word atomics of this runtime are serialized, so replicas apply their results in the primary's order. Atomics
     * are rare next to cached accesses; a stripe lock is cheap at that rate and keeps the replicas identical.
     */
    private final ReentrantLock[] atomicStripes = stripes(64);

    private static ReentrantLock[] stripes(int n) {
        ReentrantLock[] out = new ReentrantLock[n];
        for (int i = 0; i < n; i++) {
            out[i] = new ReentrantLock();
        }
        return out;
    }

    /**
     * Runs the atomic on the primary, then writes its result to the other replicas. If the answer is lost, the same
     * operation id goes out again with the retry flag, to the same node or, after failover, to the new primary (which
     * never saw it: replicas get the result only after the primary answered). So it is applied once.
     */
    @Override
    public long atomic(Opcode op, long farAddress, long a, long b) {
        SlabEntry e = table.get(farAddress);
        long offset = table.offset(farAddress);
        long opId = nextOpId();
        ReentrantLock stripe = atomicStripes[(int) ((farAddress >>> 3) * 0x9E3779B97F4A7C15L >>> 58)];
        stripe.lock();
        try {
            long deadline = failover.deadline();
            boolean retry = false;
            for (int attempt = 0; ; attempt++) {
                SlabDescriptor d = e.descriptor();
                Replica primary = readReplica(e);
                ByteBuf body = Unpooled.buffer(24).writeLong(opId).writeLong(a);
                if (op == Opcode.CAS) {
                    body.writeLong(b);
                }
                try {
                    long old = Peer.await(links.link(primary).callAsync(op,
                            retry ? Wire.FLAG_RETRY : 0, e.slabId(), offset, 8, body.nioBuffer(),
                            (h, resp) -> resp.readLong()));
                    boolean changed = op == Opcode.FAA ? a != 0 : old == a && a != b;
                    if (changed && d.replicas().size() > 1) {
                        long now = op == Opcode.FAA ? old + a : b;
                        copyToOtherReplicas(e, primary, offset, now);
                    }
                    return old;
                } catch (RememException ex) {
                    if (!Failover.retryable(ex)) {
                        throw ex;
                    }
                    if (failover.passed(deadline)) {
                        throw failover.gaveUp(op + " on slab " + e.slabId(), ex);
                    }
                    failover.failed(primary, ex);
                    retry = true;
                    Failover.backOff(attempt);
                    SlabEntry fresh = failover.refresh(e.slabId());
                    if (fresh == null) {
                        throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + e.slabId() + " was freed");
                    }
                    e = fresh;
                    if (ex.code() == ErrorCode.STALE_MAP) {
                        try {
                            failover.declare(readReplica(e), e.descriptor());
                        } catch (RememException again) {
                            if (!Failover.retryable(again)) {
                                throw again;
                            }
                        }
                    }
                }
            }
        } finally {
            stripe.unlock();
        }
    }

    /**
     * Writes an atomic's result to every replica but the one that ran it, again after a failure (the write refreshes
     * the slab map first) until the failover timeout. Resending is safe here: the stripe lock is held, so no newer
     * value of the word can be in flight.
     */
    private void copyToOtherReplicas(SlabEntry e, Replica ran, long offset, long value) {
        MemorySegment word = Arena.ofAuto().allocate(8);
        word.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, value);
        long deadline = failover.deadline();
        for (int attempt = 0; ; attempt++) {
            List<ReplicatedWrite.Part> parts = new ArrayList<>();
            for (Replica r : e.descriptor().replicas()) {
                if (r.nodeId() != ran.nodeId()) {
                    ReplicatedWrite.Part p = new ReplicatedWrite.Part(r, checksums);
                    p.add(e.slabId(), offset, word, 0, 8, checksums ? Checksums.crc32c(new CRC32C(), word) : 0);
                    parts.add(p);
                }
            }
            try {
                Peer.await(new ReplicatedWrite(links, failover, this::nextOpId).send(parts));
                return;
            } catch (RememException ex) {
                if (!Failover.retryable(ex) || failover.passed(deadline)) {
                    throw ex;
                }
                Failover.backOff(attempt);
            }
        }
    }

    /** The replica a prefetch or an offload should use: the first readable one that has not failed lately. */
    Replica readReplica(SlabEntry e) {
        SlabDescriptor d = e.descriptor();
        for (int i = 0; i < d.readable(); i++) {
            if (!failover.suspect(d.replicas().get(i))) {
                return d.replicas().get(i);
            }
        }
        return d.primary();
    }

    /** Prefetches in flight on one node's prefetch link above which more are dropped rather than queued. */
    private static final int MAX_PREFETCHES_IN_FLIGHT = 64;

    @Override
    public List<CompletableFuture<Void>> fetchAsync(List<FetchRun> runs) {
        List<CompletableFuture<Void>> out = new ArrayList<>(Collections.nCopies(runs.size(), null));
        Map<Long, List<Integer>> byNode = new HashMap<>();
        Map<Long, Replica> nodes = new HashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            SlabEntry e = table.find(runs.get(i).farAddress());
            if (e == null) {
                out.set(i, CompletableFuture.failedFuture(new RememException(ErrorCode.NO_SUCH_SLAB, "slab freed")));
                continue;
            }
            Replica source = readReplica(e);
            nodes.put(source.nodeId(), source);
            byNode.computeIfAbsent(source.nodeId(), id -> new ArrayList<>()).add(i);
        }
        for (Map.Entry<Long, List<Integer>> node : byNode.entrySet()) {
            List<Integer> idx = node.getValue();
            DirectLink link;
            try {
                link = links.prefetchLink(nodes.get(node.getKey()));
            } catch (RuntimeException ex) {
                idx.forEach(i -> out.set(i, CompletableFuture.failedFuture(ex)));
                continue;
            }
            if (link.inFlight() >= MAX_PREFETCHES_IN_FLIGHT) {
                idx.forEach(i -> out.set(i, CompletableFuture.failedFuture(
                        new RememException(ErrorCode.TOO_LARGE, "prefetch queue full"))));
                continue;
            }
            long[] slabs = new long[idx.size()];
            long[] offsets = new long[idx.size()];
            MemorySegment[][] dsts = new MemorySegment[idx.size()][];
            for (int k = 0; k < idx.size(); k++) {
                FetchRun r = runs.get(idx.get(k));
                slabs[k] = table.slabId(r.farAddress());
                offsets[k] = table.offset(r.farAddress());
                dsts[k] = r.dsts();
            }
            List<CompletableFuture<Void>> sent = link.readAsyncBatch(slabs, offsets, dsts);
            for (int k = 0; k < idx.size(); k++) {
                out.set(idx.get(k), sent.get(k));
            }
        }
        return out;
    }

    @Override
    public boolean sameSlab(long a, long b) {
        return table.slabId(a) == table.slabId(b);
    }

    @Override
    public boolean holds(long farAddress) {
        SlabEntry e = table.find(farAddress);
        return e != null && table.offset(farAddress) < e.descriptor().size();
    }

    /**
     * One request when every run goes to the one node that holds the block to fetch, and only there (a slab with one
     * replica); else the two separately.
     */
    @Override
    public boolean fetchWithWriteBack(long farAddress, MemorySegment dst, WriteBatch batch, CompletableFuture<Void> written) {
        Batch b = (Batch) batch;
        SlabEntry e = table.find(farAddress);
        ReplicatedWrite.Part runs = e == null || e.descriptor().replicas().size() != 1 ? null
                : b.onlyFor(e.descriptor().primary().nodeId());
        if (runs == null) {
            return FarBackend.super.fetchWithWriteBack(farAddress, dst, batch, written);
        }
        try {
            runs.body.setInt(0, runs.count);
            links.link(e.descriptor().primary()).call(Opcode.WRITEV_READ, e.slabId(), table.offset(farAddress),
                    (int) dst.byteSize(), runs.body.nioBuffer(), dst, null);
            written.complete(null);
            return true;
        } catch (RememException ex) {
            written.completeExceptionally(ex);
            if (!Failover.retryable(ex)) {
                throw ex;
            }
            fetch(farAddress, dst); // the write-back is retried by the cache; the fetch fails over now
            return false;
        } catch (RuntimeException ex) {
            written.completeExceptionally(ex);
            throw ex;
        } finally {
            runs.release();
        }
    }

    @Override
    public WriteBatch newBatch() {
        return new Batch();
    }

    /** Dirty runs grouped by memory node: each run goes to every replica of its slab. */
    private final class Batch implements WriteBatch {
        private final Map<Long, ReplicatedWrite.Part> byNode = new HashMap<>();
        private final CRC32C crc = checksums ? new CRC32C() : null;
        private long bytes;
        private int maxRuns;

        @Override
        public void add(long farAddress, MemorySegment src, long srcOffset, int length) {
            SlabEntry e = table.find(farAddress);
            if (e == null) {
                return; // the slab was freed: its data no longer matters
            }
            long offset = table.offset(farAddress);
            e.markWritten(offset, length);
            int sum = crc == null ? 0 : Checksums.crc32c(crc, src.asSlice(srcOffset, length));
            for (Replica r : e.descriptor().replicas()) {
                ReplicatedWrite.Part part = byNode.computeIfAbsent(r.nodeId(), id -> new ReplicatedWrite.Part(r, checksums));
                part.add(e.slabId(), offset, src, srcOffset, length, sum);
                maxRuns = Math.max(maxRuns, part.count);
            }
            bytes += length;
        }

        @Override
        public int maxRunsPerNode() {
            return maxRuns;
        }

        @Override
        public long bytes() {
            return bytes;
        }

        /** The runs, if they all go to {@code nodeId}; the batch hands them over and is spent. */
        ReplicatedWrite.Part onlyFor(long nodeId) {
            if (byNode.size() != 1 || !byNode.containsKey(nodeId)) {
                return null;
            }
            return byNode.remove(nodeId);
        }

        @Override
        public CompletableFuture<Void> send() {
            List<ReplicatedWrite.Part> parts = new ArrayList<>(byNode.values());
            byNode.clear();
            return new ReplicatedWrite(links, failover, RemoteBackend.this::nextOpId).send(parts);
        }
    }
}
