package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The compute node's cache of far memory (docs/design.md, "The runtime and its local cache"): a fixed off-heap arena of frames, each
 * holding one block, with per-frame metadata in primitive arrays.
 *
 * <h2>The state word</h2>
 * Each frame has one {@code long} of state:
 * <pre>
 *   bit  0       LOCK         a writer (or the write-back snapshot) has the frame exclusively
 *   bits 1-2     phase        FREE, FILLING, VALID or EVICTING
 *   bits 3-22    pins         write-backs in flight and pinned views; a pinned frame is never evicted
 *   bit  23      QUEUED       the frame's last dirty lines sit in a write-back round not yet handed to the network
 *   bits 32-63   incarnation  bumped each time the frame starts holding another block
 * </pre>
 *
 * <h2>Concurrency</h2>
 * <ul>
 *   <li>Reads are optimistic, as with {@link java.util.concurrent.locks.StampedLock#tryOptimisticRead}: read the
 *       state, read the data, fence, and check the incarnation did not change. No store, no atomic instruction.</li>
 *   <li>Writes take the LOCK bit with one CAS and release it with a plain release store. The LOCK keeps a writer's
 *       data and dirty bits together, so a write can never land in a frame after it was reused for another block,
 *       however long the writer is descheduled.</li>
 *   <li>Misses are handled by the faulting thread (LegoOS). Inserting into the block index and taking a free frame
 *       happen under one map lock; the fetch happens outside it, and threads missing on the same block wait for that
 *       one fetch.</li>
 *   <li>Eviction is done by the {@link Reclaimer}, off the critical path, with CLOCK. Dirty frames are written back
 *       first, line by line, and stay cached (readable and writable) until the memory node acknowledges.</li>
 *   <li>Two write-backs of the same line must reach the memory node in the order their data was copied, or an older
 *       copy could land last. So a frame whose lines wait in a round not yet sent (QUEUED) is not copied again until
 *       that round is on the wire; rounds to one node share one ordered connection.</li>
 * </ul>
 */
final class LocalCache implements AutoCloseable, Victims.Frames {
    static final long LOCK = 1L;
    static final long PHASE_MASK = 3L << 1;
    static final long FREE = 0;
    static final long FILLING = 1L << 1;
    static final long VALID = 2L << 1;
    static final long EVICTING = 3L << 1;
    static final long PIN = 1L << 3;
    static final long PIN_MASK = ((1L << 20) - 1) << 3;
    static final long QUEUED = 1L << 23;
    /** Any of these keeps a frame from being evicted. */
    private static final long BUSY = LOCK | PIN_MASK | QUEUED;
    static final long INCARNATION = 1L << 32;
    static final long INCARNATION_MASK = -INCARNATION;

    /**
     * A stamp is the frame number in the low 31 bits, {@link #HIT} in bit 31 and the frame's incarnation in the high
     * 32 bits; never -1.
     */
    static final long NO_STAMP = -1;
    /** In a read stamp: this access has been counted as a hit (so a retry that misses must take the hit back). */
    static final long HIT = 1L << 31;
    private static final long FRAME_BITS = HIT - 1;

    static final int LINE_SHIFT = 6;
    static final int LINE_SIZE = 1 << LINE_SHIFT;

    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle DIRTY = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle REFERENCED = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final int FILL_STRIPES = 64;

    final int blockShift;
    final int blockSize;
    final long blockMask;
    final int frameCount;
    final MemorySegment frames;

    private final int dirtyWords;
    private final Arena arena;
    private final long[] state;
    private final long[] tags;
    private final long[] dirty;
    /**
     * Per frame: {@link #REF_NONE} not used since the CLOCK hand passed, {@link #REF_USED} used,
     * {@link #REF_PREFETCHED} prefetched and not used yet, {@link #REF_PREFETCHED_SPARED} the same after one pass of
     * the hand, {@link #REF_PREFETCHING} prefetch in flight.
     */
    private final byte[] referenced;
    static final byte REF_NONE = 0;
    static final byte REF_USED = 1;
    static final byte REF_PREFETCHED = 2;
    static final byte REF_PREFETCHING = 3;
    static final byte REF_PREFETCHED_SPARED = 4;
    /** FIFO: fill order; LRU: last use. Null under CLOCK. */
    private final long[] stamps;
    private final boolean lru;
    private long useSequence; // racy by design: an approximate order is all LRU and FIFO need
    private final boolean lineDirty;
    private final BlockIndex index;
    private final ReentrantLock mapLock = new ReentrantLock();
    private final Condition frameFreed = mapLock.newCondition();
    private final int[] freeFrames;
    private int freeCount; // guarded by mapLock
    private final ReentrantLock[] fillLocks = new ReentrantLock[FILL_STRIPES];
    private final Condition[] fillDone = new Condition[FILL_STRIPES];

    final FarBackend backend;
    final AccessCounters counters = new AccessCounters();
    final LongAdder bytesFetched = new LongAdder();
    final LongAdder zeroFills = new LongAdder();
    final LongAdder missNanos = new LongAdder();
    final LongAdder bytesWrittenBack = new LongAdder();
    final LongAdder writeBacks = new LongAdder();
    final LongAdder writeBackFailures = new LongAdder();
    /** Frame-to-frame moves begun and ended: a flush rescans if one overlapped it ({@link #force}). */
    private final AtomicLong movesStarted = new AtomicLong();
    private final AtomicLong movesFinished = new AtomicLong();
    final LongAdder evictions = new LongAdder();
    final LongAdder stalls = new LongAdder();
    final LongAdder stallNanos = new LongAdder();
    /** Write-back rounds holding lines and not yet acknowledged, sent or not; pinned frames belong to them. */
    final Set<WriteBack> inFlight = ConcurrentHashMap.newKeySet();
    /**
     * Test seam: when set, runs just before a write-back round registers in {@link #inFlight}, so a test can hold a
     * round there and open the window a flush must not slip through. Null (nothing runs) outside tests.
     */
    volatile java.util.function.Consumer<WriteBack> beforeRoundRegisters;
    private static final int MAX_FLUSH_ROUNDS_IN_FLIGHT = 8;
    final LongAdder piggybacks = new LongAdder();
    final long fetchTimeoutNanos;
    private final Reclaimer reclaimer;
    private final boolean backgroundReclaim;
    /** Without a background reclaimer, misses keep this many frames free by evicting inline. */
    private final int inlineReserve;
    private final ReentrantLock victimLock = new ReentrantLock();
    final Victims victims;
    final Prefetcher prefetcher;
    final AsyncAccess async;
    private volatile boolean closed;

    LocalCache(CacheConfig config, FarBackend backend) {
        this.blockSize = config.blockSize();
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.blockMask = blockSize - 1;
        this.frameCount = config.frames();
        this.dirtyWords = Math.max(1, (blockSize >>> LINE_SHIFT) >>> 6);
        this.arena = Arena.ofShared();
        this.frames = arena.allocate((long) frameCount << blockShift, Math.min(blockSize, 4096));
        this.state = new long[frameCount];
        this.tags = new long[frameCount];
        this.dirty = new long[frameCount * dirtyWords];
        this.referenced = new byte[frameCount];
        this.stamps = config.policy() == EvictionPolicy.CLOCK ? null : new long[frameCount];
        this.lru = config.policy() == EvictionPolicy.LRU;
        this.lineDirty = config.dirtyTracking() == DirtyTracking.LINE;
        this.index = new BlockIndex(frameCount);
        this.freeFrames = new int[frameCount];
        for (int f = frameCount - 1; f >= 0; f--) {
            tags[f] = -1;
            freeFrames[freeCount++] = f;
        }
        for (int i = 0; i < FILL_STRIPES; i++) {
            fillLocks[i] = new ReentrantLock();
            fillDone[i] = fillLocks[i].newCondition();
        }
        this.backend = backend;
        this.fetchTimeoutNanos = config.stallTimeout().toNanos();
        this.backgroundReclaim = config.backgroundReclaim();
        this.inlineReserve = Math.max(1, Math.min(4, frameCount / 8));
        this.victims = Victims.of(config.policy(), this);
        this.prefetcher = new Prefetcher(this, config.prefetchWindow(),
                backgroundReclaim ? Math.max(1, config.lowWatermark() / 2) : inlineReserve);
        this.reclaimer = new Reclaimer(this, config.lowWatermark(), config.highWatermark(), backgroundReclaim);
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
    long offsetIn(long stamp, long addr) {
        return ((stamp & FRAME_BITS) << blockShift) | (addr & blockMask);
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
    long tryBeginRead(long addr) {
        long block = addr >>> blockShift;
        int f = index.find(block);
        if (f >= 0) {
            long s = (long) STATE.getAcquire(state, f);
            if ((s & PHASE_MASK) == VALID && tags[f] == block) {
                if (referenced[f] != REF_USED) {
                    touched(f, block);
                }
                if (lru) {
                    stamps[f] = ++useSequence;
                }
                counters.add(AccessCounters.HITS, 1);
                return (s & INCARNATION_MASK) | HIT | f;
            }
        }
        return NO_STAMP;
    }

    /** Whether data read since {@link #beginRead} is good: the frame still holds the same block. */
    boolean endRead(long stamp) {
        VarHandle.loadLoadFence();
        long s = (long) STATE.getOpaque(state, (int) (stamp & FRAME_BITS));
        return (s & INCARNATION_MASK) == (stamp & INCARNATION_MASK);
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
                if ((s & PHASE_MASK) == VALID && tags[f] == block) {
                    if (referenced[f] != REF_USED) {
                        touched(f, block);
                    }
                    long stamp = (s & INCARNATION_MASK) | f;
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
            if ((s & (LOCK | PHASE_MASK)) == VALID && tags[f] == block && STATE.compareAndSet(state, f, s, s | LOCK)) {
                return (s & INCARNATION_MASK) | f;
            }
        }
        return faultForWrite(block);
    }

    /** Marks the written lines dirty, counts the access (one counter lookup for both figures) and unlocks. */
    void endWrite(long stamp, long addr, long length) {
        int f = (int) (stamp & FRAME_BITS);
        markDirty(f, addr & blockMask, length);
        if (referenced[f] != REF_USED) {
            touched(f, addr >>> blockShift);
        }
        if (lru) {
            stamps[f] = ++useSequence;
        }
        counters.writeHit(length);
        long s = (long) STATE.get(state, f);
        STATE.setRelease(state, f, s & ~LOCK);
    }

    private long faultForWrite(long block) {
        boolean missed = false;
        int spins = 0;
        while (true) {
            int f = index.find(block);
            if (f >= 0) {
                long s = (long) STATE.getVolatile(state, f);
                if ((s & PHASE_MASK) == VALID && tags[f] == block) {
                    if ((s & LOCK) == 0 && STATE.compareAndSet(state, f, s, s | LOCK)) {
                        // The caller counts this access as a hit when it unlocks; a miss turns that into a miss.
                        if (missed) {
                            counters.add(AccessCounters.MISSES, 1);
                            counters.add(AccessCounters.HITS, -1);
                        }
                        return (s & INCARNATION_MASK) | f;
                    }
                    backOff(++spins); // another writer holds the frame for a few nanoseconds
                    continue;
                }
            }
            missed |= fault(block);
        }
    }

    /** Unlocks a frame whose write failed before touching memory (for example, a misaligned access). */
    void abortWrite(long stamp) {
        counters.add(AccessCounters.HITS, 1); // the access happened, even if it failed
        int f = (int) (stamp & FRAME_BITS);
        long s = (long) STATE.get(state, f);
        STATE.setRelease(state, f, s & ~LOCK);
    }

    private void markDirty(int f, long offsetInBlock, long length) {
        int first;
        int last;
        if (lineDirty) {
            first = (int) (offsetInBlock >>> LINE_SHIFT);
            last = (int) ((offsetInBlock + length - 1) >>> LINE_SHIFT);
        } else { // per-block tracking: any write makes the whole block dirty
            first = 0;
            last = (blockSize >>> LINE_SHIFT) - 1;
        }
        int base = f * dirtyWords;
        if (first == last) { // every typed access and most small copies
            int w = base + (first >>> 6);
            long bit = 1L << first;
            if ((dirty[w] & bit) == 0) {
                dirty[w] |= bit;
            }
            return;
        }
        for (int line = first; line <= last; line++) {
            dirty[base + (line >>> 6)] |= 1L << line;
        }
    }

    /**
     * First use of a frame since the CLOCK hand passed, or of a prefetched block: set the reference, and tell the
     * prefetcher when one of its blocks turned out useful.
     */
    private void touched(int f, long block) {
        while (true) {
            byte was = (byte) REFERENCED.getVolatile(referenced, f);
            if (was != REF_PREFETCHED && was != REF_PREFETCHED_SPARED) {
                referenced[f] = REF_USED;
                return;
            }
            // A prefetched block is used once: the CAS makes sure racing readers, the hand and an eviction count
            // it as used or as wasted exactly once.
            if (REFERENCED.compareAndSet(referenced, f, was, REF_USED)) {
                prefetcher.used(block);
                return;
            }
        }
    }

    /** Claims a prefetched, unused frame's reference for an eviction: true if it was one, counted as wasted. */
    private boolean claimUnusedPrefetch(int f) {
        while (true) {
            byte was = (byte) REFERENCED.getVolatile(referenced, f);
            if (was != REF_PREFETCHED && was != REF_PREFETCHED_SPARED) {
                return false;
            }
            if (REFERENCED.compareAndSet(referenced, f, was, REF_NONE)) {
                return true;
            }
        }
    }

    @Override
    public int frameCount() {
        return frameCount;
    }

    @Override
    public long stamp(int f) {
        return stamps[f];
    }

    private static void backOff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
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
        for (long a = addr, end = addr + length; a < end; a = (a | blockMask) + 1) {
            if (!isCached(a >>> blockShift)) {
                return false;
            }
        }
        read(addr, dst, dstOffset, length); // a block evicted since the check just faults back: rare and correct
        return true;
    }

    /** {@link #write}, but only if every block of the range is cached now. */
    boolean tryWrite(long addr, MemorySegment src, long srcOffset, long length) {
        for (long a = addr, end = addr + length; a < end; a = (a | blockMask) + 1) {
            if (!isCached(a >>> blockShift)) {
                return false;
            }
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
        long start = System.nanoTime();
        int f;
        long filling;
        mapLock.lock();
        try {
            while (true) {
                ensureOpen();
                f = index.find(block);
                if (f >= 0) {
                    long s = (long) STATE.getVolatile(state, f);
                    if ((s & PHASE_MASK) == FILLING) {
                        if (referenced[f] == REF_PREFETCHING) {
                            prefetcher.late(); // the prefetch was right, just not early enough
                        }
                        mapLock.unlock();
                        try {
                            awaitFill(f, s);
                        } finally {
                            mapLock.lock();
                        }
                        missNanos.add(System.nanoTime() - start);
                        return true;
                    }
                    Thread.onSpinWait();
                    return false; // VALID (caller retries) or EVICTING (caller retries, then faults again)
                }
                if (freeCount > 0) {
                    break;
                }
                if (backgroundReclaim) {
                    awaitFreeFrame(start);
                } else {
                    mapLock.unlock();
                    try {
                        reclaimInlineNow(start);
                    } finally {
                        mapLock.lock();
                    }
                }
            }
            f = freeFrames[--freeCount];
            long s = (long) STATE.getVolatile(state, f);
            filling = ((s & INCARNATION_MASK) + INCARNATION) | FILLING;
            STATE.setVolatile(state, f, filling);
            VarHandle.storeStoreFence(); // readers holding an old stamp must see the new incarnation first
            tags[f] = block;
            index.insert(block, f);
        } finally {
            mapLock.unlock();
        }
        WriteBack victim = null;
        if (backgroundReclaim) {
            if (freeCount < reclaimer.lowWatermark()) {
                reclaimer.wake();
            }
        } else if (freeCount < inlineReserve) {
            victim = evictInline(); // a clean victim is gone already; a dirty one travels with this fetch
        }
        try {
            fill(f, block, victim);
        } catch (RuntimeException | Error e) {
            abortFill(f, block, filling);
            throw e;
        }
        finishFill(f, filling, REF_USED);
        missNanos.add(System.nanoTime() - start);
        prefetcher.missed(block);
        return true;
    }

    /** Publishes a filled frame: clean, with the given reference state, VALID; wakes whoever waits for it. */
    private void finishFill(int f, long filling, byte reference) {
        finishFill(f, filling, reference, 0);
    }

    /** Publishes a filled frame as VALID, already holding {@code pins} pins: no evictor can slip in before them. */
    private void finishFill(int f, long filling, byte reference, long pins) {
        int base = f * dirtyWords;
        for (int i = 0; i < dirtyWords; i++) {
            dirty[base + i] = 0;
        }
        referenced[f] = reference;
        if (stamps != null) {
            stamps[f] = ++useSequence;
        }
        STATE.setRelease(state, f, ((filling & ~PHASE_MASK) | VALID) + pins);
        signalFill(f);
    }

    /**
     * Fetches {@code block} into frame {@code f}, or zero-fills it if it was never written. A dirty {@code victim}
     * round goes back in the same request when it is bound for the same memory node (LegoOS's piggyback).
     */
    private void fill(int f, long block, WriteBack victim) {
        long far = block << blockShift;
        MemorySegment dst = frames.asSlice((long) f << blockShift, blockSize);
        if (backend.mayHoldData(far, blockSize)) {
            if (victim != null && !victim.isEmpty()) {
                victim.sendWithFetch(far, dst);
            } else {
                backend.fetch(far, dst);
            }
            bytesFetched.add(blockSize);
        } else {
            dst.fill((byte) 0);
            zeroFills.increment();
        }
        if (victim != null) {
            victim.send(); // no-op if it went with the fetch
        }
    }

    // ====================================================================== inline reclaim (no background reclaimer)

    /**
     * Evicts one victim chosen by the policy, on the calling miss's own time. A clean victim is evicted at once and
     * null returned; a dirty one is snapshotted into a round that the caller sends (with its fetch, if it can), and
     * its frame is freed when the round is acknowledged.
     */
    private WriteBack evictInline() {
        victimLock.lock();
        try {
            for (int tries = 2 * victims.passLength(); tries > 0; tries--) {
                int f = victims.next();
                if (!evictable(f) || victims.spare(f)) {
                    continue;
                }
                if (looksDirty(f)) {
                    WriteBack round = new WriteBack(this, true);
                    if (snapshotDirty(f, round)) {
                        return round;
                    }
                } else if (tryEvict(f)) {
                    return null;
                }
            }
            return null;
        } finally {
            victimLock.unlock();
        }
    }

    /** No frame is free and there is no reclaimer: evict one now and wait until its frame is free. */
    private void reclaimInlineNow(long since) {
        stalls.increment();
        long t0 = System.nanoTime();
        try {
            WriteBack round = evictInline();
            if (round != null) {
                round.send();
                RememException failed = round.done().join();
                if (failed != null && !Failover.retryable(failed)) {
                    throw new RememException(failed.code(), "evicting a dirty block failed: " + failed.detail(), failed);
                }
                if (failed != null) {
                    backOff(64); // failing over: the lines are dirty again and go to the new replicas next time
                }
            } else if (freeCount == 0) {
                backOff(64); // everything busy (pinned, filling, locked): let it settle
            }
        } finally {
            stallNanos.add(System.nanoTime() - t0);
        }
        if (System.nanoTime() - since > fetchTimeoutNanos) {
            throw new RememException(ErrorCode.TIMEOUT, "no cache frame could be freed in "
                    + TimeUnit.NANOSECONDS.toMillis(fetchTimeoutNanos) + " ms (" + describeFrames() + ")");
        }
    }

    /**
     * One reclaimer pass: up to two passes of the policy's hand until {@code target} frames are free. A spared frame
     * keeps its block; a clean one is evicted at once; a dirty one's lines go into write-back rounds, sent as they
     * fill, and it is evicted when they are acknowledged. Returns whether the pass made progress.
     */
    boolean sweep(int target) {
        int freeBefore = freeCount;
        WriteBack round = new WriteBack(this, true);
        victimLock.lock();
        try {
            for (int tries = 2 * victims.passLength(); tries > 0 && freeCount < target && !closed; tries--) {
                int f = victims.next();
                if (!evictable(f) || victims.spare(f)) {
                    continue;
                }
                if (looksDirty(f)) {
                    snapshotDirty(f, round);
                    if (round.isFull()) {
                        round.send();
                        round = new WriteBack(this, true);
                    }
                } else {
                    tryEvict(f);
                }
            }
        } finally {
            victimLock.unlock();
            round.send(); // always: flushes wait for every round that holds lines
        }
        if (freeCount < reclaimer.lowWatermark() && !inFlight.isEmpty()) {
            // Everything left is dirty and on its way to memory nodes: wait for acknowledgements, which evict.
            awaitInFlight();
        }
        return freeCount > freeBefore || !inFlight.isEmpty();
    }

    // ====================================================================== pinned views

    private final ReentrantLock pinLock = new ReentrantLock();
    private int pinnedFrames; // guarded by pinLock
    private int[] viewPins;   // guarded by pinLock; per frame, pins held by views (not by write-backs)

    /**
     * Pins frames holding blocks {@code first .. first + count - 1}, in that order and contiguous in the arena, and
     * returns the first frame. Blocks already cached elsewhere are moved; blocks not cached are fetched. Pinned frames
     * are never evicted until {@link #unpinFrames}.
     *
     * @throws RememException TOO_LARGE if the pins would leave the cache too few frames to work with
     */
    int pinFrames(long first, int count) {
        pinLock.lock();
        try {
            int spare = frameCount - pinnedFrames - Math.max(inlineReserve, reclaimer.highWatermark()) - 1;
            if (count > spare) {
                throw new RememException(ErrorCode.TOO_LARGE, "pinning " + count + " blocks of " + blockSize
                        + " bytes needs " + count + " frames; the cache has " + frameCount + ", " + pinnedFrames
                        + " of them pinned already and " + (frameCount - pinnedFrames - spare)
                        + " needed to keep working: use a larger cache, or pin less at a time");
            }
            long deadline = System.nanoTime() + fetchTimeoutNanos;
            int window = count == 1 ? -1 : findPinWindow(first, count);
            int start = window;
            int pinned = 0;
            try {
                for (int i = 0; i < count; i++) {
                    long block = first + i;
                    int f = window < 0 ? pinWherever(block, deadline) : pinAt(window + i, block, deadline);
                    if (i == 0) {
                        start = f;
                    }
                    pinned++;
                }
            } catch (RuntimeException | Error e) {
                for (int f = start; f < start + pinned; f++) {
                    unpin(f); // no view will ever let these go
                }
                throw e;
            }
            pinnedFrames += count;
            if (viewPins == null) {
                viewPins = new int[frameCount];
            }
            for (int f = start; f < start + count; f++) {
                viewPins[f]++;
            }
            return start;
        } finally {
            pinLock.unlock();
        }
    }

    /** Whether a view (not a write-back) holds frame {@code f}. Caller holds the pin lock. */
    private boolean pinnedByView(int f) {
        return viewPins != null && viewPins[f] > 0;
    }

    /** Unpins what {@link #pinFrames} pinned. */
    void unpinFrames(int start, int count) {
        for (int f = start; f < start + count; f++) {
            unpin(f);
        }
        pinLock.lock();
        try {
            pinnedFrames -= count;
            for (int f = start; f < start + count; f++) {
                viewPins[f]--;
            }
        } finally {
            pinLock.unlock();
        }
    }

    /** Marks lines {@code [offsetInFrame, +length)} of a pinned frame dirty: data written through a view. */
    void markWritten(int f, long offsetInFrame, long length) {
        int spins = 0;
        while (true) {
            long s = (long) STATE.getVolatile(state, f);
            if ((s & LOCK) == 0 && STATE.compareAndSet(state, f, s, s | LOCK)) {
                markDirty(f, offsetInFrame, length);
                counters.add(AccessCounters.DIRTIED, length);
                STATE.setRelease(state, f, s);
                return;
            }
            backOff(++spins);
        }
    }

    /** A window of {@code count} frames none of which is pinned or filling, so all can be claimed. */
    private int findPinWindow(long first, int count) {
        // Where the range already lies, if the frames after its first block are free of pins: blocks touched in
        // order sit in consecutive frames, and a view over them then moves nothing (and evicts nobody).
        int at;
        mapLock.lock();
        try {
            at = index.find(first);
        } finally {
            mapLock.unlock();
        }
        if (at >= 0 && at + count <= frameCount && usableRun(at, count)) {
            return at;
        }
        int run = 0;
        for (int f = 0; f < frameCount; f++) {
            run = usableForPin(f) ? run + 1 : 0;
            if (run == count) {
                return f - count + 1;
            }
        }
        throw new RememException(ErrorCode.TOO_LARGE, "no " + count + " contiguous frames are free of pins: other"
                + " pinned views fragment the cache; close some, or pin less at a time");
    }

    private boolean usableRun(int from, int count) {
        for (int f = from; f < from + count; f++) {
            if (!usableForPin(f)) {
                return false;
            }
        }
        return true;
    }

    private boolean usableForPin(int f) {
        long s = (long) STATE.getVolatile(state, f);
        return (s & PIN_MASK) == 0 && (s & PHASE_MASK) != FILLING;
    }

    /** Single block: pin whichever frame holds it, faulting it in if needed. */
    private int pinWherever(long block, long deadline) {
        while (true) {
            long stamp = faultForRead(block << blockShift, true, false);
            int f = (int) (stamp & FRAME_BITS);
            if (tryPin(f, stamp & INCARNATION_MASK)) {
                return f;
            }
            checkPinDeadline(deadline, block);
            backOff(64);
        }
    }

    /** Puts {@code block} into frame {@code f} (moving or fetching it) and pins it there. */
    private int pinAt(int f, long block, long deadline) {
        while (true) {
            long s = (long) STATE.getVolatile(state, f);
            if ((s & PHASE_MASK) == VALID && tags[f] == block) {
                if (tryPin(f, s & INCARNATION_MASK)) {
                    return f;
                }
            } else if (claim(f)) {
                return placeAndPin(f, block, deadline);
            }
            checkPinDeadline(deadline, block);
            backOff(64);
        }
    }

    /**
     * Makes frame {@code f} FREE and takes it off the free list, evicting its block (written back first if dirty).
     * Returns false if it cannot right now (locked, pinned, filling, re-dirtied): try again.
     */
    private boolean claim(int f) {
        long s = (long) STATE.getVolatile(state, f);
        if ((s & PHASE_MASK) == VALID) {
            if ((s & (PIN_MASK | QUEUED)) != 0) {
                return false;
            }
            if (looksDirty(f)) {
                WriteBack round = new WriteBack(this, false);
                if (snapshotDirty(f, round)) {
                    round.send();
                    round.done().join(); // a failed write-back leaves the lines dirty: the caller tries again
                }
                return false; // look again: it may be clean and evictable now
            }
            if (!tryEvict(f)) {
                return false;
            }
        } else if ((s & PHASE_MASK) != FREE) {
            return false; // filling or being evicted by someone else
        }
        mapLock.lock();
        try {
            for (int i = 0; i < freeCount; i++) {
                if (freeFrames[i] == f) {
                    freeFrames[i] = freeFrames[--freeCount];
                    return true;
                }
            }
            return false; // taken by a miss meanwhile
        } finally {
            mapLock.unlock();
        }
    }

    /** Frame {@code f} is claimed (FREE, off the free list): bring {@code block} into it, then pin it. */
    /** Returns a frame that {@link #claim} took, unused, to the free list. */
    private void unclaim(int f) {
        mapLock.lock();
        try {
            freeFrames[freeCount++] = f;
            frameFreed.signalAll();
        } finally {
            mapLock.unlock();
        }
    }

    private int placeAndPin(int f, long block, long deadline) {
        while (true) {
            int g;
            long filling;
            mapLock.lock();
            try {
                g = index.find(block);
                long s = (long) STATE.getVolatile(state, f);
                filling = ((s & INCARNATION_MASK) + INCARNATION) | FILLING;
                if (g < 0) {
                    STATE.setVolatile(state, f, filling);
                    VarHandle.storeStoreFence();
                    tags[f] = block;
                    index.insert(block, f);
                }
            } finally {
                mapLock.unlock();
            }
            if (g < 0) {
                try {
                    fill(f, block, null);
                } catch (RuntimeException | Error e) {
                    abortFill(f, block, filling);
                    throw e;
                }
                finishFill(f, filling, REF_USED, PIN);
            } else if (!move(g, f, block, filling)) {
                try {
                    checkPinDeadline(deadline, block);
                } catch (RememException e) {
                    unclaim(f); // still FREE, but off the free list: put it back, or it is lost for good
                    throw e;
                }
                backOff(64);
                continue;
            }
            return f; // pinned as it became VALID
        }
    }

    /**
     * Moves {@code block} from frame {@code g} to claimed frame {@code f}, data, dirty lines and all. Only a frame
     * nobody holds (no lock, no pin, no write-back) can be moved; returns false otherwise. Readers still holding a
     * stamp on {@code g} read its unchanged bytes until it is reused, which bumps its incarnation. Moving is for
     * pinning: {@code f} comes out VALID and already pinned.
     */
    private boolean move(int g, int f, long block, long filling) {
        long s = (long) STATE.getVolatile(state, g);
        if ((s & PHASE_MASK) != VALID || (s & BUSY) != 0 || tags[g] != block
                || !STATE.compareAndSet(state, g, s, (s & ~PHASE_MASK) | EVICTING)) {
            return false;
        }
        movesStarted.incrementAndGet(); // before the dirty bits travel: a flush scanning now will scan again
        STATE.setVolatile(state, f, filling);
        VarHandle.storeStoreFence();
        tags[f] = block;
        MemorySegment.copy(frames, (long) g << blockShift, frames, (long) f << blockShift, blockSize);
        int from = g * dirtyWords;
        int to = f * dirtyWords;
        for (int i = 0; i < dirtyWords; i++) {
            dirty[to + i] = dirty[from + i];
            dirty[from + i] = 0;
        }
        boolean wasUnusedPrefetch = claimUnusedPrefetch(g);
        referenced[f] = REF_USED;
        if (stamps != null) {
            stamps[f] = stamps[g];
        }
        mapLock.lock();
        try {
            index.remove(block);
            index.insert(block, f);
            STATE.setRelease(state, f, ((filling & ~PHASE_MASK) | VALID) + PIN); // pinned for the view, before anyone can evict it
            STATE.setVolatile(state, g, (s & ~PHASE_MASK) | FREE);
            freeFrames[freeCount++] = g;
            frameFreed.signal();
        } finally {
            mapLock.unlock();
        }
        movesFinished.incrementAndGet();
        signalFill(f);
        if (wasUnusedPrefetch) {
            prefetcher.used(block); // pinned: that is a use. Told only now: it may prefetch, which takes a while
        }
        return true;
    }

    /** Adds a pin to frame {@code f} if it is still VALID in {@code incarnation}. */
    private boolean tryPin(int f, long incarnation) {
        while (true) {
            long s = (long) STATE.getVolatile(state, f);
            if ((s & PHASE_MASK) != VALID || (s & INCARNATION_MASK) != incarnation || (s & PIN_MASK) == PIN_MASK) {
                return false;
            }
            if ((s & LOCK) == 0 && STATE.compareAndSet(state, f, s, s + PIN)) {
                return true;
            }
            Thread.onSpinWait();
        }
    }

    private void unpin(int f) {
        int spins = 0;
        while (true) {
            long s = (long) STATE.getVolatile(state, f);
            if ((s & LOCK) == 0 && STATE.compareAndSet(state, f, s, s - PIN)) {
                return;
            }
            backOff(++spins);
        }
    }

    private void checkPinDeadline(long deadline, long block) {
        if (System.nanoTime() - deadline > 0) {
            throw new RememException(ErrorCode.TIMEOUT, "could not pin block " + block + " in "
                    + TimeUnit.NANOSECONDS.toMillis(fetchTimeoutNanos) + " ms: it is held by another pinned view laid"
                    + " out differently, or by a write-back that does not finish (" + describeFrames() + ")");
        }
    }

    // ====================================================================== prefetch fills

    /**
     * Makes room for a prefetch by evicting one clean victim the policy would give up anyway; no I/O, no waiting.
     * A prefetch must not eat the frames kept for demand misses, but it may replace cold clean blocks: that is what
     * keeps a window larger than the free-frame reserve going. Returns false if no such victim is at hand.
     */
    private boolean evictCleanForPrefetch(boolean hinted) {
        if (hinted) {
            // The caller asked for these blocks: worth waiting for a sweep to end. A miss on a block this hint has
            // already reserved waits with it; a trend prefetch never waits.
            victimLock.lock();
        } else if (!victimLock.tryLock()) {
            return false; // the reclaimer or a miss is choosing victims right now
        }
        try {
            // A hint looks up to a full pass: when a scan has just filled the cache every frame is referenced, and a
            // shorter look would only clear reference bits and give up. A trend prefetch runs on the way to its
            // thread's own miss, so it looks at a few samples' worth, bounded whatever the cache size.
            int tries = hinted ? victims.passLength() + 1 : Math.min(victims.passLength() + 1, 4 * Victims.SAMPLE);
            for (; tries > 0; tries--) {
                int f = victims.next();
                // Dirty frames are not for prefetching, and are not aged by its look either.
                if (evictable(f) && !prefetchedUnused(f) && !looksDirty(f) && !victims.spare(f) && tryEvict(f)) {
                    return true;
                }
            }
            return false;
        } finally {
            victimLock.unlock();
        }
    }

    private static final int PREFETCH_STOP = -1;
    private static final int PREFETCH_SKIP = -2;
    /** Most consecutive blocks fetched by one prefetch request. */
    static final int PREFETCH_BATCH = 32;

    /**
     * Prefetches {@code count} blocks from {@code first} along {@code stride} without waiting. A {@code hinted}
     * prefetch looks harder for clean frames to evict than a trend's (see {@link #evictCleanForPrefetch}). Consecutive blocks
     * of one slab travel in one request, scattered into their frames on arrival, so a sequential scan costs one
     * round trip per batch rather than per block. Returns how many blocks it started fetching; stops early (and
     * says so through {@code stopped}) at the edge of far memory or when no frame can be spared.
     */
    int prefetch(long first, long stride, int count, int keepFree, boolean hinted, boolean[] stopped) {
        List<PrefetchRun> runs = new ArrayList<>();
        PrefetchRun run = null;
        long block = first;
        for (int i = 0; i < count; i++, block += stride) {
            int outcome;
            if (block < 0) {
                outcome = PREFETCH_STOP;
            } else {
                long far = block << blockShift;
                if (run != null && !(stride == 1 && run.size() < PREFETCH_BATCH && backend.sameSlab(run.first() << blockShift, far))) {
                    run = null; // ends the run: the next block starts a request of its own
                }
                outcome = reservePrefetch(block, keepFree, hinted);
                if (outcome >= 0) {
                    if (run == null) {
                        run = new PrefetchRun(block);
                        runs.add(run);
                    }
                    run.add(outcome, (long) STATE.getVolatile(state, outcome)); // FILLING, ours until sent
                    continue;
                }
            }
            run = null; // a gap (cached, never written) or a stop ends the run
            if (outcome == PREFETCH_STOP) {
                stopped[0] = true;
                break;
            }
        }
        return runs.isEmpty() ? 0 : sendPrefetches(runs);
    }

    /** Consecutive blocks reserved for one prefetch request: their frames and the FILLING states they were given. */
    private final class PrefetchRun {
        final long first;
        final int[] frames = new int[PREFETCH_BATCH];
        final long[] fillStates = new long[PREFETCH_BATCH];
        int n;

        PrefetchRun(long first) {
            this.first = first;
        }

        long first() {
            return first;
        }

        int size() {
            return n;
        }

        void add(int frame, long fillState) {
            frames[n] = frame;
            fillStates[n] = fillState;
            n++;
        }

        FarBackend.FetchRun fetch() {
            MemorySegment[] dsts = new MemorySegment[n];
            for (int i = 0; i < n; i++) {
                dsts[i] = LocalCache.this.frames.asSlice((long) frames[i] << blockShift, blockSize);
            }
            return new FarBackend.FetchRun(first << blockShift, dsts);
        }

        void done(Throwable error) {
            for (int i = 0; i < n; i++) {
                if (error == null) {
                    bytesFetched.add(blockSize);
                    finishFill(frames[i], fillStates[i], REF_PREFETCHED);
                } else {
                    abortFill(frames[i], first + i, fillStates[i]);
                }
            }
        }
    }

    /** Sends every run at once (one write per memory node); returns the blocks requested. */
    private int sendPrefetches(List<PrefetchRun> runs) {
        List<FarBackend.FetchRun> fetches = new ArrayList<>(runs.size());
        int blocks = 0;
        for (PrefetchRun r : runs) {
            fetches.add(r.fetch());
            blocks += r.size();
        }
        List<CompletableFuture<Void>> sent;
        try {
            sent = backend.fetchAsync(fetches);
        } catch (RuntimeException e) {
            sent = Collections.nCopies(runs.size(), CompletableFuture.failedFuture(e));
        }
        for (int i = 0; i < runs.size(); i++) {
            PrefetchRun r = runs.get(i);
            sent.get(i).whenComplete((v, error) -> r.done(error));
        }
        return blocks;
    }

    /**
     * Takes a frame for prefetching {@code block}: returns the frame, or {@link #PREFETCH_SKIP} if the block is
     * cached or being fetched already, or was never written (a miss on it zero-fills locally, nothing to win), or
     * {@link #PREFETCH_STOP} if it lies outside every slab or taking a frame would eat into the {@code keepFree}
     * frames kept for demand misses.
     */
    private int reservePrefetch(long block, int keepFree, boolean hinted) {
        long far = block << blockShift;
        if (closed || !backend.holds(far)) {
            return PREFETCH_STOP;
        }
        if (!backend.mayHoldData(far, blockSize)) {
            return PREFETCH_SKIP;
        }
        // Evicting one frame is not always enough: the reserve may have been short by more than one.
        for (int evicted = 0; freeCount <= keepFree; evicted++) {
            if (evicted > keepFree || !evictCleanForPrefetch(hinted)) {
                return PREFETCH_STOP;
            }
        }
        mapLock.lock();
        try {
            if (index.find(block) >= 0) {
                return PREFETCH_SKIP;
            }
            if (freeCount <= keepFree) {
                return PREFETCH_STOP;
            }
            int f = freeFrames[--freeCount];
            long s = (long) STATE.getVolatile(state, f);
            long filling = ((s & INCARNATION_MASK) + INCARNATION) | FILLING;
            STATE.setVolatile(state, f, filling);
            VarHandle.storeStoreFence();
            tags[f] = block;
            referenced[f] = REF_PREFETCHING;
            index.insert(block, f);
            return f;
        } finally {
            mapLock.unlock();
            if (backgroundReclaim && freeCount < reclaimer.lowWatermark()) {
                reclaimer.wake();
            }
        }
    }


    private void abortFill(int f, long block, long filling) {
        mapLock.lock();
        try {
            index.remove(block);
            tags[f] = -1;
            STATE.setVolatile(state, f, (filling & ~PHASE_MASK) | FREE);
            freeFrames[freeCount++] = f;
            frameFreed.signalAll();
        } finally {
            mapLock.unlock();
        }
        signalFill(f);
    }

    /** Called with the map lock held when no frame is free: the reclaimer is behind (an eviction stall). */
    private void awaitFreeFrame(long since) {
        stalls.increment();
        long t0 = System.nanoTime();
        reclaimer.wake();
        try {
            frameFreed.await(10, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while waiting for a free cache frame", e);
        } finally {
            stallNanos.add(System.nanoTime() - t0);
        }
        if (System.nanoTime() - since > fetchTimeoutNanos) {
            throw new RememException(ErrorCode.TIMEOUT, "no cache frame became free in "
                    + TimeUnit.NANOSECONDS.toMillis(fetchTimeoutNanos) + " ms (" + describeFrames()
                    + "): write-back is failing, or every frame is pinned");
        }
    }

    private void awaitFill(int f, long fillingState) {
        ReentrantLock lock = fillLocks[f & (FILL_STRIPES - 1)];
        lock.lock();
        try {
            while ((long) STATE.getVolatile(state, f) == fillingState) {
                fillDone[f & (FILL_STRIPES - 1)].await(100, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while waiting for a block fetch", e);
        } finally {
            lock.unlock();
        }
    }

    private void signalFill(int f) {
        ReentrantLock lock = fillLocks[f & (FILL_STRIPES - 1)];
        lock.lock();
        try {
            fillDone[f & (FILL_STRIPES - 1)].signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ====================================================================== eviction and write-back (reclaimer side)

    int freeCount() {
        return freeCount; // a racy read is fine for watermark checks
    }

    @Override
    public boolean clearReferenced(int f) {
        byte r = referenced[f];
        if (r == REF_USED) {
            referenced[f] = REF_NONE;
            return true;
        }
        if (r == REF_PREFETCHED) { // fetched for a reason: one pass of grace to be used
            return REFERENCED.compareAndSet(referenced, f, r, REF_PREFETCHED_SPARED) || clearReferenced(f);
        }
        return false;
    }

    /** Whether the frame holds a prefetched block nobody has used yet. */
    private boolean prefetchedUnused(int f) {
        byte r = referenced[f];
        return r == REF_PREFETCHED || r == REF_PREFETCHED_SPARED || r == REF_PREFETCHING;
    }

    @Override
    public boolean evictable(int f) {
        long s = (long) STATE.getVolatile(state, f);
        return (s & PHASE_MASK) == VALID && (s & BUSY) == 0;
    }

    /**
     * Does the frame have dirty lines, read with acquire: if a snapshot cleared them, the round that took them is
     * registered in {@link #inFlight} and this thread sees it.
     */
    private boolean dirtyForFlush(int f) {
        int base = f * dirtyWords;
        for (int i = 0; i < dirtyWords; i++) {
            if ((long) DIRTY.getAcquire(dirty, base + i) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Racy hint: does the frame have dirty lines? Confirmed under the lock before acting. */
    boolean looksDirty(int f) {
        int base = f * dirtyWords;
        for (int i = 0; i < dirtyWords; i++) {
            if (dirty[base + i] != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Evicts a clean, unpinned frame and puts it on the free list. Returns false, changing nothing, if the frame
     * is busy, pinned or dirty.
     */
    boolean tryEvict(int f) {
        long s = (long) STATE.getVolatile(state, f);
        if ((s & PHASE_MASK) != VALID || (s & BUSY) != 0) {
            return false;
        }
        // Writers need VALID to lock, so from here on nobody can dirty the frame.
        if (!STATE.compareAndSet(state, f, s, (s & ~PHASE_MASK) | EVICTING)) {
            return false;
        }
        if (looksDirty(f)) {
            STATE.setRelease(state, f, s);
            return false;
        }
        if (claimUnusedPrefetch(f)) {
            prefetcher.wasted();
        }
        mapLock.lock();
        try {
            index.remove(tags[f]);
            STATE.setVolatile(state, f, (s & ~PHASE_MASK) | FREE);
            freeFrames[freeCount++] = f;
            frameFreed.signal();
        } finally {
            mapLock.unlock();
        }
        evictions.increment();
        return true;
    }

    /**
     * Moves the frame's dirty lines into {@code wb}: copies them out under the lock, clears their bits, marks the
     * frame QUEUED until the round is sent and pins it until the round completes. Adjacent dirty lines travel as one
     * run. Returns false if there was nothing to do or the frame was busy (locked, or QUEUED in another round).
     */
    boolean snapshotDirty(int f, WriteBack wb) {
        long s = (long) STATE.getVolatile(state, f);
        if ((s & PHASE_MASK) != VALID || (s & (LOCK | QUEUED)) != 0 || !looksDirty(f)) {
            return false;
        }
        if ((s & PIN_MASK) == PIN_MASK || !STATE.compareAndSet(state, f, s, s | LOCK)) {
            return false;
        }
        long unlocked = s;
        try {
            int base = f * dirtyWords;
            long[] bits = new long[dirtyWords];
            for (int i = 0; i < dirtyWords; i++) {
                bits[i] = dirty[base + i];
            }
            long blockAddr = tags[f] << blockShift;
            long frameOffset = (long) f << blockShift;
            int linesPerBlock = blockSize >>> LINE_SHIFT;
            int line = 0;
            while (line < linesPerBlock) {
                if ((bits[line >>> 6] & (1L << line)) == 0) {
                    line++;
                    continue;
                }
                int runStart = line;
                while (line < linesPerBlock && (bits[line >>> 6] & (1L << line)) != 0) {
                    line++;
                }
                long off = (long) runStart << LINE_SHIFT;
                wb.batch().add(blockAddr + off, frames, frameOffset + off, (line - runStart) << LINE_SHIFT);
            }
            // The round must be findable by a flush before the lines stop looking dirty, or a flush could see
            // neither. Registering is a volatile write; the release stores below keep the clears after it.
            wb.track(f, s & INCARNATION_MASK, bits);
            for (int i = 0; i < dirtyWords; i++) {
                DIRTY.setRelease(dirty, base + i, 0L);
            }
            unlocked = (s + PIN) | QUEUED;
            return true;
        } finally {
            STATE.setRelease(state, f, unlocked); // unlock, and if snapshotted pin and queue, in one store
        }
    }

    /** The round holding frame {@code f}'s lines is on the wire: later copies of its lines may follow it. */
    void sent(int f, long incarnation) {
        int spins = 0;
        while (true) {
            long s = (long) STATE.getVolatile(state, f);
            if ((s & INCARNATION_MASK) != incarnation || (s & QUEUED) == 0) {
                return; // cannot happen while queued; guards against misuse
            }
            if ((s & LOCK) == 0 && STATE.compareAndSet(state, f, s, s & ~QUEUED)) {
                return;
            }
            backOff(++spins);
        }
    }

    /** A write-back of frame {@code f} finished. On failure its lines become dirty again. Then unpin. */
    void writeBackDone(int f, long incarnation, long[] bits, boolean ok) {
        int spins = 0;
        while (true) {
            long s = (long) STATE.getVolatile(state, f);
            if ((s & INCARNATION_MASK) != incarnation || (s & PIN_MASK) == 0) {
                return; // cannot happen while pinned; guards against misuse
            }
            if ((s & LOCK) != 0) {
                backOff(++spins);
                continue;
            }
            if (ok) {
                if (STATE.compareAndSet(state, f, s, s - PIN)) {
                    return;
                }
            } else if (STATE.compareAndSet(state, f, s, s | LOCK)) {
                int base = f * dirtyWords;
                for (int i = 0; i < bits.length; i++) {
                    dirty[base + i] |= bits[i];
                }
                STATE.setRelease(state, f, s - PIN);
                return;
            }
        }
    }

    /** Evicts the blocks of a freed far range without writing them back: their data is garbage now. */
    void discard(long addr, long length) {
        long firstBlock = addr >>> blockShift;
        long lastBlock = (addr + length - 1) >>> blockShift;
        pinLock.lock();
        try {
            if (pinnedFrames > 0) {
                for (long block = firstBlock; block <= lastBlock; block++) {
                    int f = index.find(block);
                    if (f >= 0 && tags[f] == block && pinnedByView(f)) {
                        throw new IllegalStateException("cannot free far memory while a pinned view of it is open");
                    }
                }
            }
        } finally {
            pinLock.unlock();
        }
        for (long block = firstBlock; block <= lastBlock; block++) {
            discardBlock(block, false);
        }
    }

    /**
     * Drops the clean cached blocks of {@code [addr, addr + length)}, so they are read from the memory nodes again; a
     * block with dirty lines (written since the caller forced the range) stays, since those lines are newer.
     */
    void dropClean(long addr, long length) {
        for (long block = addr >>> blockShift; block <= (addr + length - 1) >>> blockShift; block++) {
            discardBlock(block, true);
        }
    }

    private void discardBlock(long block, boolean onlyClean) {
        int spins = 0;
        while (true) {
            int f;
            mapLock.lock();
            try {
                f = index.find(block);
            } finally {
                mapLock.unlock();
            }
            if (f < 0) {
                return;
            }
            long s = (long) STATE.getVolatile(state, f);
            if ((s & PHASE_MASK) == VALID && (s & BUSY) == 0 && tags[f] == block
                    && STATE.compareAndSet(state, f, s, (s & ~PHASE_MASK) | EVICTING)) {
                int base = f * dirtyWords;
                if (onlyClean) {
                    for (int i = 0; i < dirtyWords; i++) {
                        if (dirty[base + i] != 0) {
                            STATE.setVolatile(state, f, s); // written meanwhile: keep it, it is newer
                            return;
                        }
                    }
                }
                for (int i = 0; i < dirtyWords; i++) {
                    dirty[base + i] = 0;
                }
                mapLock.lock();
                try {
                    index.remove(block);
                    STATE.setVolatile(state, f, (s & ~PHASE_MASK) | FREE);
                    freeFrames[freeCount++] = f;
                    frameFreed.signal();
                } finally {
                    mapLock.unlock();
                }
                return;
            }
            backOff(++spins); // filling, locked, or held by a write-back: wait for it to settle
        }
    }

    // ====================================================================== flush

    /**
     * Writes back every dirty line and waits for the memory nodes to acknowledge, together with write-backs the
     * reclaimer already has in flight. Lines dirtied while the flush runs may or may not be included.
     *
     * <p>A write-back that fails anywhere while the flush runs makes the flush fail, even if its round finished
     * before the flush could wait for it: its lines were dirty again after the flush had looked, so success would
     * be a lie. The lines stay dirty; the next flush or eviction writes them.
     *
     * @throws RememException if any write-back failed meanwhile
     */
    void flush() {
        force(0, -1);
    }

    /**
     * {@link #flush()} for the blocks {@code first..last} only (all blocks if {@code last} is negative): what an
     * offload needs before a memory node reads that range. Waits for every round in flight, not only those holding
     * the range, because a round does not record which blocks it carries cheaply enough to ask.
     */
    void force(long first, long last) {
        ensureOpen();
        long deadline = System.nanoTime() + fetchTimeoutNanos;
        for (int attempt = 0; ; attempt++) {
            try {
                forceOnce(first, last);
                return;
            } catch (RememException e) {
                // A round that failed over left its lines dirty; the next attempt writes them to the new replicas.
                if (!Failover.retryable(e) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                Failover.backOff(attempt);
            }
        }
    }

    private void forceOnce(long first, long last) {
        long failuresBefore = writeBackFailures.sum();
        WriteBack[] atStart = inFlight.toArray(new WriteBack[0]);
        WriteBack[] round = {new WriteBack(this, false)};
        try {
            // A move (for a pinned view) carries a block's dirty lines from one frame to another, where a scan could
            // pass both frames at the wrong moments; scan again until no move overlapped the scan. Moves are rare.
            long moves;
            do {
                moves = awaitNoMove();
                if (last < 0 || last - first >= frameCount) {
                    for (int f = 0; f < frameCount; f++) {
                        snapshotForFlush(f, -1, round);
                    }
                } else {
                    for (long b = first; b <= last; b++) {
                        int f = index.find(b);
                        if (f >= 0) {
                            snapshotForFlush(f, b, round);
                        }
                    }
                }
            } while (movesStarted.get() != moves);
        } finally {
            round[0].send(); // always: a registered round that is never sent would hang every later flush
        }
        RememException failure = await(atStart);
        RememException later = awaitInFlight();
        failure = failure != null ? failure : later;
        if (failure == null && writeBackFailures.sum() != failuresBefore) {
            failure = new RememException(ErrorCode.NODE_UNAVAILABLE, "a write-back failed while the flush ran");
        }
        if (failure != null) {
            throw new RememException(failure.code(), "flush failed: " + failure.detail()
                    + "; the data is still dirty in the local cache and will be written back again", failure);
        }
    }

    /** Waits until no move is in progress; returns how many moves have started. */
    private long awaitNoMove() {
        int spins = 0;
        long started;
        while ((started = movesStarted.get()) != movesFinished.get()) {
            backOff(++spins);
        }
        return started;
    }

    /**
     * Snapshots frame {@code f}'s dirty lines into {@code round[0]} if it holds {@code block} (any block if negative),
     * sending the round when it fills; {@code round[0]} is then a fresh, unsent one.
     */
    private void snapshotForFlush(int f, long block, WriteBack[] round) {
        int spins = 0;
        while (dirtyForFlush(f) && (block < 0 || tags[f] == block) && !snapshotDirty(f, round[0])) {
            long phase = (long) STATE.getVolatile(state, f) & PHASE_MASK;
            if (phase == FREE || phase == FILLING) {
                break; // no dirty data can live in such a frame
            }
            // VALID: a writer holds the frame, or the reclaimer is about to send its round.
            // EVICTING: an eviction attempt is looking at it and will give it back if it is dirty, or a move is
            // carrying its lines to another frame, which the caller's rescan will find.
            backOff(++spins);
        }
        if (round[0].isFull()) {
            round[0].send();
            round[0] = new WriteBack(this, false);
            awaitInFlightBelow(MAX_FLUSH_ROUNDS_IN_FLIGHT);
        }
    }

    /**
     * Waits for every write-back round holding dirty lines now, sent or still being filled; returns the first
     * failure among them, or null.
     */
    RememException awaitInFlight() {
        return await(inFlight.toArray(new WriteBack[0]));
    }

    private static RememException await(WriteBack[] rounds) {
        RememException first = null;
        for (WriteBack wb : rounds) {
            RememException e = wb.done().join();
            if (first == null) {
                first = e;
            }
        }
        return first;
    }

    private void awaitInFlightBelow(int rounds) {
        while (inFlight.size() >= rounds) {
            WriteBack[] now = inFlight.toArray(new WriteBack[0]);
            if (now.length > 0) {
                now[0].done().join();
            }
        }
    }

    // ====================================================================== calibration, stats, lifecycle

    /**
     * Measures the hit path on this machine, now: times repeated reads of a resident block through the same code
     * as {@link #beginRead}/{@link #endRead}. Never faults (the reclaimer runs this, and a reclaimer waiting for a
     * free frame would wait for itself). Its hits are not application traffic: the reclaimer's thread is left out of
     * the counts. Returns nanoseconds per read, or -1 if no block stayed resident.
     */
    double calibrateHitNanos(int reads) {
        int frame = -1;
        for (int f = 0; f < frameCount && frame < 0; f++) {
            long s = (long) STATE.getVolatile(state, f);
            // Pinned for the measurement, so the frame cannot be recycled under it: restoring its reference afterwards
            // must not overwrite a newer block's (a lost "prefetched" mark stalls that thread's prefetch stream). A
            // prefetched block nobody used yet is left alone: its first use is the application's.
            if ((s & PHASE_MASK) == VALID && !prefetchedUnused(f) && tryPin(f, s & INCARNATION_MASK)) {
                frame = f;
            }
        }
        if (frame < 0) {
            return -1;
        }
        // Measuring must not look like use to the eviction policy or the prefetcher.
        byte reference = referenced[frame];
        long stamp = stamps == null ? 0 : stamps[frame];
        try {
            return timeHits(tags[frame] << blockShift, reads);
        } finally {
            referenced[frame] = reference;
            if (stamps != null) {
                stamps[frame] = stamp;
            }
            unpin(frame);
        }
    }

    private double timeHits(long addr, int reads) {
        long sink = 0;
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 8; round++) { // the fastest round: after the JIT has compiled the loop
            long t0 = System.nanoTime();
            for (int i = 0; i < reads; i++) {
                long stamp = tryBeginRead(addr);
                if (stamp == NO_STAMP) {
                    return -1; // evicted meanwhile
                }
                sink += frames.get(ValueLayout.JAVA_BYTE, offsetIn(stamp, addr));
                if (!endRead(stamp)) {
                    sink++;
                }
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        return sink == Long.MIN_VALUE ? -1 : (double) best / reads;
    }

    /**
     * Whether the memory nodes may lack a write to blocks {@code first..last}: a cached frame of the range has dirty
     * lines, is queued for write-back or pinned (a write-back in flight pins its frames), or any write-back round is
     * in flight at all (an evicted block's round no longer shows in its old frame). Conservative: false means every
     * write to the range was acknowledged, so an offload may read it without a {@link #force}.
     */
    boolean mayHaveUnwritten(long first, long last) {
        if (!inFlight.isEmpty()) {
            return true;
        }
        for (long b = first; b <= last; b++) {
            int f = index.find(b);
            if (f >= 0 && tags[f] == b
                    && (looksDirty(f) || ((long) STATE.getVolatile(state, f) & (QUEUED | PIN_MASK | LOCK)) != 0)) {
                return true;
            }
        }
        return !inFlight.isEmpty();
    }

    /** Whether every block of {@code [addr, +length)} is cached right now (a racy answer, for decisions only). */
    boolean isLoaded(long addr, long length) {
        for (long b = addr >>> blockShift, last = (addr + length - 1) >>> blockShift; b <= last; b++) {
            if (!isCached(b)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code block} is cached and usable right now. */
    boolean isCached(long block) {
        int f = index.find(block);
        return f >= 0 && ((long) STATE.getVolatile(state, f) & PHASE_MASK) == VALID && tags[f] == block;
    }

    /** A one-line census of the frames, for error messages. */
    String describeFrames() {
        int free = 0, filling = 0, valid = 0, evicting = 0, locked = 0, pinned = 0, queued = 0, dirtyFrames = 0;
        for (int f = 0; f < frameCount; f++) {
            long s = (long) STATE.getVolatile(state, f);
            long phase = s & PHASE_MASK;
            if (phase == FREE) {
                free++;
            } else if (phase == FILLING) {
                filling++;
            } else if (phase == VALID) {
                valid++;
            } else {
                evicting++;
            }
            locked += (s & LOCK) != 0 ? 1 : 0;
            pinned += (s & PIN_MASK) != 0 ? 1 : 0;
            queued += (s & QUEUED) != 0 ? 1 : 0;
            dirtyFrames += looksDirty(f) ? 1 : 0;
        }
        return frameCount + " frames: " + free + " free, " + filling + " filling, " + valid + " valid, " + evicting
                + " evicting; " + dirtyFrames + " dirty, " + pinned + " pinned, " + queued + " queued, " + locked
                + " locked; " + inFlight.size() + " write-back rounds pending";
    }

    CacheStats stats() {
        AccessCounters.Totals t = counters.sum();
        return new CacheStats(t.hits(), t.misses(), zeroFills.sum(), bytesFetched.sum(), bytesWrittenBack.sum(),
                t.bytesDirtied(), evictions.sum(), stalls.sum(), stallNanos.sum(), writeBacks.sum(),
                writeBackFailures.sum(), missNanos.sum(), reclaimer.hitNanos(), prefetcher.issued.sum(),
                prefetcher.useful.sum(), prefetcher.late.sum(), prefetcher.wasted.sum(), piggybacks.sum());
    }

    boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the far memory session is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        async.close();
        reclaimer.close();
        mapLock.lock();
        try {
            frameFreed.signalAll();
        } finally {
            mapLock.unlock();
        }
        arena.close();
    }
}
