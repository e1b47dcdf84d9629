package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * One request on a {@link DirectLink} and its answer: where the response's bytes go, who waits for it (a thread or a
 * future), and its deadline. Completed exactly once, by the leader that read its response or by the link's failure.
 */
final class LinkCall<T> {
    private static final VarHandle DONE;

    static {
        try {
            DONE = MethodHandles.lookup().findVarHandle(LinkCall.class, "done", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Opcode op;
    final MemorySegment[] dsts;
    final long dstBytes;
    final ResponseReader<T> reader;
    final Thread waiter;
    final CompletableFuture<T> future;
    final long deadline;
    final long created;
    long id; // set by send before the call is published
    volatile int done; // 0 pending, 1 being completed, 2 done: result and error are set before 2
    T result;
    RememException error;

    /** @param created when it was made, on the link's clock; {@code budget} nanoseconds later it is overdue */
    LinkCall(Opcode op, MemorySegment[] dsts, ResponseReader<T> reader, Thread waiter, CompletableFuture<T> future,
         long created, long budget) {
        this.op = op;
        this.created = created;
        this.deadline = created + budget;
        this.dsts = dsts;
        long bytes = 0;
        if (dsts != null) {
            for (MemorySegment d : dsts) {
                bytes += d.byteSize();
            }
        }
        this.dstBytes = bytes;
        this.reader = reader;
        this.waiter = waiter;
        this.future = future;
    }

    boolean isDone() {
        return done == 2;
    }

    /** How long the call was given, for messages. */
    long budget() {
        return deadline - created;
    }

    void complete(FrameHeader h, ByteBuf body) {
        T r;
        try {
            r = reader.read(h, body);
        } catch (RememException e) {
            fail(e);
            return;
        } catch (RuntimeException e) {
            fail(new RememException(ErrorCode.INTERNAL, String.valueOf(e), e));
            return;
        }
        succeed(r);
    }

    void succeed(T r) {
        if (DONE.compareAndSet(this, 0, 1)) {
            result = r;
            done = 2;
            if (future != null) {
                future.complete(r);
            } else {
                LockSupport.unpark(waiter);
            }
        }
    }

    void fail(RememException e) {
        if (DONE.compareAndSet(this, 0, 1)) {
            error = e;
            done = 2;
            if (future != null) {
                future.completeExceptionally(e);
            } else {
                LockSupport.unpark(waiter);
            }
        }
    }
}
