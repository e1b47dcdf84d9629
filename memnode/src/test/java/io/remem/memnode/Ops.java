package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.WriteRunReader;
import io.remem.testkit.Await;
import io.remem.transport.DirectLink;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Client requests as the tests send them over a {@link DirectLink}, each write and atomic under a fresh op id. */
final class Ops {
    static final Duration WAIT = Duration.ofSeconds(5);
    /** Unique across every test of the JVM, so no call is ever mistaken for a retry of another. */
    private static final AtomicLong OP_IDS = new AtomicLong(5_000_000);

    private Ops() {}

    static long nextOpId() {
        return OP_IDS.getAndIncrement();
    }

    /** One WRITEV run. */
    record Run(long slab, long offset, byte[] data) {}

    static ByteBuffer writevBody(Run... runs) {
        ByteBuf body = Unpooled.buffer();
        for (Run r : runs) {
            WriteRunReader.writeRunHeader(body, r.slab(), r.offset(), r.data().length);
            body.writeBytes(r.data());
        }
        return body.nioBuffer();
    }

    static int writev(DirectLink l, Run... runs) {
        return l.call(Opcode.WRITEV, 0, nextOpId(), runs.length, writevBody(runs), null, (h, b) -> h.length());
    }

    /** A WRITEV under operation id {@code opId}, with request {@code flags}; returns the runs acknowledged. */
    static int writev(DirectLink l, int flags, long opId, Run... runs) throws InterruptedException {
        return Await.result(l.callAsync(Opcode.WRITEV, flags, 0, opId, runs.length, writevBody(runs), (h, b) -> h.length()),
                WAIT);
    }

    static long faa(DirectLink l, long slab, long offset, long delta) {
        ByteBuffer body = ByteBuffer.allocate(16).putLong(nextOpId()).putLong(delta).flip();
        return l.call(Opcode.FAA, slab, offset, 8, body, null, (h, b) -> b.readLong());
    }

    static long faa(DirectLink l, int flags, long opId, long slab, long offset, long delta) throws InterruptedException {
        ByteBuffer body = ByteBuffer.allocate(16).putLong(opId).putLong(delta).flip();
        return Await.result(l.callAsync(Opcode.FAA, flags, slab, offset, 8, body, (h, b) -> b.readLong()), WAIT);
    }

    static long cas(DirectLink l, long slab, long offset, long expected, long desired) {
        ByteBuffer body = ByteBuffer.allocate(24).putLong(nextOpId()).putLong(expected).putLong(desired).flip();
        return l.call(Opcode.CAS, slab, offset, 8, body, null, (h, b) -> b.readLong());
    }

    static long cas(DirectLink l, int flags, long opId, long slab, long offset, long expected, long desired)
            throws InterruptedException {
        ByteBuffer body = ByteBuffer.allocate(24).putLong(opId).putLong(expected).putLong(desired).flip();
        return Await.result(l.callAsync(Opcode.CAS, flags, slab, offset, 8, body, (h, b) -> b.readLong()), WAIT);
    }

    /** SLAB_EPOCH: this session says it knows {@code epoch} of {@code slab}. */
    static void declareEpoch(DirectLink l, long slab, long epoch) {
        l.call(Opcode.SLAB_EPOCH, slab, epoch, 0, null, null, (h, b) -> null);
    }

    static byte[] read(DirectLink l, long slab, long offset, int length) {
        byte[] b = new byte[length];
        l.read(slab, offset, MemorySegment.ofArray(b));
        return b;
    }

    /** The whole slab, read in pieces of at most 1 MiB. */
    static byte[] readAll(DirectLink l, long slab, long size) {
        byte[] all = new byte[(int) size];
        for (long at = 0; at < size; at += 1 << 20) {
            int n = (int) Math.min(1 << 20, size - at);
            l.read(slab, at, MemorySegment.ofArray(all).asSlice(at, n));
        }
        return all;
    }

    /** The little-endian word at {@code offset}, as atomics see it, read with a plain READ. */
    static long word(DirectLink l, long slab, long offset) {
        return ByteBuffer.wrap(read(l, slab, offset, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 17 + i * 13 + (i >>> 7) + 1);
        }
        return b;
    }

    static RememException assertCode(ThrowingCallable call, ErrorCode code) {
        Throwable t = catchThrowable(call);
        if (t == null) {
            throw new AssertionError("expected RememException " + code + " but the call returned normally");
        }
        assertThat(t).as("expected RememException " + code).isInstanceOf(RememException.class);
        assertThat(((RememException) t).code()).as(String.valueOf(t.getMessage())).isEqualTo(code);
        return (RememException) t;
    }
}
