package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.AggregateRequest;
import io.remem.protocol.Aggregator;
import io.remem.protocol.AggregateResult;
import io.remem.protocol.ChaseRequest;
import io.remem.protocol.ChaseResult;
import io.remem.protocol.ElementType;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.MapGetRequest;
import io.remem.protocol.MapGetResult;
import io.remem.protocol.MapLayout;
import io.remem.protocol.RememException;
import io.remem.protocol.Wire;
import io.remem.transport.Peer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The operations a memory node runs on a tenant's data for it (Clio's extend path, AIFM's remote agent): a
 * scan-filter-aggregate, a pointer chase and a hash-map get. They exist to save round trips. Each is built in;
 * a client only names one and its parameters, never ships code. Every request is bounded (elements, hops,
 * probes), so like the rest of the data path they run on the connection's I/O thread, and every address they
 * follow is checked against the tenant's slabs on this node before it is read.
 */
final class Offloads {
    private static final ValueLayout.OfLong LE_LONG =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final SlabStore store;

    Offloads(SlabStore store) {
        this.store = store;
    }

    // ============================================================================== scan-filter-aggregate

    void aggregate(Peer peer, FrameHeader h, ByteBuf body, ClientSession session) {
        AggregateRequest r = AggregateRequest.decode(body);
        int count = h.length();
        if (count < 0 || count > AggregateRequest.MAX_ELEMENTS) {
            throw new RememException(ErrorCode.TOO_LARGE, "aggregate over " + count + " elements: the limit is "
                    + AggregateRequest.MAX_ELEMENTS + " per request");
        }
        if ((h.offset() & 7) != 0) {
            throw new RememException(ErrorCode.MISALIGNED, "aggregate at offset " + h.offset()
                    + ": elements must be 8-byte aligned");
        }
        Slab slab = store.access(h.slabId(), session);
        Aggregator aggregator = new Aggregator(r, count);
        slab.scan(h.offset(), (long) count * ElementType.BYTES, new Scan(aggregator));
        if (r.select()) {
            int[] positions = aggregator.positions();
            int n = positions.length;
            ByteBuffer packed = ByteBuffer.allocate(4 * n);
            packed.asIntBuffer().put(positions); // one bulk copy instead of a bounds-checked write per match
            peer.reply(h, h.slabId(), h.offset(), n, 4 + 4 * n, out -> out.writeInt(n).writeBytes(packed));
        } else {
            AggregateResult result = aggregator.result();
            peer.reply(h, h.slabId(), h.offset(), count, result.encodedSize(), result::encode);
        }
    }

    /** Feeds one request's elements, a chunk at a time, to the aggregator that defines the result. */
    private record Scan(Aggregator aggregator) implements Slab.PieceVisitor {
        @Override
        public void visit(MemorySegment data, long offset, long length) {
            int n = (int) (length / ElementType.BYTES);
            if (data == null) {
                aggregator.zeros(n);
                return;
            }
            for (int i = 0; i < n; i++) {
                aggregator.accept(data.get(LE_LONG, (long) i * ElementType.BYTES));
            }
        }
    }

    // ============================================================================== pointer chase

    void chase(Peer peer, FrameHeader h, ByteBuf body, ClientSession session) {
        ChaseRequest r = ChaseRequest.decode(body);
        int maxHops = h.length();
        if (maxHops <= 0 || maxHops > ChaseRequest.MAX_HOPS) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "chase of " + maxHops + " hops: must be 1.."
                    + ChaseRequest.MAX_HOPS);
        }
        long offsetMask = (1L << r.slabShift()) - 1;
        if ((h.offset() & ~offsetMask) != 0 || (h.slabId() >>> (63 - r.slabShift())) != 0) {
            throw RememException.malformed("chase start (" + h.slabId() + ", " + h.offset() + ") is not a far address");
        }
        store.access(h.slabId(), session); // the first node must be here: a client sends it where it lives
        long address = h.slabId() << r.slabShift() | h.offset();
        int hops = 0;
        ChaseResult result = null;
        while (result == null) {
            if (address == 0) {
                result = new ChaseResult(ChaseResult.Outcome.ABSENT, hops, 0, new byte[0]);
                break;
            }
            if (address < 0) {
                throw new RememException(ErrorCode.OUT_OF_BOUNDS, "chase reached 0x" + Long.toHexString(address)
                        + " after " + hops + " hops, which is not a far address");
            }
            Slab slab = hops == maxHops ? null : store.find(address >>> r.slabShift(), session);
            if (slab == null) {
                result = new ChaseResult(ChaseResult.Outcome.CONTINUE, hops, address, new byte[0]);
                break;
            }
            long node = address & offsetMask;
            long key = slab.getLong(node + r.keyOffset());
            hops++;
            if (key == r.key()) {
                ByteBuf bytes = peer.alloc().heapBuffer(r.nodeBytes());
                try {
                    slab.read(node, r.nodeBytes(), bytes);
                    byte[] copy = new byte[r.nodeBytes()];
                    bytes.readBytes(copy);
                    result = new ChaseResult(ChaseResult.Outcome.FOUND, hops, address, copy);
                } finally {
                    bytes.release();
                }
            } else if (r.shape() == ChaseRequest.Shape.LIST || r.key() < key) {
                address = slab.getLong(node + r.nextOffset());
            } else {
                address = slab.getLong(node + r.rightOffset());
            }
        }
        ChaseResult done = result;
        peer.reply(h, h.slabId(), h.offset(), done.hops(), ChaseResult.HEADER_BYTES + done.node().length, done::encode);
    }

    // ============================================================================== hash-map get

    void mapGet(Peer peer, FrameHeader h, ByteBuf body, ClientSession session) {
        int keyLength = h.length();
        if (keyLength < 0 || keyLength > MapLayout.MAX_KEY_BYTES) {
            throw new RememException(ErrorCode.TOO_LARGE, "mapGet: a key of " + keyLength + " bytes: the limit is "
                    + MapLayout.MAX_KEY_BYTES);
        }
        MapGetRequest r = MapGetRequest.decode(body, keyLength);
        MemorySegment key = MemorySegment.ofBuffer(body.nioBuffer(body.readerIndex(), keyLength));
        Slab slab = store.access(h.slabId(), session);
        long region = h.offset();
        slab.checkRange(region, (long) r.capacity() * MapLayout.SLOT_BYTES);
        int tag = MapLayout.tag(r.hash());
        int mask = r.capacity() - 1;
        int home = MapLayout.homeSlot(r.hash(), r.capacity());
        long budget = MapLayout.MAX_COMPARED_BYTES;
        for (int probe = 0; probe < r.capacity(); probe++) {
            long slot = region + (long) ((home + probe) & mask) * MapLayout.SLOT_BYTES;
            long ref = slab.getLong(slot + MapLayout.SLOT_REF);
            if (ref == 0) {
                break;
            }
            if (slab.getInt(slot + MapLayout.SLOT_TAG) != tag) {
                continue;
            }
            if (ref < 0) {
                // Out of line: the client may hold newer bytes of it in its cache than this node, so it reads it.
                replyMap(peer, h, MapGetResult.Outcome.ELSEWHERE, ref & ~MapLayout.OUT_OF_LINE, null, 0, 0);
                return;
            }
            budget -= keyLength + MapLayout.ENTRY_HEADER_BYTES;
            if (budget < 0) { // a pathological table: let the client finish the probe through its cache
                replyMap(peer, h, MapGetResult.Outcome.ELSEWHERE, 0, null, 0, 0);
                return;
            }
            long entry = region + ref;
            if (keyMatches(slab, entry, key)) {
                replyValue(peer, h, slab, entry, h.slabId() << r.slabShift() | entry);
                return;
            }
        }
        replyMap(peer, h, MapGetResult.Outcome.ABSENT, 0, null, 0, 0);
    }

    private static boolean keyMatches(Slab slab, long entry, MemorySegment key) {
        int keyBytes = slab.getInt(entry + MapLayout.ENTRY_KEY_BYTES);
        return keyBytes == key.byteSize() && contentEquals(slab, entry + MapLayout.ENTRY_HEADER_BYTES, key);
    }

    /** Whether the {@code expected.byteSize()} bytes at {@code offset} of {@code slab} equal {@code expected}. */
    private static boolean contentEquals(Slab slab, long offset, MemorySegment expected) {
        long length = expected.byteSize();
        slab.checkRange(offset, length);
        boolean[] equal = {true};
        slab.scan(offset, length, (data, at, n) -> {
            if (equal[0]) {
                MemorySegment want = expected.asSlice(at - offset, n);
                equal[0] = data == null ? want.elements(ValueLayout.JAVA_BYTE).allMatch(b -> b.get(ValueLayout.JAVA_BYTE, 0) == 0)
                        : data.mismatch(want) < 0;
            }
        });
        return equal[0];
    }

    private static void replyValue(Peer peer, FrameHeader h, Slab slab, long entry, long far) {
        int keyBytes = slab.getInt(entry + MapLayout.ENTRY_KEY_BYTES);
        int valueBytes = slab.getInt(entry + MapLayout.ENTRY_VALUE_BYTES);
        if (valueBytes < 0 || valueBytes > Wire.MAX_BODY_BYTES - MapGetResult.HEADER_BYTES) {
            replyMap(peer, h, MapGetResult.Outcome.ELSEWHERE, far, null, 0, 0);
            return;
        }
        long valueAt = entry + MapLayout.ENTRY_HEADER_BYTES + keyBytes;
        slab.checkRange(valueAt, valueBytes);
        replyMap(peer, h, MapGetResult.Outcome.FOUND, far, slab, valueAt, valueBytes);
    }

    private static void replyMap(Peer peer, FrameHeader h, MapGetResult.Outcome outcome, long address, Slab slab,
                                 long valueAt, int valueBytes) {
        peer.reply(h, h.slabId(), h.offset(), valueBytes, MapGetResult.HEADER_BYTES + valueBytes, out -> {
            out.writeByte(outcome.ordinal());
            out.writeLong(address);
            out.writeInt(valueBytes);
            if (slab != null) {
                slab.read(valueAt, valueBytes, out);
            }
        });
    }

}
