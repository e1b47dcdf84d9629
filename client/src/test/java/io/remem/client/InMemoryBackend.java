package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * A far memory in this process, for testing the cache without a network: {@code [0, size)} of far addresses
 * backed by one segment. Write-back batches complete on another thread, like real ones; failures can be
 * injected at a given rate.
 */
final class InMemoryBackend implements FarBackend, AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment far;
    private final BitSet written = new BitSet();
    private final int granule;
    private final ExecutorService completions = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "in-memory-backend");
        t.setDaemon(true);
        return t;
    });
    private final RandomGenerator random;
    private volatile double failureRate;
    private volatile long fetchDelayMillis;
    final AtomicLong fetches = new AtomicLong();
    /** Blocks fetched through {@link #fetchAsync}: prefetches and hints, not demand misses. */
    final AtomicLong asyncBlocks = new AtomicLong();
    final AtomicLong bytesWritten = new AtomicLong();
    final AtomicInteger failedBatches = new AtomicInteger();
    /** The most runs any one batch carried: all of a batch goes to this one "node", as one scatter write. */
    final AtomicInteger mostRunsInOneBatch = new AtomicInteger();

    private volatile boolean inlineFetches;

    InMemoryBackend(long size, int granule, RandomGenerator random) {
        this.far = arena.allocate(size, 4096);
        this.granule = granule;
        this.random = random;
    }

    void failBatches(double rate) {
        this.failureRate = rate;
    }

    /** Makes every fetch take this long, like a slow network, to widen races in ordering tests. */
    void delayFetches(long millis) {
        this.fetchDelayMillis = millis;
    }

    /** The far bytes as memory nodes would hold them: only what was written back. */
    byte[] snapshot(long addr, int length) {
        return far.asSlice(addr, length).toArray(ValueLayout.JAVA_BYTE);
    }

    @Override
    public synchronized boolean mayHoldData(long farAddress, int length) {
        if (farAddress + length > far.byteSize()) {
            return true; // outside: let the fetch fail, as a fetch from a missing slab would
        }
        int from = (int) (farAddress / granule);
        int to = (int) ((farAddress + length - 1) / granule);
        int next = written.nextSetBit(from);
        return next >= 0 && next <= to;
    }

    @Override
    public void fetch(long farAddress, MemorySegment dst) {
        fetches.incrementAndGet();
        long delay = fetchDelayMillis;
        if (delay > 0) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RememException(ErrorCode.INTERNAL, "interrupted");
            }
        }
        synchronized (this) {
            MemorySegment.copy(far, farAddress, dst, 0, dst.byteSize());
        }
    }

    @Override
    public List<CompletableFuture<Void>> fetchAsync(List<FetchRun> runs) {
        List<CompletableFuture<Void>> out = new ArrayList<>();
        for (FetchRun r : runs) {
            asyncBlocks.addAndGet(r.dsts().length);
            Runnable fetchRun = () -> {
                long at = r.farAddress();
                for (MemorySegment d : r.dsts()) {
                    fetch(at, d);
                    at += d.byteSize();
                }
            };
            out.add(inlineFetches ? CompletableFuture.runAsync(fetchRun, Runnable::run)
                    : CompletableFuture.runAsync(fetchRun, completions));
        }
        return out;
    }

    /**
     * Asynchronous fetches complete before {@code fetchAsync} returns: for tests of what is prefetched, which must
     * not depend on whether a scan outruns the fetches on a loaded machine.
     */
    InMemoryBackend inlineFetches() {
        inlineFetches = true;
        return this;
    }

    @Override
    public boolean sameSlab(long a, long b) {
        return true;
    }

    @Override
    public boolean holds(long farAddress) {
        return farAddress >= 0 && farAddress < far.byteSize();
    }

    @Override
    public WriteBatch newBatch() {
        return new WriteBatch() {
            private final List<long[]> runs = new ArrayList<>(); // {far address, index in data, length}
            private final List<byte[]> data = new ArrayList<>();
            private long bytes;

            @Override
            public void add(long farAddress, MemorySegment src, long srcOffset, int length) {
                byte[] copy = src.asSlice(srcOffset, length).toArray(ValueLayout.JAVA_BYTE);
                runs.add(new long[] {farAddress, data.size(), length});
                data.add(copy);
                bytes += length;
                synchronized (InMemoryBackend.this) {
                    written.set((int) (farAddress / granule), (int) ((farAddress + length - 1) / granule) + 1);
                }
            }

            @Override
            public long bytes() {
                return bytes;
            }

            @Override
            public int maxRunsPerNode() {
                return runs.size();
            }

            @Override
            public CompletableFuture<Void> send() {
                mostRunsInOneBatch.accumulateAndGet(runs.size(), Math::max);
                boolean fail;
                synchronized (random) {
                    fail = random.nextDouble() < failureRate;
                }
                return CompletableFuture.runAsync(() -> {
                    if (fail) {
                        failedBatches.incrementAndGet();
                        throw new RememException(ErrorCode.NODE_UNAVAILABLE, "injected write-back failure");
                    }
                    synchronized (InMemoryBackend.this) {
                        for (long[] run : runs) {
                            MemorySegment.copy(MemorySegment.ofArray(data.get((int) run[1])), 0, far, run[0], run[2]);
                        }
                    }
                    bytesWritten.addAndGet(bytes);
                }, completions);
            }
        };
    }

    @Override
    public void close() {
        completions.shutdownNow();
        arena.close();
    }
}
