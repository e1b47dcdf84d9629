package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.Wire;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.IntConsumer;

/**
 * One round of write-back: the dirty lines of some frames, packed into a {@link FarBackend.WriteBatch}, and the
 * frames they came from, which stay pinned until the memory nodes acknowledge. On success the frames are clean
 * (unless written again meanwhile); on failure their lines are marked dirty again, so nothing is lost.
 */
final class WriteBack {
    /** Payload bytes after which a round is sent rather than grown. */
    static final long MAX_BYTES = 4 << 20;
    /** Runs per node after which a round is sent: the wire limit, less one 64 KiB block's worth of runs. */
    static final int MAX_RUNS = Wire.MAX_WRITE_RUNS - 1024;

    private final WriteBackEngine engine;
    private final FarBackend.WriteBatch batch;
    /** Told of each frame once its lines are written, or null. */
    private final IntConsumer whenWritten;
    private final CompletableFuture<RememException> done = new CompletableFuture<>();
    private int[] frames = new int[16];
    private long[] incarnations = new long[16];
    private long[][] bits = new long[16][];
    private int count;
    private boolean sent;

    /** @param whenWritten told of each frame once its lines are acknowledged (an evictor's round evicts it), or null */
    WriteBack(WriteBackEngine engine, IntConsumer whenWritten) {
        this.engine = engine;
        this.batch = engine.backend().newBatch();
        this.whenWritten = whenWritten;
    }

    FarBackend.WriteBatch batch() {
        return batch;
    }

    /** Records a frame whose lines were added to the batch; it is pinned until this round completes. */
    void track(int frame, long incarnation, long[] lineBits) {
        if (count == 0) {
            engine.register(this); // from now on a flush must wait for this round
        }
        if (count == frames.length) {
            frames = Arrays.copyOf(frames, count * 2);
            incarnations = Arrays.copyOf(incarnations, count * 2);
            bits = Arrays.copyOf(bits, count * 2);
        }
        frames[count] = frame;
        incarnations[count] = incarnation;
        bits[count] = lineBits;
        count++;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /**
     * Whether to send the round now: by bytes, or by runs before any one node's scatter write could exceed the
     * protocol's limit (one more frame adds at most half a block's lines as runs).
     */
    boolean isFull() {
        return batch.bytes() >= MAX_BYTES || batch.maxRunsPerNode() >= MAX_RUNS;
    }

    /**
     * Sends the round, once; later calls only return the same future. The future yields null on success or the
     * failure; it never fails itself.
     */
    CompletableFuture<RememException> send() {
        if (sent) {
            return done;
        }
        sent = true;
        if (count == 0) {
            done.complete(null);
            return done;
        }
        CompletableFuture<Void> sent;
        try {
            sent = batch.send();
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        for (int i = 0; i < count; i++) {
            engine.sent(frames[i], incarnations[i]);
        }
        sent.whenComplete((v, err) -> finish(err));
        return done;
    }

    CompletableFuture<RememException> done() {
        return done;
    }

    /**
     * Sends the round with a fetch of {@code dst.byteSize()} bytes at {@code farAddress} into {@code dst}, in one
     * request when the backend can (same memory node), and returns when the fetch is done. A failed fetch throws; the
     * round's own outcome arrives through {@link #done()} as usual.
     */
    void sendWithFetch(long farAddress, MemorySegment dst) {
        if (sent || count == 0) {
            send();
            engine.backend().fetch(farAddress, dst);
            return;
        }
        sent = true;
        CompletableFuture<Void> written = new CompletableFuture<>();
        try {
            if (engine.backend().fetchWithWriteBack(farAddress, dst, batch, written)) {
                engine.metrics().piggybacks.increment();
            }
        } finally {
            for (int i = 0; i < count; i++) {
                engine.sent(frames[i], incarnations[i]);
            }
            written.whenComplete((v, err) -> finish(err)); // the backend completes it on every path
        }
    }

    private void finish(Throwable err) {
        boolean ok = err == null;
        try {
            for (int i = 0; i < count; i++) {
                engine.writeBackDone(frames[i], incarnations[i], bits[i], ok);
            }
            if (ok) {
                engine.metrics().bytesWrittenBack.add(batch.bytes());
                engine.metrics().writeBacks.increment();
                if (whenWritten != null) {
                    for (int i = 0; i < count; i++) {
                        whenWritten.accept(frames[i]);
                    }
                }
            } else {
                engine.metrics().writeBackFailures.increment();
            }
        } finally {
            engine.deregister(this);
            done.complete(ok ? null : asRememException(err));
        }
    }

    /** The failure a future completed with, unwrapped and typed. */
    static RememException asRememException(Throwable err) {
        Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        return t instanceof RememException re ? re : new RememException(ErrorCode.INTERNAL, String.valueOf(t), t);
    }
}
