package io.remem.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.AggregateRequest;
import io.remem.protocol.AggregateResult;
import io.remem.protocol.Aggregator;
import io.remem.protocol.Bodies;
import io.remem.protocol.ChaseRequest;
import io.remem.protocol.ChaseResult;
import io.remem.protocol.ElementType;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Filter;
import io.remem.protocol.MapGetRequest;
import io.remem.protocol.MapGetResult;
import io.remem.protocol.MapLayout;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.transport.Peer;
import io.remem.transport.ResponseReader;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Operations that can run at the memory node holding the data instead of pulling it into the local cache
 * (Clio's extend path, AIFM's remote agent): scan-filter-aggregate over a range of 8-byte elements, a search
 * along a linked structure, and a get on a hash map laid out as {@link io.remem.protocol.MapLayout}. Memory nodes
 * run only these built-in operations; nothing here ships code. Obtain one from {@link FarMemory#offload()}.
 *
 * <p>Each operation takes an {@link OffloadMode}. Running near costs one round trip per memory node touched and
 * returns only the answer, but first writes back any dirty cached data it could read, and caches nothing. Pulling
 * moves every byte into the cache, where it stays for the next access. AUTO pulls when the data is cached already
 * and runs near otherwise.
 *
 * <p>Thread-safe. An operation sees every write this runtime completed before it started; writes from other
 * threads racing with it may or may not be seen, as with plain reads.
 */
public final class Offload {
    /** AUTO pulls an aggregate when at least this share of its blocks is cached. */
    static final double PULL_WHEN_CACHED = 0.9;
    /** Scan requests of one call outstanding at once: enough to keep a node busy while answers travel. */
    static final int NEAR_IN_FLIGHT = 4;
    /** A chase that visits this many nodes gives up: the structure is probably cyclic. */
    static final long MAX_CHASE_HOPS = 1L << 24;
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Bytes one pull reads from the cache at a time; the next window's blocks are prefetched meanwhile. */
    private static final int PULL_WINDOW = 64 << 10;

    private final LocalCache cache;
    private final SlabTable table;
    private final NodeLinks links;
    private final RemoteBackend backend;
    private final ReplicaReads reads;

    /**
     * @param backend picks the replica a pipelined scan goes to first: the first readable one that has not failed lately
     * @param reads   runs every near request with failover to the other replicas, and falls back to the pulled path
     */
    Offload(LocalCache cache, SlabTable table, NodeLinks links, RemoteBackend backend, ReplicaReads reads) {
        this.backend = backend;
        this.cache = cache;
        this.table = table;
        this.links = links;
        this.reads = reads;
    }

    // ============================================================================== scan-filter-aggregate

    /**
     * Counts, sums, and finds the min and max of the elements of {@code [offset, offset + 8 * count)} of
     * {@code segment} that pass {@code filter}. Elements are little-endian and 8-byte aligned.
     *
     * @throws IllegalArgumentException if the range is not 8-byte aligned
     * @throws IndexOutOfBoundsException if it does not lie in the segment
     */
    public Aggregate aggregate(FarSegment segment, long offset, long count, ElementType type, Filter filter,
                               OffloadMode mode) {
        List<Piece> plan = plan(segment, offset, count);
        AggregateRequest[] requests = requests(plan, type, filter, false);
        List<AggregateResult> parts = new ArrayList<>(plan.size());
        if (runNear(mode, segment, offset, count)) {
            parts.addAll(near(plan, requests, p -> (h, body) -> AggregateResult.decode(body, p.phase, p.count),
                    i -> pull(plan.get(i), requests[i]).result()));
        } else {
            for (int i = 0; i < plan.size(); i++) {
                parts.add(pull(plan.get(i), requests[i]).result());
            }
        }
        return combine(type, parts);
    }

    /**
     * The positions, counted from the range's first element, of the elements of {@code [offset, offset + 8 * count)}
     * that pass {@code filter}, ascending (Clio-DF's select).
     */
    public long[] select(FarSegment segment, long offset, long count, ElementType type, Filter filter,
                         OffloadMode mode) {
        List<Piece> plan = plan(segment, offset, count);
        AggregateRequest[] requests = requests(plan, type, filter, true);
        List<int[]> parts = new ArrayList<>(plan.size());
        if (runNear(mode, segment, offset, count)) {
            parts.addAll(near(plan, requests, p -> (h, body) -> decodePositions(body, p.count),
                    i -> pull(plan.get(i), requests[i]).positions()));
        } else {
            for (int i = 0; i < plan.size(); i++) {
                parts.add(pull(plan.get(i), requests[i]).positions());
            }
        }
        long total = 0;
        for (int[] part : parts) {
            total += part.length;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(total + " elements match: too many for one array; select a smaller range");
        }
        long[] out = new long[(int) total];
        int n = 0;
        long first = plan.isEmpty() ? 0 : plan.getFirst().index;
        for (int i = 0; i < parts.size(); i++) {
            long base = plan.get(i).index - first;
            for (int pos : parts.get(i)) {
                out[n++] = base + pos;
            }
        }
        return out;
    }

    /** One request's worth of a range: inside one slab, ending at a summation block boundary unless the range ends. */
    private record Piece(long address, int count, int phase, long index) {}

    private List<Piece> plan(FarSegment segment, long offset, long count) {
        Objects.requireNonNull(segment, "segment");
        if (count < 0 || count > Long.MAX_VALUE / ElementType.BYTES) {
            throw new IllegalArgumentException("count: " + count + " is not a valid element count");
        }
        long address = segment.addressOf(offset, count * ElementType.BYTES);
        if ((offset & 7) != 0 || (segment.address() & 7) != 0) {
            throw new IllegalArgumentException("offset " + offset + " of " + segment
                    + ": elements must be 8-byte aligned");
        }
        List<Piece> plan = new ArrayList<>();
        long index = offset / ElementType.BYTES;
        long slabBytes = 1L << table.slabShift();
        while (count > 0) {
            int phase = (int) (index % AggregateRequest.BLOCK_ELEMENTS);
            long toSlabEnd = (slabBytes - table.offset(address)) / ElementType.BYTES;
            int n = (int) Math.min(Math.min(count, AggregateRequest.MAX_ELEMENTS - phase), toSlabEnd);
            plan.add(new Piece(address, n, phase, index));
            address += (long) n * ElementType.BYTES;
            index += n;
            count -= n;
        }
        return plan;
    }

    private static AggregateRequest[] requests(List<Piece> plan, ElementType type, Filter filter, boolean select) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(filter, "filter");
        AggregateRequest[] out = new AggregateRequest[plan.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = new AggregateRequest(type, filter, select, plan.get(i).phase);
        }
        return out;
    }

    private boolean runNear(OffloadMode mode, FarSegment segment, long offset, long count) {
        long bytes = count * ElementType.BYTES;
        boolean near = switch (Objects.requireNonNull(mode, "mode")) {
            case NEAR -> true;
            case PULL -> false;
            case AUTO -> bytes > 0 && cachedShare(segment.address() + offset, bytes) < PULL_WHEN_CACHED;
        };
        if (near && bytes > 0) {
            long addr = segment.address() + offset;
            cache.force(addr >>> cache.blockShift, (addr + bytes - 1) >>> cache.blockShift);
        }
        return near;
    }

    /** The share of the range's blocks that are cached, from at most 256 evenly spread samples. */
    private double cachedShare(long addr, long bytes) {
        long first = addr >>> cache.blockShift;
        long blocks = ((addr + bytes - 1) >>> cache.blockShift) - first + 1;
        long step = Math.max(1, blocks / 256);
        int seen = 0;
        int cached = 0;
        for (long b = 0; b < blocks; b += step) {
            seen++;
            cached += cache.isCached(first + b) ? 1 : 0;
        }
        return (double) cached / seen;
    }

    /**
     * Sends the pieces with at most {@link #NEAR_IN_FLIGHT} outstanding, so a huge range neither queues thousands of
     * scans ahead of other tenants on a memory node's I/O thread nor buffers all their answers here at once. A piece
     * whose replica fails is run again through {@link ReplicaReads}, on another replica or, with none, pulled here.
     */
    private <T> List<T> near(List<Piece> plan, AggregateRequest[] requests, Function<Piece, ResponseReader<T>> reader,
                             IntFunction<T> pulled) {
        List<T> out = new ArrayList<>(plan.size());
        ArrayDeque<CompletableFuture<T>> inFlight = new ArrayDeque<>();
        int next = 0;
        for (int i = 0; i < plan.size(); i++) {
            if (inFlight.size() == NEAR_IN_FLIGHT) {
                out.add(settle(inFlight.removeFirst(), next, plan, requests, reader, pulled));
                next++;
            }
            Piece p = plan.get(i);
            inFlight.addLast(send(p, requests[i], reader.apply(p)));
        }
        while (!inFlight.isEmpty()) {
            out.add(settle(inFlight.removeFirst(), next, plan, requests, reader, pulled));
            next++;
        }
        return out;
    }

    /** The answer of piece {@code i}, from its pipelined request or, if that failed over, from a retry. */
    private <T> T settle(CompletableFuture<T> sent, int i, List<Piece> plan, AggregateRequest[] requests,
                         Function<Piece, ResponseReader<T>> reader, IntFunction<T> pulled) {
        try {
            return Peer.await(sent);
        } catch (RememException e) {
            if (!Failover.retryable(e)) {
                throw e;
            }
            Piece p = plan.get(i);
            ByteBuf body = Unpooled.buffer(32);
            requests[i].encode(body);
            // A scan takes as long as its range needs: it gets the link's full timeout, not an early deadline.
            return reads.callOrElse(p.address, "scan", (link, slab, within) -> link.call(Opcode.OFFLOAD_AGGREGATE,
                    slab.slabId(), table.offset(p.address), p.count, body.nioBuffer(), null, reader.apply(p)),
                    () -> pulled.apply(i));
        }
    }

    private <T> CompletableFuture<T> send(Piece p, AggregateRequest request, ResponseReader<T> reader) {
        ByteBuf body = Unpooled.buffer(32);
        request.encode(body);
        try {
            SlabEntry e = table.get(p.address);
            return links.link(backend.readReplica(e)).callAsync(Opcode.OFFLOAD_AGGREGATE, e.slabId(),
                    table.offset(p.address), p.count, body.nioBuffer(), reader);
        } catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    private static int[] decodePositions(ByteBuf body, int elements) {
        int n = Bodies.readCount(body, elements, "select.count");
        Bodies.need(body, 4 * n, "select.positions"); // n <= 2^20, so 4n cannot overflow
        int[] out = new int[n];
        body.nioBuffer(body.readerIndex(), 4 * n).asIntBuffer().get(out);
        body.skipBytes(4 * n);
        int previous = -1;
        for (int i = 0; i < n; i++) {
            int pos = out[i];
            if (pos <= previous || pos >= elements) {
                throw RememException.malformed("select.positions: " + pos + " after " + previous + " in "
                        + elements + " elements");
            }
            previous = pos;
        }
        Bodies.expectEnd(body, "select");
        return out;
    }

    /** Runs one piece here, over the cache, a window at a time with the next window prefetched. */
    private Aggregator pull(Piece p, AggregateRequest request) {
        Aggregator aggregator = new Aggregator(request, p.count);
        long bytes = (long) p.count * ElementType.BYTES;
        MemorySegment window = MemorySegment.ofArray(new long[PULL_WINDOW / 8]);
        for (long done = 0; done < bytes; done += PULL_WINDOW) {
            long n = Math.min(PULL_WINDOW, bytes - done);
            long next = p.address + done + n;
            long ahead = Math.min(PULL_WINDOW, bytes - done - n);
            if (ahead > 0) {
                cache.prefetch(next >>> cache.blockShift, (next + ahead - 1) >>> cache.blockShift);
            }
            cache.read(p.address + done, window, 0, n);
            for (long i = 0; i < n; i += ElementType.BYTES) {
                aggregator.accept(window.get(LE_LONG, i));
            }
        }
        return aggregator;
    }

    private static Aggregate combine(ElementType type, List<AggregateResult> parts) {
        long count = 0;
        long min = 0;
        long max = 0;
        long longSum = 0;
        double doubleSum = 0.0;
        boolean doubles = type == ElementType.F64;
        for (AggregateResult r : parts) {
            if (r.count() > 0) {
                if (count == 0) {
                    min = r.min();
                    max = r.max();
                } else if (doubles) {
                    min = Double.doubleToRawLongBits(Math.min(Double.longBitsToDouble(min), Double.longBitsToDouble(r.min())));
                    max = Double.doubleToRawLongBits(Math.max(Double.longBitsToDouble(max), Double.longBitsToDouble(r.max())));
                } else {
                    min = Math.min(min, r.min());
                    max = Math.max(max, r.max());
                }
            }
            count += r.count();
            for (long s : r.blockSums()) {
                if (doubles) {
                    doubleSum += Double.longBitsToDouble(s);
                } else {
                    longSum += s;
                }
            }
        }
        return new Aggregate(type, count, min, max, doubles ? Double.doubleToRawLongBits(doubleSum) : longSum);
    }

    // ============================================================================== pointer chase

    /**
     * Searches a linked list or binary search tree in far memory for {@code key}, from the node at far address
     * {@code head} (0: empty). Near, the memory node follows the pointers itself, one round trip per memory node the
     * path crosses; pulled, each node is read through the cache, a round trip per node not cached. AUTO pulls while
     * the nodes are cached and goes near from the first one that is not. Near first writes back every dirty line in
     * the cache, since the structure's extent is unknown.
     *
     * @throws RememException OUT_OF_BOUNDS or NO_SUCH_SLAB if a pointer leads outside this tenant's memory, and
     *                        INVALID_ARGUMENT after {@value #MAX_CHASE_HOPS} nodes (a cycle)
     */
    public Chased chase(long head, NodeLayout layout, long key, OffloadMode mode) {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(mode, "mode");
        if (mode == OffloadMode.NEAR) {
            return chaseNear(head, layout, key, 0);
        }
        MemorySegment word = MemorySegment.ofArray(new long[1]);
        long node = head;
        long hops = 0;
        while (node != 0) {
            checkPointer(node, hops);
            if (mode == OffloadMode.AUTO && !cache.tryRead(node + layout.keyOffset(), word, 0, 8)) {
                return chaseNear(node, layout, key, hops);
            } else if (mode == OffloadMode.PULL) {
                cache.read(node + layout.keyOffset(), word, 0, 8);
            }
            long nodeKey = word.get(LE_LONG, 0);
            hops++;
            if (nodeKey == key) {
                byte[] bytes = new byte[layout.nodeBytes()];
                cache.read(node, MemorySegment.ofArray(bytes), 0, bytes.length);
                return new Chased(node, bytes, hops);
            }
            long link = node + (layout.shape() == ChaseRequest.Shape.LIST || key < nodeKey
                    ? layout.nextOffset() : layout.rightOffset());
            if (mode == OffloadMode.AUTO && !cache.tryRead(link, word, 0, 8)) {
                return chaseNear(node, layout, key, hops - 1);
            } else if (mode == OffloadMode.PULL) {
                cache.read(link, word, 0, 8);
            }
            node = word.get(LE_LONG, 0);
        }
        return new Chased(0, new byte[0], hops);
    }

    private Chased chaseNear(long node, NodeLayout layout, long key, long hops) {
        if (node == 0) {
            return new Chased(0, new byte[0], hops);
        }
        cache.flush();
        ByteBuf body = Unpooled.buffer(32);
        new ChaseRequest(layout.shape(), table.slabShift(), layout.keyOffset(), layout.nextOffset(),
                layout.rightOffset(), layout.nodeBytes(), key).encode(body);
        while (true) {
            checkPointer(node, hops);
            int budget = (int) Math.min(ChaseRequest.MAX_HOPS, MAX_CHASE_HOPS - hops);
            long at = node;
            ChaseResult r = reads.callOrElse(node, "chase", (link, e, within) -> link.call(Opcode.OFFLOAD_CHASE,
                    e.slabId(), table.offset(at), budget, body.nioBuffer(), null, (h, b) -> ChaseResult.decode(b), within),
                    () -> null);
            if (r == null) {
                // The only replica of this part failed: the same search, from here, through the cache.
                Chased rest = chase(node, layout, key, OffloadMode.PULL);
                return new Chased(rest.address(), rest.node(), hops + rest.hops());
            }
            hops += r.hops();
            switch (r.outcome()) {
                case FOUND -> {
                    return new Chased(r.address(), r.node(), hops);
                }
                case ABSENT -> {
                    return new Chased(0, new byte[0], hops);
                }
                case CONTINUE -> node = r.address(); // a node visits its first node (hops >= 1), so this progresses
            }
        }
    }

    private static void checkPointer(long node, long hops) {
        if (node < 0) {
            throw new RememException(ErrorCode.OUT_OF_BOUNDS, "chase reached 0x" + Long.toHexString(node) + " after "
                    + hops + " nodes, which is not a far address");
        }
        if (hops >= MAX_CHASE_HOPS) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "chase gave up after " + hops
                    + " nodes without reaching the key or the end: is the structure cyclic?");
        }
    }

    // ============================================================================== hash-map get

    /**
     * A get on the {@link io.remem.protocol.MapLayout} region that starts {@code region}, run at its memory node:
     * exactly one round trip, or more if it fails over to another replica. Null if no replica could run it (a slab
     * with a single readable copy, whose node failed): the caller then probes through the cache instead. It reads what the memory node holds, so {@link FarSegment#force()} the region first if
     * it may have dirty lines in the cache ({@code FarMap} tracks that per shard). An ELSEWHERE answer names an
     * out-of-line entry whose tag matched, for the caller to read through the cache (address 0: the node gave up
     * comparing keys, and the caller should probe through the cache).
     */
    public MapGetResult mapGet(FarSegment region, int capacity, long hash, byte[] key) {
        Objects.requireNonNull(key, "key");
        if (capacity <= 0 || capacity > MapLayout.MAX_CAPACITY || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity: " + capacity + " is not a power of two up to "
                    + MapLayout.MAX_CAPACITY);
        }
        if (key.length > MapLayout.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key: " + key.length + " bytes exceeds the "
                    + MapLayout.MAX_KEY_BYTES + " a near get carries; such keys are never inline");
        }
        long addr = region.addressOf(0, (long) capacity * MapLayout.SLOT_BYTES);
        ByteBuf body = Unpooled.buffer(MapGetRequest.HEADER_BYTES + key.length);
        new MapGetRequest(hash, capacity, table.slabShift()).encode(body, key, 0, key.length);
        return reads.callOrElse(addr, "map get", (link, e, within) -> link.call(Opcode.OFFLOAD_MAP_GET, e.slabId(),
                table.offset(addr), key.length, body.nioBuffer(), null, (h, b) -> MapGetResult.decode(b), within),
                () -> null);
    }
}
