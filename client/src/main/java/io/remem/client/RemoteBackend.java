package io.remem.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.WriteRunReader;
import io.remem.transport.DirectLink;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The cache's backend over real memory nodes: reads from a slab's primary, scatter writes per node. */
final class RemoteBackend implements FarBackend {
    private final SlabTable table;
    private final NodeLinks links;

    RemoteBackend(SlabTable table, NodeLinks links) {
        this.table = table;
        this.links = links;
    }

    @Override
    public boolean mayHoldData(long farAddress, int length) {
        SlabEntry e = table.find(farAddress);
        return e == null || e.mayHoldData(table.offset(farAddress), length);
    }

    @Override
    public void fetch(long farAddress, MemorySegment dst) {
        SlabEntry e = table.get(farAddress);
        Replica primary = e.descriptor().primary();
        links.link(primary).read(e.slabId(), table.offset(farAddress), dst);
    }

    /** Prefetches in flight on one node's prefetch link above which more are dropped rather than queued. */
    private static final int MAX_PREFETCHES_IN_FLIGHT = 64;

    @Override
    public List<CompletableFuture<Void>> fetchAsync(List<FetchRun> runs) {
        List<CompletableFuture<Void>> out = new ArrayList<>(java.util.Collections.nCopies(runs.size(), null));
        Map<Long, List<Integer>> byNode = new HashMap<>();
        Map<Long, Replica> nodes = new HashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            SlabEntry e = table.find(runs.get(i).farAddress());
            if (e == null) {
                out.set(i, CompletableFuture.failedFuture(new RememException(ErrorCode.NO_SUCH_SLAB, "slab freed")));
                continue;
            }
            Replica primary = e.descriptor().primary();
            nodes.put(primary.nodeId(), primary);
            byNode.computeIfAbsent(primary.nodeId(), id -> new ArrayList<>()).add(i);
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

    /** One request when every run goes to the node that holds the block to fetch; else the two separately. */
    @Override
    public boolean fetchWithWriteBack(long farAddress, MemorySegment dst, WriteBatch batch, CompletableFuture<Void> written) {
        Batch b = (Batch) batch;
        SlabEntry e = table.find(farAddress);
        NodeRuns runs = e == null ? null : b.onlyFor(e.descriptor().primary().nodeId());
        if (runs == null) {
            return FarBackend.super.fetchWithWriteBack(farAddress, dst, batch, written);
        }
        try {
            runs.body.setInt(0, runs.count);
            links.link(e.descriptor().primary()).call(Opcode.WRITEV_READ, e.slabId(), table.offset(farAddress),
                    (int) dst.byteSize(), runs.body.nioBuffer(), dst, null);
            written.complete(null);
            return true;
        } catch (RuntimeException ex) {
            written.completeExceptionally(ex);
            throw ex;
        } finally {
            runs.body.release();
        }
    }

    @Override
    public WriteBatch newBatch() {
        return new Batch();
    }

    /** Dirty runs grouped by the memory node that holds their slab; one WRITEV per node. */
    private final class Batch implements WriteBatch {
        private final Map<Long, NodeRuns> byNode = new HashMap<>();
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
            Replica primary = e.descriptor().primary();
            NodeRuns runs = byNode.computeIfAbsent(primary.nodeId(), id -> new NodeRuns(primary));
            WriteRunReader.writeRunHeader(runs.body, e.slabId(), offset, length);
            runs.body.writeBytes(src.asSlice(srcOffset, length).asByteBuffer());
            runs.count++;
            maxRuns = Math.max(maxRuns, runs.count);
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
        NodeRuns onlyFor(long nodeId) {
            if (byNode.size() != 1 || !byNode.containsKey(nodeId)) {
                return null;
            }
            return byNode.remove(nodeId);
        }

        @Override
        public CompletableFuture<Void> send() {
            List<CompletableFuture<Void>> sends = new ArrayList<>(byNode.size());
            for (NodeRuns runs : byNode.values()) {
                CompletableFuture<Void> sent;
                try {
                    sent = links.link(runs.node).callAsync(Opcode.WRITEV, 0, 0, runs.count, runs.runsOnly(),
                            (h, body) -> {
                                if (h.length() != runs.count) {
                                    throw new RememException(ErrorCode.INTERNAL, "memory node applied " + h.length()
                                            + " of " + runs.count + " runs");
                                }
                                return null;
                            });
                } catch (RuntimeException e) {
                    sent = CompletableFuture.failedFuture(e);
                }
                sends.add(sent.whenComplete((v, err) -> runs.body.release()));
            }
            byNode.clear();
            return CompletableFuture.allOf(sends.toArray(new CompletableFuture[0]));
        }
    }

    /**
     * One node's runs. The body starts with room for a {@code u32} run count, which a WRITEV_READ carries in its
     * body and a WRITEV leaves out (its header has the count).
     */
    private static final class NodeRuns {
        final Replica node;
        final ByteBuf body = PooledByteBufAllocator.DEFAULT.directBuffer(64 << 10).writeInt(0);
        int count;

        NodeRuns(Replica node) {
            this.node = node;
        }

        java.nio.ByteBuffer runsOnly() {
            return body.nioBuffer(4, body.readableBytes() - 4);
        }
    }
}
