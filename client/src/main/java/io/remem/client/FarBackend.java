package io.remem.client;

import java.lang.foreign.MemorySegment;
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
