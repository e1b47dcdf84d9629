package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static io.remem.client.FrameState.FILLING;
import static io.remem.client.FrameState.FREE;
import static io.remem.client.FrameState.LOCK;
import static io.remem.client.FrameState.PIN;
import static io.remem.client.FrameState.VALID;

/**
 * The local cache's frames: a fixed off-heap arena of blocks and, per frame, primitive arrays for its
 * {@link FrameState state word}, the block it holds (tag), its dirty lines and its reference. Also the block index,
 * the free list and the waits for fills, with the two operations every part of the cache shares: {@link #claimFree}
 * takes a free frame for a block, {@link #release} gives a frame back.
 *
 * <p>The index and the free list change together under the {@link #mapLock}; everything per frame is guarded by its
 * state word (see {@link LocalCache} for the protocol).
 */
final class FrameTable implements Victims.Frames {
    static final VarHandle STATE = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle DIRTY = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle REFERENCED = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final int FILL_STRIPES = 64;
    /** No block: the tag of a free frame. */
    static final long NO_BLOCK = -1;

    static final int LINE_SHIFT = 6;
    static final int LINE_SIZE = 1 << LINE_SHIFT;

    /** Not used since the eviction hand passed. */
    static final byte REF_NONE = 0;
    static final byte REF_USED = 1;
    /** Prefetched and not used yet. */
    static final byte REF_PREFETCHED = 2;
    /** A prefetch in flight. */
    static final byte REF_PREFETCHING = 3;
    /** Prefetched, not used, and already spared by one pass of the hand. */
    static final byte REF_PREFETCHED_SPARED = 4;

    final int blockShift;
    final int blockSize;
    final long blockMask;
    final int frameCount;
    final MemorySegment frames;
    final long[] state;
    final long[] tags;
    /** Per frame, one of the {@code REF_} values. */
    final byte[] referenced;
    final BlockIndex index;
    /** Guards the index and the free list together. */
    final ReentrantLock mapLock = new ReentrantLock();
    /** Signalled, under {@link #mapLock}, when a frame goes back on the free list. */
    final Condition frameFreed = mapLock.newCondition();

    private final Arena arena;
    private final int dirtyWords;
    private final long[] dirty;
    private final boolean lineDirty;
    /** FIFO: fill order; LRU: last use. Null under CLOCK. */
    private final long[] stamps;
    private final boolean lru;
    private long useSequence; // racy by design: an approximate order is all LRU and FIFO need
    private final int[] freeFrames;
    private int freeCount; // guarded by mapLock
    private final ReentrantLock[] fillLocks = new ReentrantLock[FILL_STRIPES];
    private final Condition[] fillDone = new Condition[FILL_STRIPES];
    private volatile boolean closed;

    FrameTable(CacheConfig config) {
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
            tags[f] = NO_BLOCK;
            freeFrames[freeCount++] = f;
        }
        for (int i = 0; i < FILL_STRIPES; i++) {
            fillLocks[i] = new ReentrantLock();
            fillDone[i] = fillLocks[i].newCondition();
        }
    }

    /** Offset in {@link #frames} of frame {@code f}. */
    long frameOffset(int f) {
        return (long) f << blockShift;
    }

    /** Frame {@code f}'s bytes. */
    MemorySegment frame(int f) {
        return frames.asSlice(frameOffset(f), blockSize);
    }

    long stateOf(int f) {
        return (long) STATE.getVolatile(state, f);
    }

    // ---------------------------------------------------------------------- the free list and the index

    int freeCount() {
        return freeCount; // a racy read is fine for watermark checks
    }

    /** The frame holding (or filling with) {@code block}, or -1; racy unless the map lock is held. */
    int find(long block) {
        return index.find(block);
    }

    /** Whether {@code block} is cached and usable right now. */
    boolean isCached(long block) {
        int f = index.find(block);
        return f >= 0 && FrameState.isValid(stateOf(f)) && tags[f] == block;
    }

    /**
     * Takes a free frame for {@code block}: FILLING in a new incarnation, tagged and indexed. The caller holds the map
     * lock and has seen a free frame; it fills the frame, then {@link #publish}es or {@link #abortFill}s it.
     */
    int claimFree(long block) {
        int f = freeFrames[--freeCount];
        beginFill(f, block);
        return f;
    }

    /**
     * Makes frame {@code f} (claimed, off the free list) FILLING with {@code block} and indexes it; returns the
     * FILLING state. The caller holds the map lock.
     */
    long beginFill(int f, long block) {
        long filling = startFilling(f, block);
        index.insert(block, f);
        return filling;
    }

    /** FILLING in the next incarnation and tagged, not yet indexed. */
    long startFilling(int f, long block) {
        long filling = FrameState.nextFilling(stateOf(f));
        STATE.setVolatile(state, f, filling);
        VarHandle.storeStoreFence(); // readers holding an old stamp must see the new incarnation first
        tags[f] = block;
        return filling;
    }

    /**
     * Frees frame {@code f}, whose state was {@code s}: unindexes {@code block} (unless {@link #NO_BLOCK}), makes the
     * frame FREE in the same incarnation, puts it on the free list and wakes one miss waiting for a frame (one frame
     * serves one; waking them all would only send the rest back to wait, each counted as another stall).
     */
    void release(int f, long block, long s) {
        free(f, block, s, false);
    }

    /** Puts back a frame that {@link #takeFree} took and that stayed FREE, waking every miss waiting for a frame. */
    void unclaim(int f) {
        free(f, NO_BLOCK, stateOf(f), true);
    }

    private void free(int f, long block, long s, boolean wakeAll) {
        mapLock.lock();
        try {
            if (block != NO_BLOCK) {
                index.remove(block);
            }
            STATE.setVolatile(state, f, FrameState.withPhase(s, FREE));
            freeFrames[freeCount++] = f;
            if (wakeAll) {
                frameFreed.signalAll();
            } else {
                frameFreed.signal();
            }
        } finally {
            mapLock.unlock();
        }
    }

    /** Takes FREE frame {@code f} off the free list, if it is still there. */
    boolean takeFree(int f) {
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

    // ---------------------------------------------------------------------- fills

    /** Publishes a filled frame as VALID and clean, with {@code reference}, already holding {@code pins} pins. */
    void publish(int f, long filling, byte reference, long pins) {
        int base = f * dirtyWords;
        for (int i = 0; i < dirtyWords; i++) {
            dirty[base + i] = 0;
        }
        referenced[f] = reference;
        if (stamps != null) {
            stamps[f] = ++useSequence;
        }
        STATE.setRelease(state, f, FrameState.withPhase(filling, VALID) + pins);
        signalFill(f);
    }

    /** A fill of {@code block} into frame {@code f} failed: the frame goes back, and its waiters look again. */
    void abortFill(int f, long block, long filling) {
        tags[f] = NO_BLOCK;
        free(f, block, filling, true);
        signalFill(f);
    }

    /** Waits until frame {@code f} is no longer in FILLING state {@code fillingState}. */
    void awaitFill(int f, long fillingState) {
        ReentrantLock lock = fillLocks[f & (FILL_STRIPES - 1)];
        lock.lock();
        try {
            while (stateOf(f) == fillingState) {
                fillDone[f & (FILL_STRIPES - 1)].await(100, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while waiting for a block fetch", e);
        } finally {
            lock.unlock();
        }
    }

    void signalFill(int f) {
        ReentrantLock lock = fillLocks[f & (FILL_STRIPES - 1)];
        lock.lock();
        try {
            fillDone[f & (FILL_STRIPES - 1)].signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------- dirty lines

    /** Marks lines {@code [offsetInBlock, +length)} of frame {@code f} dirty. The caller holds the frame's LOCK. */
    void markDirty(int f, long offsetInBlock, long length) {
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
     * Does the frame have dirty lines, read with acquire: if a snapshot cleared them, the round that took them was
     * registered before, and this thread sees it.
     */
    boolean dirtyForFlush(int f) {
        int base = f * dirtyWords;
        for (int i = 0; i < dirtyWords; i++) {
            if ((long) DIRTY.getAcquire(dirty, base + i) != 0) {
                return true;
            }
        }
        return false;
    }

    /** A copy of frame {@code f}'s dirty bits. The caller holds the frame's LOCK. */
    long[] dirtyBits(int f) {
        long[] bits = new long[dirtyWords];
        System.arraycopy(dirty, f * dirtyWords, bits, 0, dirtyWords);
        return bits;
    }

    /** Clears frame {@code f}'s dirty bits with release stores, after the round that took them was registered. */
    void clearDirtyAfterSnapshot(int f) {
        int base = f * dirtyWords;
        for (int i = 0; i < dirtyWords; i++) {
            DIRTY.setRelease(dirty, base + i, 0L);
        }
    }

    /** Drops frame {@code f}'s dirty bits: its data is garbage or moved. */
    void clearDirty(int f) {
        int base = f * dirtyWords;
        for (int i = 0; i < dirtyWords; i++) {
            dirty[base + i] = 0;
        }
    }

    /** Marks {@code bits} dirty again in frame {@code f}: a write-back of them failed. The caller holds the LOCK. */
    void redirty(int f, long[] bits) {
        int base = f * dirtyWords;
        for (int i = 0; i < bits.length; i++) {
            dirty[base + i] |= bits[i];
        }
    }

    /** Carries frame {@code from}'s dirty bits to frame {@code to}, for a move. */
    void moveDirty(int from, int to) {
        int a = from * dirtyWords;
        int b = to * dirtyWords;
        for (int i = 0; i < dirtyWords; i++) {
            dirty[b + i] = dirty[a + i];
            dirty[a + i] = 0;
        }
    }

    // ---------------------------------------------------------------------- references and use order

    /**
     * Sets frame {@code f}'s reference on a use; returns true if the frame held a prefetched block not used before,
     * which the prefetcher hears about exactly once (the CAS decides between racing readers, the hand and an eviction).
     */
    boolean markUsed(int f) {
        while (true) {
            byte was = (byte) REFERENCED.getVolatile(referenced, f);
            if (was != REF_PREFETCHED && was != REF_PREFETCHED_SPARED) {
                referenced[f] = REF_USED;
                return false;
            }
            if (REFERENCED.compareAndSet(referenced, f, was, REF_USED)) {
                return true;
            }
        }
    }

    /** Claims a prefetched, unused frame's reference for an eviction: true if it was one, to be counted wasted. */
    boolean claimUnusedPrefetch(int f) {
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

    /** Whether the frame holds a prefetched block nobody has used yet, or one still arriving. */
    boolean prefetchedUnused(int f) {
        byte r = referenced[f];
        return r == REF_PREFETCHED || r == REF_PREFETCHED_SPARED || r == REF_PREFETCHING;
    }

    /** LRU: frame {@code f} was just used. */
    void recordUse(int f) {
        if (lru) {
            stamps[f] = ++useSequence;
        }
    }

    /** Frame {@code f} takes over frame {@code g}'s place in the use order (a move). */
    void inheritUse(int f, int g) {
        if (stamps != null) {
            stamps[f] = stamps[g];
        }
    }

    /** Frame {@code f}'s place in the use order, for {@link #restoreUse} after a use that was not the application's. */
    long useStamp(int f) {
        return stamps == null ? 0 : stamps[f];
    }

    void restoreUse(int f, byte reference, long stamp) {
        referenced[f] = reference;
        if (stamps != null) {
            stamps[f] = stamp;
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

    @Override
    public boolean evictable(int f) {
        return FrameState.isIdle(stateOf(f));
    }

    // ---------------------------------------------------------------------- pins and locks on one frame

    /** Adds a pin to frame {@code f} if it is still VALID in {@code incarnation}. */
    boolean tryPin(int f, long incarnation) {
        while (true) {
            long s = stateOf(f);
            if (!FrameState.isValid(s) || FrameState.incarnation(s) != incarnation || FrameState.pinsFull(s)) {
                return false;
            }
            if (!FrameState.isLocked(s) && STATE.compareAndSet(state, f, s, s + PIN)) {
                return true;
            }
            Thread.onSpinWait();
        }
    }

    void unpin(int f) {
        int spins = 0;
        while (true) {
            long s = stateOf(f);
            if (!FrameState.isLocked(s) && STATE.compareAndSet(state, f, s, s - PIN)) {
                return;
            }
            backOff(++spins);
        }
    }

    /** Takes frame {@code f}'s LOCK whatever its phase, spinning; returns the state before. */
    long lock(int f) {
        int spins = 0;
        while (true) {
            long s = stateOf(f);
            if (!FrameState.isLocked(s) && STATE.compareAndSet(state, f, s, s | LOCK)) {
                return s;
            }
            backOff(++spins);
        }
    }

    static void backOff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    // ---------------------------------------------------------------------- lifecycle

    /** A one-line census of the frames, for error messages. */
    String census() {
        int free = 0, filling = 0, valid = 0, evicting = 0, locked = 0, pinned = 0, queued = 0, dirtyFrames = 0;
        for (int f = 0; f < frameCount; f++) {
            long s = stateOf(f);
            long phase = FrameState.phase(s);
            if (phase == FREE) {
                free++;
            } else if (phase == FILLING) {
                filling++;
            } else if (phase == VALID) {
                valid++;
            } else {
                evicting++;
            }
            locked += FrameState.isLocked(s) ? 1 : 0;
            pinned += FrameState.isPinned(s) ? 1 : 0;
            queued += FrameState.isQueued(s) ? 1 : 0;
            dirtyFrames += looksDirty(f) ? 1 : 0;
        }
        return frameCount + " frames: " + free + " free, " + filling + " filling, " + valid + " valid, " + evicting
                + " evicting; " + dirtyFrames + " dirty, " + pinned + " pinned, " + queued + " queued, " + locked
                + " locked";
    }

    boolean isClosed() {
        return closed;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the far memory session is closed");
        }
    }

    /** Marks the table closed and wakes every wait for a frame; {@link #freeArena} once nothing runs any more. */
    void close() {
        closed = true;
        mapLock.lock();
        try {
            frameFreed.signalAll();
        } finally {
            mapLock.unlock();
        }
    }

    void freeArena() {
        arena.close();
    }
}
