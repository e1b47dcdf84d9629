package io.remem.client;

import io.remem.transport.NanoClock;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The compute node's cache of far memory (docs/design.md, "The runtime and its local cache"): the hit path, bulk
 * access and the miss path over a {@link FrameTable} of frames, each holding one block. The rest of the cache sits
 * behind it, each part knowing the frame table and nothing of this class: the {@link Evictor} and its
 * {@link Reclaimer}, the {@link WriteBackEngine}, the {@link Prefetcher}, the {@link Pins} of pinned views, and the
 * {@link CacheMetrics}.
 *
 * <h2>Concurrency</h2>
 * Each frame's state is one word, laid out in {@link FrameState}.
 * <ul>
 *   <li>Reads are optimistic, as with {@link java.util.concurrent.locks.StampedLock#tryOptimisticRead}: read the
 *       state, read the data, fence, and check the incarnation did not change. No store, no atomic instruction.</li>
 *   <li>Writes take the LOCK bit with one CAS and release it with a plain release store. The LOCK keeps a writer's
 *       data and dirty bits together, so a write can never land in a frame after it was reused for another block,
 *       however long the writer is descheduled.</li>
 *   <li>Misses are handled by the faulting thread (LegoOS). Inserting into the block index and taking a free frame
 *       happen under one map lock; the fetch happens outside it, and threads missing on the same block wait for that
 *       one fetch.</li>
 *   <li>Eviction is done by the {@link Reclaimer}, off the critical path. Dirty frames are written back first, line
 *       by line, and stay cached (readable and writable) until the memory node acknowledges.</li>
 * </ul>
 */
final class LocalCache implements AutoCloseable, HitCalibration.HitPath {
    /**
     * A stamp is the frame number in the low 31 bits, {@link #HIT} in bit 31 and the frame's incarnation in the high
     * 32 bits; never -1.
     */
    static final long NO_STAMP = -1;
    /** In a read stamp: this access has been counted as a hit (so a retry that misses must take the hit back). */
    static final long HIT = 1L << 31;
    private static final long FRAME_BITS = HIT - 1;

    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(long[].class);

    final int blockShift;
    final int blockSize;
    final long blockMask;
    final int frameCount;
    final MemorySegment frames;
    // The hit path's own references to the table's arrays: one load fewer per access than through the table.
    private final long[] state;
    private final long[] tags;
    private final byte[] referenced;
    private final BlockIndex index;

    private final FrameTable table;
    private final FarBackend backend;
    private final CacheMetrics metrics = new CacheMetrics();
    private final AccessCounters counters = metrics.counters;
    private final NanoClock clock;
    final long fetchTimeoutNanos;
    private final WriteBackEngine writeBacks;
    private final Evictor evictor;
    private final Prefetcher prefetcher;
    private final Pins pins;
    private final Reclaimer reclaimer;
    private final boolean backgroundReclaim;
    /** Without a background reclaimer, misses keep this many frames free by evicting inline. */
    private final int inlineReserve;
    private final AsyncAccess async;

    LocalCache(CacheConfig config, FarBackend backend) {
        this(config, backend, NanoClock.SYSTEM);
    }

    LocalCache(CacheConfig config, FarBackend backend, NanoClock clock) {
        this.table = new FrameTable(config);
        this.blockSize = table.blockSize;
        this.blockShift = table.blockShift;
        this.blockMask = table.blockMask;
        this.frameCount = table.frameCount;
        this.frames = table.frames;
        this.state = table.state;
        this.tags = table.tags;
        this.referenced = table.referenced;
        this.index = table.index;
        this.backend = backend;
        this.clock = clock;
        this.fetchTimeoutNanos = config.stallTimeout().toNanos();
        this.backgroundReclaim = config.backgroundReclaim();
        this.inlineReserve = Math.max(1, Math.min(4, frameCount / 8));
        this.writeBacks = new WriteBackEngine(table, backend, metrics, clock, fetchTimeoutNanos);
        this.evictor = new Evictor(table, config.policy(), writeBacks, metrics, clock, fetchTimeoutNanos,
                config.lowWatermark());
        this.prefetcher = new Prefetcher(table, backend, evictor, metrics, this::framesTaken, config.prefetchWindow(),
                backgroundReclaim ? Math.max(1, config.lowWatermark() / 2) : inlineReserve);
        this.pins = new Pins(table, writeBacks, evictor, prefetcher, new Pins.Faults() {
            @Override
            public long stampFor(long block) {
                return faultForRead(block << blockShift, true, false);
            }

            @Override
            public void fetchInto(int f, long block) {
                LocalCache.this.fetchInto(f, block, null);
            }
        }, counters, clock, fetchTimeoutNanos, Math.max(inlineReserve, config.highWatermark()));
        this.reclaimer = new Reclaimer(table, evictor, new HitCalibration(table, this, clock)::measure, clock, config.lowWatermark(),
                config.highWatermark(), backgroundReclaim);
        this.async = new AsyncAccess(this);
        counters.ignore(reclaimer.thread());
        reclaimer.start();
    }

    // ====================================================================== hit path

    /** True if {@code size} bytes at {@code addr} spill into the next block; such accesses take the bulk path. */
    boolean crosses(long addr, int size) {
        return (addr & blockMask) + size > blockSize;
    }

    /** Offset in {@link #frames} of {@code addr}, inside the frame named by {@code stamp}. */
    @Override
    public long offsetIn(long stamp, long addr) {
        return ((stamp & FRAME_BITS) << blockShift) | (addr & blockMask);
    }

    /** The frame a stamp names. */
    static int frameOf(long stamp) {
        return (int) (stamp & FRAME_BITS);
    }

    /**
     * Starts an optimistic read of the block holding {@code addr}: returns a stamp for a frame that holds it,
     * faulting the block in if it is not cached. Read the data, then call {@link #endRead}.
     */
    long beginRead(long addr) {
        long stamp = tryBeginRead(addr);
        return stamp != NO_STAMP ? stamp : faultForRead(addr, false, false);
    }

    /** {@link #beginRead} without the miss path: {@link #NO_STAMP} if the block is not cached right now. */
    @Override
    public long tryBeginRead(long addr) {
        long block = addr >>> blockShift;
        int f = index.find(block);
        if (f >= 0) {
            long s = (long) STATE.getAcquire(state, f);
            if (FrameState.isValid(s) && tags[f] == block) {
                if (referenced[f] != FrameTable.REF_USED) {
                    touched(f, block);
                }
                table.recordUse(f);
                counters.add(AccessCounters.HITS, 1);
                return FrameState.incarnation(s) | HIT | f;
            }
        }
        return NO_STAMP;
    }

    /** Whether data read since {@link #beginRead} is good: the frame still holds the same block. */
    @Override
    public boolean endRead(long stamp) {
        VarHandle.loadLoadFence();
        long s = (long) STATE.getOpaque(state, frameOf(stamp));
        return FrameState.incarnation(s) == FrameState.incarnation(stamp);
    }

    /** After a failed {@link #endRead}: a new stamp for the same address. Rare: the block was evicted mid-read. */
    long retryRead(long addr, long failedStamp) {
        return faultForRead(addr, true, (failedStamp & HIT) != 0);
    }

    /**
     * Finds or faults in the block and returns a read stamp, counting the access once: a retry ({@code counted})
     * counts nothing more unless it turns an access counted as a hit into a miss.
     */
    private long faultForRead(long addr, boolean counted, boolean countedAsHit) {
        long block = addr >>> blockShift;
        boolean missed = false;
        while (true) {
            int f = index.find(block);
            if (f >= 0) {
                long s = (long) STATE.getAcquire(state, f);
                if (FrameState.isValid(s) && tags[f] == block) {
                    if (referenced[f] != FrameTable.REF_USED) {
                        touched(f, block);
                    }
                    long stamp = FrameState.incarnation(s) | f;
                    if (!counted) {
                        counters.add(missed ? AccessCounters.MISSES : AccessCounters.HITS, 1);
                        return missed ? stamp : stamp | HIT;
                    }
                    if (missed && countedAsHit) {
                        counters.add(AccessCounters.HITS, -1);
                        counters.add(AccessCounters.MISSES, 1);
                        return stamp;
                    }
                    return countedAsHit ? stamp | HIT : stamp;
                }
            }
            missed |= fault(block);
        }
    }

    /**
     * Locks the frame holding {@code addr} for writing, faulting the block in if needed, and returns its stamp.
     * Write the data, then call {@link #endWrite}.
     */
    long beginWrite(long addr) {
        long block = addr >>> blockShift;
        int f = index.find(block);
        if (f >= 0) {
            long s = (long) STATE.getVolatile(state, f);
            if ((s & (FrameState.LOCK | FrameState.PHASE_MASK)) == FrameState.VALID && tags[f] == block
                    && STATE.compareAndSet(state, f, s, s | FrameState.LOCK)) {
                return FrameState.incarnation(s) | f;
            }
        }
        return faultForWrite(block);
    }

    /** Marks the written lines dirty, counts the access (one counter lookup for both figures) and unlocks. */
    void endWrite(long stamp, long addr, long length) {
        int f = frameOf(stamp);
        table.markDirty(f, addr & blockMask, length);
        if (referenced[f] != FrameTable.REF_USED) {
            touched(f, addr >>> blockShift);
        }
        table.recordUse(f);
        counters.writeHit(length);
        long s = (long) STATE.get(state, f);
        STATE.setRelease(state, f, s & ~FrameState.LOCK);
    }

    private long faultForWrite(long block) {
        boolean missed = false;
        int spins = 0;
        while (true) {
            int f = index.find(block);
            if (f >= 0) {
                long s = (long) STATE.getVolatile(state, f);
                if (FrameState.isValid(s) && tags[f] == block) {
                    if (!FrameState.isLocked(s) && STATE.compareAndSet(state, f, s, s | FrameState.LOCK)) {
                        // The caller counts this access as a hit when it unlocks; a miss turns that into a miss.
                        if (missed) {
                            counters.add(AccessCounters.MISSES, 1);
                            counters.add(AccessCounters.HITS, -1);
                        }
                        return FrameState.incarnation(s) | f;
                    }
                    FrameTable.backOff(++spins); // another writer holds the frame for a few nanoseconds
                    continue;
                }
            }
            missed |= fault(block);
        }
    }

    /** Unlocks a frame whose write failed before touching memory (for example, a misaligned access). */
    void abortWrite(long stamp) {
        counters.add(AccessCounters.HITS, 1); // the access happened, even if it failed
        int f = frameOf(stamp);
        long s = (long) STATE.get(state, f);
        STATE.setRelease(state, f, s & ~FrameState.LOCK);
    }

    /** First use of a frame since the eviction hand passed: tell the prefetcher if the block was one of its. */
    private void touched(int f, long block) {
        if (table.markUsed(f)) {
            prefetcher.used(block);
        }
    }

    // ====================================================================== bulk access

    /** Copies {@code length} bytes at far address {@code addr} into {@code dst} at {@code dstOffset}. */
    void read(long addr, MemorySegment dst, long dstOffset, long length) {
        while (length > 0) {
            int n = (int) Math.min(length, blockSize - (addr & blockMask));
            long stamp = beginRead(addr);
            while (true) {
                MemorySegment.copy(frames, offsetIn(stamp, addr), dst, dstOffset, n);
                if (endRead(stamp)) {
                    break;
                }
                stamp = retryRead(addr, stamp);
            }
            addr += n;
            dstOffset += n;
            length -= n;
        }
    }

    /**
     * {@link #read}, but only if every block of the range is cached now: never faults, never blocks. Returns false,
     * having copied nothing that counts, if some block is missing.
     */
    boolean tryRead(long addr, MemorySegment dst, long dstOffset, long length) {
        if (!isLoaded(addr, length)) {
            return false;
        }
        read(addr, dst, dstOffset, length); // a block evicted since the check just faults back: rare and correct
        return true;
    }

    /** {@link #write}, but only if every block of the range is cached now. */
    boolean tryWrite(long addr, MemorySegment src, long srcOffset, long length) {
        if (!isLoaded(addr, length)) {
            return false;
        }
        write(addr, src, srcOffset, length);
        return true;
    }

    /** Copies {@code length} bytes of {@code src} at {@code srcOffset} to far address {@code addr}. */
    void write(long addr, MemorySegment src, long srcOffset, long length) {
        while (length > 0) {
            int n = (int) Math.min(length, blockSize - (addr & blockMask));
            long stamp = beginWrite(addr);
            try {
                MemorySegment.copy(src, srcOffset, frames, offsetIn(stamp, addr), n);
            } catch (Throwable e) {
                abortWrite(stamp); // never leave the frame locked, whatever went wrong
                throw e;
            }
            endWrite(stamp, addr, n);
            addr += n;
            srcOffset += n;
            length -= n;
        }
    }

    /** Sets {@code length} bytes at far address {@code addr} to {@code value}. */
    void fill(long addr, long length, byte value) {
        while (length > 0) {
            int n = (int) Math.min(length, blockSize - (addr & blockMask));
            long stamp = beginWrite(addr);
            try {
                frames.asSlice(offsetIn(stamp, addr), n).fill(value);
            } catch (Throwable e) {
                abortWrite(stamp);
                throw e;
            }
            endWrite(stamp, addr, n);
            addr += n;
            length -= n;
        }
    }

    // ====================================================================== miss path

    /**
     * Makes {@code block} resident, or waits for it to be. Returns true if this access missed (it fetched or
     * zero-filled the block, or waited for another thread's fetch), false if the block was already there.
     */
    private boolean fault(long block) {
        long start = clock.nanoTime();
        int f;
        long filling;
        ReentrantLock mapLock = table.mapLock;
        mapLock.lock();
        try {
            while (true) {
                table.ensureOpen();
                f = index.find(block);
                if (f >= 0) {
                    long s = table.stateOf(f);
                    if (FrameState.phase(s) == FrameState.FILLING) {
                        if (referenced[f] == FrameTable.REF_PREFETCHING) {
                            prefetcher.late(); // the prefetch was right, just not early enough
                        }
                        mapLock.unlock();
                        try {
                            table.awaitFill(f, s);
                        } finally {
                            mapLock.lock();
                        }
                        metrics.missNanos.add(clock.nanoTime() - start);
                        return true;
                    }
                    Thread.onSpinWait();
                    return false; // VALID (caller retries) or EVICTING (caller retries, then faults again)
                }
                if (table.freeCount() > 0) {
                    break;
                }
                if (backgroundReclaim) {
                    mapLock.unlock();
                    boolean evicted;
                    try {
                        evicted = evictor.evictClean(false);
                    } finally {
                        mapLock.lock();
                    }
                    if (!evicted) {
                        awaitFreeFrame(start);
                    }
                } else {
                    mapLock.unlock();
                    try {
                        evictor.reclaimInlineNow(start);
                    } finally {
                        mapLock.lock();
                    }
                }
            }
            f = table.claimFree(block);
            filling = table.stateOf(f);
        } finally {
            mapLock.unlock();
        }
        try {
            WriteBack victim = null;
            if (backgroundReclaim) {
                framesTaken();
            } else if (table.freeCount() < inlineReserve) {
                victim = evictor.evictInline(); // a clean victim is gone already; a dirty one travels with this fetch
            }
            fetchInto(f, block, victim);
        } catch (RuntimeException | Error e) {
            table.abortFill(f, block, filling);
            throw e;
        }
        table.publish(f, filling, FrameTable.REF_USED, 0);
        metrics.missNanos.add(clock.nanoTime() - start);
        prefetcher.missed(block);
        return true;
    }

    /**
     * Fetches {@code block} into frame {@code f}, or zero-fills it if it was never written. A dirty {@code victim}
     * round goes back in the same request when it is bound for the same memory node (LegoOS's piggyback).
     */
    private void fetchInto(int f, long block, WriteBack victim) {
        long far = block << blockShift;
        MemorySegment dst = table.frame(f);
        if (backend.mayHoldData(far, blockSize)) {
            if (victim != null && !victim.isEmpty()) {
                victim.sendWithFetch(far, dst);
            } else {
                backend.fetch(far, dst);
            }
            metrics.bytesFetched.add(blockSize);
        } else {
            dst.fill((byte) 0);
            metrics.zeroFills.increment();
        }
        if (victim != null) {
            victim.send(); // no-op if it went with the fetch
        }
    }

    /** Called with the map lock held when no frame is free: the reclaimer is behind (an eviction stall). */
    private void awaitFreeFrame(long since) {
        metrics.stalls.increment();
        long t0 = clock.nanoTime();
        reclaimer.wake();
        try {
            table.frameFreed.await(10, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while waiting for a free cache frame", e);
        } finally {
            metrics.stallNanos.add(clock.nanoTime() - t0);
        }
        if (clock.nanoTime() - since > fetchTimeoutNanos) {
            throw new RememException(ErrorCode.TIMEOUT, "no cache frame became free in "
                    + TimeUnit.NANOSECONDS.toMillis(fetchTimeoutNanos) + " ms (" + writeBacks.census()
                    + "): write-back is failing, or every frame is pinned");
        }
    }

    /** A prefetch or a miss took a free frame: with a reclaimer, wake it if the reserve runs low. */
    private void framesTaken() {
        if (backgroundReclaim && table.freeCount() < reclaimer.lowWatermark()) {
            reclaimer.wake();
        }
    }

    // ====================================================================== the rest of the cache, for its users

    /** See {@link WriteBackEngine#flush}. */
    void flush() {
        writeBacks.flush();
    }

    /** See {@link WriteBackEngine#force}. */
    void force(long first, long last) {
        writeBacks.force(first, last);
    }

    /** See {@link WriteBackEngine#mayHaveUnwritten}. */
    boolean mayHaveUnwritten(long first, long last) {
        return writeBacks.mayHaveUnwritten(first, last);
    }

    /** Evicts the blocks of a freed far range without writing them back: their data is garbage now. */
    void discard(long addr, long length) {
        long first = addr >>> blockShift;
        long last = (addr + length - 1) >>> blockShift;
        pins.checkNoView(first, last);
        evictor.discard(first, last);
    }

    /** See {@link Evictor#dropClean}. */
    void dropClean(long addr, long length) {
        evictor.dropClean(addr >>> blockShift, (addr + length - 1) >>> blockShift);
    }

    /** See {@link Pins#pinFrames}. */
    int pinFrames(long first, int count) {
        return pins.pinFrames(first, count);
    }

    void unpinFrames(int start, int count) {
        pins.unpinFrames(start, count);
    }

    void markWritten(int f, long offsetInFrame, long length) {
        pins.markWritten(f, offsetInFrame, length);
    }

    /** Hint: fetch blocks {@code first..last} now, without waiting (see {@link Prefetcher#hint}). */
    void prefetch(long first, long last) {
        prefetcher.hint(first, last);
    }

    /** Hint: fetch {@code blocks[0..count)}, ascending and distinct, now, in one go; returns how many started. */
    int prefetch(long[] blocks, int count) {
        return prefetcher.hint(blocks, count);
    }

    /** See {@link Prefetcher#followsTrends}. */
    boolean followsTrends() {
        return prefetcher.followsTrends();
    }

    /** See {@link AsyncAccess#read}. */
    CompletableFuture<Void> readAsync(long addr, MemorySegment dst, long dstOffset, long length) {
        return async.read(addr, dst, dstOffset, length);
    }

    /** See {@link AsyncAccess#write}. */
    CompletableFuture<Void> writeAsync(long addr, MemorySegment src, long srcOffset, long length) {
        return async.write(addr, src, srcOffset, length);
    }

    /** Waits for every asynchronous call the calling thread issued (see {@link AsyncAccess#release}). */
    void releaseAsync() {
        async.release();
    }

    /** A far atomic: it bypasses the cache, and goes to the memory nodes as it is. */
    long atomic(Opcode op, long farAddress, long a, long b) {
        return backend.atomic(op, farAddress, a, b);
    }

    /** The far memory behind this cache, for those that talk to memory nodes beside it (datasets' far atomics). */
    FarBackend backend() {
        return backend;
    }

    /** For tests that drive write-back and eviction directly. */
    WriteBackEngine writeBacks() {
        return writeBacks;
    }

    /** For tests that drive eviction directly. */
    Evictor evictor() {
        return evictor;
    }

    // ====================================================================== calibration, stats, lifecycle

    /** Whether every block of {@code [addr, +length)} is cached right now (a racy answer, for decisions only). */
    boolean isLoaded(long addr, long length) {
        for (long b = addr >>> blockShift, last = (addr + length - 1) >>> blockShift; b <= last; b++) {
            if (!table.isCached(b)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code block} is cached and usable right now. */
    boolean isCached(long block) {
        return table.isCached(block);
    }

    /** A one-line census of the frames, for error messages. */
    String describeFrames() {
        return writeBacks.census();
    }

    CacheStats stats() {
        return metrics.stats(reclaimer::hitNanos);
    }

    boolean isClosed() {
        return table.isClosed();
    }

    @Override
    public void close() {
        if (table.isClosed()) {
            return;
        }
        table.close();
        async.close();
        reclaimer.close();
        table.freeArena();
    }
}
