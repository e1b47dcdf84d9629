package io.remem.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.WriteRunReader;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * One round of write-back sent to every replica of every slab it touches, in parallel, and acknowledged only when
 * all of them have applied it (LegoOS's replicated write-back).
 *
 * <p>A round that fails is not resent here. Resending its bytes could land them after a newer round for the same
 * lines, sent meanwhile on a new connection. Instead, a failure that failover can cure (a dead node, a replica set
 * that changed) first looks the round's slabs up again and, after {@code STALE_MAP}, declares their new epochs. Only
 * then does the round fail. The cache marks its lines dirty again and writes their current bytes in a later round,
 * which goes to the replicas the fresh slab map names. That is idempotent whatever the nodes applied before.
 */
final class ReplicatedWrite {
    private final NodeLinks links;
    private final Failover failover;
    private final LongSupplier opIds;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicInteger outstanding = new AtomicInteger();

    /**
     * The runs bound for one memory node, with room up front for the u32 run count a WRITEV_READ carries. With
     * checksums, each run carries the CRC32C of its bytes, computed once for all the replicas it goes to.
     */
    static final class Part {
        final Replica node;
        final ByteBuf body = PooledByteBufAllocator.DEFAULT.directBuffer(64 << 10).writeInt(0);
        final Set<Long> slabs = new HashSet<>();
        private final boolean checksums;
        private long lastSlab = -1;
        int count;

        Part(Replica node, boolean checksums) {
            this.node = node;
            this.checksums = checksums;
        }

        /** Adds a run; {@code crc} is the CRC32C of its bytes, ignored unless the part carries checksums. */
        void add(long slabId, long offset, MemorySegment src, long srcOffset, int length, int crc) {
            if (checksums) {
                WriteRunReader.writeRunHeader(body, slabId, offset, length, crc);
            } else {
                WriteRunReader.writeRunHeader(body, slabId, offset, length);
            }
            body.writeBytes(src.asSlice(srcOffset, length).asByteBuffer());
            count++;
            if (slabId != lastSlab) {
                slabs.add(slabId);
                lastSlab = slabId;
            }
        }

        ByteBuffer runsOnly() {
            return body.nioBuffer(4, body.readableBytes() - 4);
        }

        void release() {
            if (body.refCnt() > 0) {
                body.release();
            }
        }
    }

    ReplicatedWrite(NodeLinks links, Failover failover, LongSupplier opIds) {
        this.links = links;
        this.failover = failover;
        this.opIds = opIds;
    }

    /** Sends every part; the future completes when all replicas applied everything, or fails. */
    CompletableFuture<Void> send(Collection<Part> parts) {
        if (parts.isEmpty()) {
            done.complete(null);
            return done;
        }
        outstanding.set(parts.size());
        for (Part p : parts) {
            send(p);
        }
        return done;
    }

    private void send(Part p) {
        CompletableFuture<Void> sent;
        try {
            sent = links.link(p.node).callAsync(Opcode.WRITEV, 0, 0, opIds.getAsLong(), p.count, p.runsOnly(),
                    (h, body) -> {
                        if (h.length() != p.count) {
                            throw new RememException(ErrorCode.INTERNAL, "memory node applied " + h.length()
                                    + " of " + p.count + " runs");
                        }
                        return null;
                    });
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((v, err) -> {
            p.release();
            if (err == null) {
                if (outstanding.decrementAndGet() == 0) {
                    done.complete(null);
                }
                return;
            }
            RememException e = WriteBack.asRememException(err);
            if (!Failover.retryable(e)) {
                done.completeExceptionally(e);
            } else {
                // Off the I/O thread: looking slabs up waits for the controller.
                Thread.ofVirtual().name("remem-write-failover").start(() -> prepareRetry(p, e));
            }
        });
    }

    /** Makes the next round go where the slabs live now, then fails this one so the cache sends that round. */
    private void prepareRetry(Part p, RememException cause) {
        try {
            failover.failed(p.node, cause);
            for (long slab : p.slabs) {
                SlabEntry e = failover.refresh(slab);
                if (e != null && cause.code() == ErrorCode.STALE_MAP) {
                    for (Replica r : e.descriptor().replicas()) {
                        failover.declare(r, e.descriptor());
                    }
                }
            }
        } catch (RememException e) {
            // the next round fails the same way and comes back here
        } finally {
            done.completeExceptionally(cause);
        }
    }
}
