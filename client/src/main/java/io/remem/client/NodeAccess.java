package io.remem.client;

import io.remem.protocol.RememException;
import io.remem.transport.Peer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes straight at the memory nodes, past the local cache: for data whose freshness is decided elsewhere
 * (a coherent dataset's stripes are validated by their sequence words, not by the cache). A read goes to one replica
 * with the cache's failover; a write goes to every replica and returns when all of them applied it.
 */
final class NodeAccess {
    /** The most bytes one read or one write round carries; well under a frame. */
    private static final long CHUNK = 4L << 20;

    private final FarBackend backend;
    private final long slabBytes;
    private final long retryNanos;

    /** @param retryNanos how long a write keeps failing over before it gives up (the failover timeout) */
    NodeAccess(FarBackend backend, int slabShift, long retryNanos) {
        this.backend = backend;
        this.slabBytes = 1L << slabShift;
        this.retryNanos = retryNanos;
    }

    /** Reads {@code dst.byteSize()} bytes at {@code farAddress}, slab by slab. */
    void read(long farAddress, MemorySegment dst) {
        if (!dst.isNative() && !(dst.heapBase().orElse(null) instanceof byte[])) {
            // The network reads into byte buffers, which only native and byte[] segments have.
            MemorySegment bounce = buffer(dst.byteSize());
            read(farAddress, bounce);
            MemorySegment.copy(bounce, 0, dst, 0, dst.byteSize());
            return;
        }
        long done = 0;
        long length = dst.byteSize();
        while (done < length) {
            long n = piece(farAddress + done, length - done);
            backend.fetch(farAddress + done, dst.asSlice(done, n));
            done += n;
        }
    }

    /** Zeroed, 8-byte aligned memory the network can read into: native, freed by the garbage collector. */
    static MemorySegment buffer(long bytes) {
        return Arena.ofAuto().allocate(Math.max(bytes, 1), 8).asSlice(0, bytes);
    }

    /** Starts a set of writes sent together. */
    Writes writes() {
        return new Writes();
    }

    /** Bytes from {@code address} that stay within its slab and one chunk. */
    private long piece(long address, long remaining) {
        long toSlabEnd = slabBytes - (address & (slabBytes - 1));
        return Math.min(Math.min(remaining, toSlabEnd), CHUNK);
    }

    /**
     * Writes collected, then sent as rounds of scatter writes; the source segments must stay unchanged until sent. A
     * round that fails over (a replica died, the slab moved) is sent again whole, to the replicas the refreshed slab
     * map names: the same bytes to the same places, so sending twice is harmless, and the caller's locks keep any
     * other writer of them waiting meanwhile.
     */
    final class Writes {
        private final List<long[]> runs = new ArrayList<>();
        private final List<MemorySegment> sources = new ArrayList<>();
        private long bytes;

        Writes add(long farAddress, MemorySegment src) {
            long done = 0;
            long length = src.byteSize();
            while (done < length) {
                long n = piece(farAddress + done, length - done);
                if (bytes + n > CHUNK || runs.size() >= WriteBack.MAX_RUNS) {
                    send();
                }
                runs.add(new long[] {farAddress + done, done, n});
                sources.add(src);
                bytes += n;
                done += n;
            }
            return this;
        }

        /** Sends what was added and waits until every replica applied it. */
        void send() {
            if (runs.isEmpty()) {
                return;
            }
            long deadline = System.nanoTime() + retryNanos;
            for (int attempt = 0; ; attempt++) {
                FarBackend.WriteBatch b = backend.newBatch();
                for (int i = 0; i < runs.size(); i++) {
                    long[] r = runs.get(i);
                    b.add(r[0], sources.get(i), r[1], (int) r[2]);
                }
                try {
                    Peer.await(b.send());
                    break;
                } catch (RememException e) {
                    if (!Failover.retryable(e) || System.nanoTime() - deadline > 0) {
                        throw e;
                    }
                    Failover.backOff(attempt);
                }
            }
            runs.clear();
            sources.clear();
            bytes = 0;
        }
    }
}
