package io.remem.memnode;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The background check of a node's data at rest, one thread per node with a data directory. Every second it seals the
 * chunks that no write has touched for a second ({@link ChunkSums}), and verifies sealed chunks at a bounded rate,
 * going round all slabs in order of id; a chunk that fails quarantines its slab ({@link SlabStore#quarantine}).
 *
 * <p>Time comes from an injected ticker, so a test can make a second pass without waiting for it, and drive
 * {@link #tick} itself.
 */
final class Scrubber implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Scrubber.class);
    /** How long a chunk must go unwritten before it is sealed: sealing a chunk still being written is wasted work. */
    static final long QUIET_MILLIS = 1000;
    static final long PERIOD_MILLIS = 1000;

    private final SlabStore store;
    private final long bytesPerSecond;
    private final LongSupplier nanoTime;
    private final long startNanos;
    private final ChunkSums.Summer summer = new ChunkSums.Summer();
    private final Thread thread;
    private volatile boolean closed;
    // The rest is guarded by this: tick() runs on the scrubber's thread, or on a test's.
    private long lastTickNanos;
    /** Bytes that may be verified now: the rate accrues it, capped at a second's worth. */
    private double budget;
    /** Where verification goes on: the slab id, and the chunk in it. */
    private long cursorSlab;
    private int cursorChunk;

    /**
     * @param bytesPerSecond how much sealed data to verify per second; 0 verifies nothing (chunks are still sealed,
     *                       and verified when the node restarts)
     * @param nanoTime       the ticker, {@code System::nanoTime} but in tests
     */
    Scrubber(SlabStore store, long bytesPerSecond, LongSupplier nanoTime) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("scrub rate must not be negative: " + bytesPerSecond);
        }
        this.store = store;
        this.bytesPerSecond = bytesPerSecond;
        this.nanoTime = nanoTime;
        this.startNanos = nanoTime.getAsLong();
        this.lastTickNanos = startNanos;
        this.thread = Thread.ofPlatform().daemon().name("remem-scrubber").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(PERIOD_MILLIS);
                tick();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("scrubber pass failed; the next one tries again", e);
            }
        }
    }

    /** One pass: seals what has been quiet long enough, then verifies what the rate allows. */
    synchronized void tick() {
        long now = nanoTime.getAsLong();
        List<Slab> slabs = store.slabsById();
        long nowMillis = (now - startNanos) / 1_000_000;
        for (Slab slab : slabs) {
            sealQuiet(slab, nowMillis);
        }
        if (bytesPerSecond > 0) {
            double cap = Math.max(bytesPerSecond, Slab.CHUNK_SIZE);
            budget = Math.min(cap, budget + bytesPerSecond * ((now - lastTickNanos) / 1e9));
            verify(slabs);
        }
        lastTickNanos = now;
    }

    private void sealQuiet(Slab slab, long nowMillis) {
        ChunkSums sums = slab.sums();
        if (sums == null || slab.state() == Slab.State.QUARANTINED || !sums.takeUnsealedWork()) {
            return;
        }
        boolean left = false;
        try {
            for (int c = 0; c < slab.chunkCount(); c++) {
                MemorySegment data = slab.backedChunkOrNull(c);
                if (data != null && !sums.sealIfQuiet(c, data, nowMillis, QUIET_MILLIS, summer)) {
                    left = true;
                }
            }
        } catch (IllegalStateException deleted) {
            return; // its memory is gone, and so is the work
        }
        if (left) {
            sums.keepUnsealedWork();
        }
    }

    /** Verifies sealed chunks from the cursor on, while the budget lasts, going round at most once. */
    private void verify(List<Slab> slabs) {
        int at = 0;
        while (at < slabs.size() && slabs.get(at).id() < cursorSlab) {
            at++;
        }
        if (at < slabs.size() && slabs.get(at).id() != cursorSlab) {
            cursorChunk = 0; // the slab the cursor was in is gone: start the next one from its beginning
        }
        for (int visited = 0; visited <= slabs.size() && budget >= Slab.CHUNK_SIZE; visited++) {
            if (at >= slabs.size()) {
                at = 0;
                cursorChunk = 0;
            }
            if (slabs.isEmpty()) {
                return;
            }
            Slab slab = slabs.get(at);
            cursorSlab = slab.id();
            if (verifySlab(slab)) {
                at++;
                cursorChunk = 0;
            }
        }
    }

    /** Verifies {@code slab} from the cursor on; true if it got to the end (or gave up on the slab). */
    private boolean verifySlab(Slab slab) {
        ChunkSums sums = slab.sums();
        Slab.State state = slab.state();
        if (sums == null || (state != Slab.State.READY && state != Slab.State.RECOVERED)) {
            return true; // a copy still arriving is checked once complete; a quarantined one needs no more
        }
        try {
            for (; cursorChunk < slab.chunkCount(); cursorChunk++) {
                if (budget < Slab.CHUNK_SIZE) {
                    return false;
                }
                MemorySegment data = slab.backedChunkOrNull(cursorChunk);
                if (data == null) {
                    continue;
                }
                ChunkSums.Check check = sums.verify(cursorChunk, data, summer);
                if (check == ChunkSums.Check.GOOD || check == ChunkSums.Check.MISMATCH) {
                    budget -= Slab.CHUNK_SIZE;
                }
                String bad = SlabCheck.describe(cursorChunk, check);
                if (bad != null) {
                    store.quarantine(slab, bad);
                    return true;
                }
            }
        } catch (IllegalStateException deleted) {
            return true;
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
