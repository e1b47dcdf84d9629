package io.remem.client;

import io.remem.protocol.Opcode;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the local cache gets blocks from and writes dirty lines to. The real one talks to memory nodes;
 * tests plug in an in-process one.
 */
interface FarBackend {
    /**
     * Whether {@code [farAddress, +length)} may hold data on a memory node. If not, the cache zero-fills the
     * block locally instead of fetching it (LegoOS's p-local lines).
     */
    boolean mayHoldData(long farAddress, int length);

    /** Reads {@code dst.byteSize()} bytes at {@code farAddress} into {@code dst}, blocking the calling thread. */
    void fetch(long farAddress, MemorySegment dst);

    /** One contiguous read for a prefetch: the bytes at {@code farAddress}, into {@code dsts} one after the other. */
    record FetchRun(long farAddress, MemorySegment[] dsts) {}

    /**
     * Starts the reads without waiting, sent together (one write per memory node); for prefetches, which must not
     * delay demand fetches. Each run lies in one slab ({@link #sameSlab}). Returns one future per run, in order.
     */
    List<CompletableFuture<Void>> fetchAsync(List<FetchRun> runs);

    /** Whether two far addresses lie in the same slab, so one request can cover both. */
    boolean sameSlab(long a, long b);

    /** Whether {@code farAddress} lies in a slab this runtime holds (prefetches stop at the edge). */
    boolean holds(long farAddress);

    /**
     * Sends {@code batch} and fetches into {@code dst}, in one request if the backend can (LegoOS's piggybacked
     * flush and fetch), and returns when the fetch is done. {@code written} must be completed on every path, even
     * when this throws. Returns whether the two went as one request.
     */
    default boolean fetchWithWriteBack(long farAddress, MemorySegment dst, WriteBatch batch, CompletableFuture<Void> written) {
        try {
            batch.send().whenComplete((v, e) -> {
                if (e == null) {
                    written.complete(null);
                } else {
                    written.completeExceptionally(e);
                }
            });
        } catch (RuntimeException e) {
            written.completeExceptionally(e);
        }
        fetch(farAddress, dst);
        return false;
    }

    /**
     * Runs an 8-byte atomic ({@code FAA} with {@code a} the delta, or {@code CAS} with {@code a} expected and {@code b}
     * desired) at the memory node, exactly once, and returns the old value or the witness.
     */
    default long atomic(Opcode op, long farAddress, long a, long b) {
        throw new UnsupportedOperationException("this backend has no far atomics");
    }

    /** Starts collecting dirty lines for one round of write-back. */
    WriteBatch newBatch();

    /** Dirty lines bound for memory nodes, packed per node into scatter writes. */
    interface WriteBatch {
        /** Copies {@code length} bytes of {@code src} at {@code srcOffset}, to be written at {@code farAddress}. */
        void add(long farAddress, MemorySegment src, long srcOffset, int length);

        /** Payload bytes added so far. */
        long bytes();

        /** The most runs added for any one memory node; a scatter write holds at most {@code Wire.MAX_WRITE_RUNS}. */
        int maxRunsPerNode();

        /** Sends everything added; completes when every memory node has applied its part. */
        CompletableFuture<Void> send();
    }
}
