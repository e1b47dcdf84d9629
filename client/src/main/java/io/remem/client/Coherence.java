package io.remem.client;

import io.remem.protocol.DatasetMode;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * Hotpot's coherence for one dataset, adapted to remem: data cut into stripes, each with a far lock and a sequence
 * word at the memory node; a commit is redo-logged to every replica, then applied between an odd and an even step of
 * its stripes' sequences. Nothing here goes through the local cache ({@link NodeAccess}), so no cached copy can be
 * stale: a read is fresh, and validated by its stripes' sequences before and after, so it sees whole commits only.
 *
 * <ul>
 *   <li>MRSW: {@link #acquire} locks the stripes (ascending, so writers never deadlock) and reads the ranges;
 *       {@link #commit} publishes and unlocks.</li>
 *   <li>MRMW: acquire reads a validated snapshot and remembers its sequences, locking nothing; commit runs three
 *       phases: prepare (lock the stripes, check their sequences are unchanged, else abort), commit (log, apply),
 *       release.</li>
 * </ul>
 * Commits of one dataset apply one at a time under its log lock; a committer that finds the log holding a commit of
 * a dead runtime applies that first (roll forward).
 */
final class Coherence {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    /** How long a stripe may stay odd before a reader asks whether its committer is alive. */
    private static final long PROBE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    final String name;
    final DatasetMode mode;
    /** Grows when the dataset does ({@link #learnTotal}); its header, log and stripes never move. */
    volatile CoherenceLayout layout;
    private final long base;
    private final NodeAccess far;
    private final CommitLog log;
    /** The header as a segment, for far atomics; null when this runtime may only read. */
    private final FarSegment words;
    private final FarLock logLock;
    private final FarLock[] stripeLocks;
    private final LongPredicate alive;
    private final long owner;
    /** Learns the dataset's size now from the controller (it may have grown), calling {@link #learnTotal}. */
    private final Runnable refresh;
    /** A logged commit seen touching stripes being read, and since when: if it stays, its committer may be dead. */
    private volatile long lingeringLog;
    private volatile long lingeringSince;

    /**
     * @param totalBytes the dataset's size in all, as the controller reported it
     * @param words      its header, for far atomics; null if this runtime may only read it
     */
    Coherence(String name, DatasetMode mode, long totalBytes, long base, NodeAccess far, FarSegment words,
              FarMemory memory, LongPredicate alive, long owner, Runnable refresh) {
        this.name = name;
        this.mode = mode;
        this.base = base;
        this.far = far;
        this.layout = layoutOf(name, totalBytes, base, far, words);
        this.log = new CommitLog(far, base, layout);
        this.words = words;
        this.alive = alive;
        this.owner = owner;
        this.refresh = refresh;
        if (words != null) {
            logLock = memory.lock(words, 0);
            stripeLocks = new FarLock[layout.stripes];
            for (int i = 0; i < stripeLocks.length; i++) {
                stripeLocks[i] = memory.lock(words, CoherenceLayout.lockWord(i));
            }
        } else {
            logLock = null;
            stripeLocks = null;
        }
    }

    /**
     * The layout from the data size the dataset was created with, as its header keeps it. The first runtime that can
     * write sets it (a far compare-and-set, so all agree) from the size a dataset that never grew has; one that grows
     * it sets it first, so while the word is 0 the size now is the size it was created with.
     */
    private static CoherenceLayout layoutOf(String name, long totalBytes, long base, NodeAccess far, FarSegment words) {
        long guess;
        try {
            guess = CoherenceLayout.forTotal(totalBytes).createdBytes;
        } catch (IllegalArgumentException e) {
            guess = 0; // it grew: the header says from what
        }
        long created;
        if (words != null) {
            long witness = guess == 0 ? words.getAtNode(CoherenceLayout.CREATED_BYTES)
                    : words.compareAndExchangeAtNode(CoherenceLayout.CREATED_BYTES, 0, guess);
            created = witness != 0 ? witness : guess;
        } else {
            MemorySegment w = NodeAccess.buffer(8);
            far.read(base + CoherenceLayout.CREATED_BYTES, w);
            created = w.get(LONG, 0) != 0 ? w.get(LONG, 0) : guess;
        }
        if (created == 0) {
            throw new IllegalArgumentException("dataset " + name + " of " + totalBytes + " bytes is not laid out for"
                    + " coherence");
        }
        return CoherenceLayout.of(created, totalBytes);
    }

    /** The dataset now holds {@code totalBytes} in all (it grew, here or in another runtime). */
    synchronized void learnTotal(long totalBytes) {
        layout = layout.withTotal(totalBytes);
    }

    // ------------------------------------------------------------------ readers

    /** Copies committed bytes {@code [offset, +dst.byteSize())} into {@code dst}: whole commits only, never older. */
    void read(long offset, MemorySegment dst) {
        checkRange(offset, dst.byteSize());
        if (dst.byteSize() == 0) {
            return;
        }
        BitSet stripes = stripesOf(List.of(new FarRange(offset, dst.byteSize())));
        snapshot(stripes, () -> far.read(base + layout.dataOffset + offset, dst));
    }

    /**
     * Runs {@code reads} between two reads of the stripes' sequences until both show the same even values, and
     * returns those values: the reads then saw no commit in progress and none completed meanwhile.
     */
    private long[] snapshot(BitSet stripes, Runnable reads) {
        long oddSince = 0;
        for (int attempt = 0; ; attempt++) {
            Header before = header();
            if (words != null && before.logTouches(stripes) && lingering(before)) {
                recover(); // logged, and its committer died before applying it: roll it forward, so it shows
                continue;
            }
            if (before.anyOdd(stripes)) {
                long now = System.nanoTime();
                oddSince = oddSince == 0 ? now : oddSince;
                if (now - oddSince > PROBE_AFTER_NANOS && before.logHolderGone(alive) && words != null) {
                    recover(); // its committer died mid-apply: finish its commit for it
                    oddSince = 0;
                }
                backOff(attempt);
                continue;
            }
            reads.run();
            Header after = header();
            if (after.sameSequences(before, stripes)) {
                return before.sequences(stripes);
            }
            oddSince = 0;
        }
    }

    /** Whether the logged commit has stayed in the log for a while and no live runtime holds the log lock. */
    private boolean lingering(Header h) {
        long now = System.nanoTime();
        if (lingeringLog != h.logId) {
            lingeringLog = h.logId;
            lingeringSince = now;
            return false;
        }
        return now - lingeringSince > PROBE_AFTER_NANOS && h.logHolderGone(alive);
    }

    // ------------------------------------------------------------------ writers

    Acquisition acquire(List<FarRange> ranges) {
        if (words == null) {
            throw new UnsupportedOperationException("dataset " + name + " was granted to this tenant for reading only");
        }
        long logBytes = 0;
        for (FarRange r : ranges) {
            checkRange(r.offset(), r.length());
            logBytes += CommitLog.bytesFor(r.length());
        }
        if (ranges.isEmpty() || logBytes > layout.logCapacity()) {
            throw new IllegalArgumentException("acquire between 1 byte and " + (layout.logCapacity()
                    - CommitLog.ENTRY_HEADER) + " bytes of dataset " + name + " at once (its commit log's size); asked "
                    + ranges);
        }
        BitSet stripes = stripesOf(ranges);
        List<MemorySegment> buffers = new ArrayList<>(ranges.size());
        for (FarRange r : ranges) {
            buffers.add(NodeAccess.buffer(r.length()));
        }
        Runnable readAll = () -> {
            for (int i = 0; i < ranges.size(); i++) {
                far.read(base + layout.dataOffset + ranges.get(i).offset(), buffers.get(i));
            }
        };
        if (mode == DatasetMode.MRSW) {
            lock(stripes);
            try {
                Header h = header();
                if (h.anyOdd(stripes) || h.logTouches(stripes)) {
                    recover(); // we hold its stripes, so their committer is gone
                }
                readAll.run();
                return new Acquisition(this, ranges, buffers, stripes, null);
            } catch (RuntimeException | Error e) {
                unlock(stripes);
                throw e;
            }
        }
        return new Acquisition(this, ranges, buffers, stripes, snapshot(stripes, readAll));
    }

    /** Publishes an acquisition's buffers and releases what it holds; the three phases under MRMW. */
    void commit(Acquisition a) {
        if (mode == DatasetMode.MRMW) {
            lock(a.stripes); // prepare
            try {
                Header h = header();
                if (h.anyOdd(a.stripes) || h.logTouches(a.stripes)) {
                    recover();
                    h = header();
                }
                long[] now = h.sequences(a.stripes);
                if (!Arrays.equals(now, a.sequences)) {
                    throw new CommitConflictException("dataset " + name + ": another runtime committed to the same"
                            + " stripes since this acquisition read them; acquire again and redo the change");
                }
                CommitPhases.reached(CommitPhases.PREPARED);
                apply(a);
            } finally {
                unlock(a.stripes); // release
            }
        } else {
            try {
                apply(a);
            } finally {
                unlock(a.stripes);
            }
        }
    }

    /** Releases an acquisition without publishing anything. */
    void abandon(Acquisition a) {
        if (mode == DatasetMode.MRSW) {
            unlock(a.stripes);
        }
    }

    /** Logs the commit on every replica, marks its stripes odd, writes its bytes, marks them even, empties the log. */
    private void apply(Acquisition a) {
        List<CommitLog.Entry> entries = new ArrayList<>(a.ranges.size());
        for (int i = 0; i < a.ranges.size(); i++) {
            entries.add(new CommitLog.Entry(a.ranges.get(i).offset(), a.buffers.get(i)));
        }
        logLock.lock();
        try {
            Header h = header();
            if (h.logId != 0) {
                recover(h); // a dead committer's, which we hold the log lock over now
                h = header();
            }
            long id = ThreadLocalRandom.current().nextLong() | 1;
            try {
                publish(id, entries, a.stripes, h);
            } catch (RememException e) {
                settle(id, e);
            }
        } finally {
            logLock.unlock();
        }
    }

    /** The steps of a commit after the log lock's header read. */
    private void publish(long id, List<CommitLog.Entry> entries, BitSet stripes, Header h) {
        log.write(id, entries, stripes);
        CommitPhases.reached(CommitPhases.LOGGED);
        sequences(far.writes(), stripes, h, 1).send();
        CommitPhases.reached(CommitPhases.MARKED);
        writeData(entries);
        CommitPhases.reached(CommitPhases.APPLIED);
        // Even again and the log empty, in one round: if only one of the two lands, recovery finishes the other.
        NodeAccess.Writes done = sequences(far.writes(), stripes, h, 2);
        log.clear(done);
        done.send();
        CommitPhases.reached(CommitPhases.CLEARED);
    }

    /**
     * After a commit failed somewhere in {@link #publish}, still holding the log lock: finish it from its log if the
     * log is whole (then it did commit, and the caller must not retry it), or drop it if not (then nothing of it
     * landed). A caller must never see a failure for a commit that a later runtime applies anyway.
     */
    private void settle(long id, RememException cause) {
        try {
            Header now = header();
            boolean ours = now.logId == id && log.read(id, now.logStripes(), layout.dataBytes) != null;
            recover(now);
            if (ours) {
                return; // finished from its own log: committed
            }
        } catch (RememException again) {
            cause.addSuppressed(again);
            throw new RememException(cause.code(), "commit to dataset " + name + " failed and its outcome is unknown"
                    + " (the next writer may still apply it from its log): " + cause.detail(), cause);
        }
        throw cause; // its log never became whole: nothing of it was applied
    }

    /** Finishes whatever commit the log holds, under the log lock. */
    private void recover() {
        logLock.lock();
        try {
            recover(header());
        } finally {
            logLock.unlock();
        }
    }

    /** With the log lock held: applies the commit a dead runtime left in the log, and makes its stripes even. */
    private void recover(Header h) {
        BitSet touched = h.logStripes();
        CommitLog.Pending p;
        try {
            p = log.read(h.logId, touched, layout.dataBytes);
        } catch (CommitLog.BeyondSizeException e) {
            refresh.run(); // logged by a runtime that knew the dataset grown: learn its size and slabs, then apply it
            try {
                p = log.read(h.logId, touched, layout.dataBytes);
            } catch (CommitLog.BeyondSizeException still) {
                // Past what the controller says the dataset holds: no runtime could have known such a size, so a
                // writer wrote it to jam the dataset. Dropped like a torn log, so it cannot block every later commit.
                p = null;
            }
        }
        NodeAccess.Writes finish = far.writes();
        if (p != null) {
            // Odd first (those the dead committer had not marked yet): readers must not see the replay half-written.
            sequences(far.writes(), touched, h, 1).send();
            writeData(p.entries());
            sequences(finish, touched, h, 2);
        } else {
            // Torn while being logged, or an empty log: none of it landed. Only a whole log marks stripes odd, so an
            // odd stripe here had its commit applied and lost only its last round.
            BitSet odd = new BitSet();
            for (int s = 0; s < layout.stripes; s++) {
                if ((h.sequence(s) & 1) != 0) {
                    odd.set(s);
                }
            }
            for (int st = odd.nextSetBit(0); st >= 0; st = odd.nextSetBit(st + 1)) {
                MemorySegment word = NodeAccess.buffer(8);
                word.set(LONG, 0, h.sequence(st) + 1); // the even value just above: its commit had landed
                finish.add(base + CoherenceLayout.sequenceWord(st), word);
            }
        }
        if (h.logId != 0) {
            log.clear(finish);
        }
        finish.send();
    }

    private void writeData(List<CommitLog.Entry> entries) {
        NodeAccess.Writes w = far.writes();
        for (CommitLog.Entry e : entries) {
            w.add(base + layout.dataOffset + e.offset(), e.bytes());
        }
        w.send();
    }

    /**
     * Adds to {@code w} the stripes' sequence words moved past what {@code h} showed: {@code steps} 1 is the next odd
     * value above it (a commit being applied), 2 the even one after that. Always above, never back to a value seen
     * before: a header read from a replica that lagged one round behind must not let a word repeat a value a reader
     * validated against. Only the log lock's holder writes them, so a plain write to every replica does, in a round
     * with whatever must land with it: one round trip, where a far atomic takes two at two or more copies.
     */
    private NodeAccess.Writes sequences(NodeAccess.Writes w, BitSet stripes, Header h, int steps) {
        for (int s = stripes.nextSetBit(0); s >= 0; s = stripes.nextSetBit(s + 1)) {
            long seen = h.sequence(s);
            long odd = (seen & 1) == 0 ? seen + 1 : seen + 2;
            MemorySegment word = NodeAccess.buffer(8);
            word.set(LONG, 0, odd + steps - 1);
            w.add(base + CoherenceLayout.sequenceWord(s), word);
        }
        return w;
    }

    private void lock(BitSet stripes) {
        for (int s = stripes.nextSetBit(0); s >= 0; s = stripes.nextSetBit(s + 1)) {
            if (stripeLocks[s].isHeldByCurrentThread()) {
                // The far word already names this session: a nested acquisition would pass and then release it early.
                throw new IllegalStateException("this thread already holds stripe " + s + " of dataset " + name
                        + ": commit or close its acquisition first (no nested acquisitions of one stripe)");
            }
        }
        int taken = -1;
        try {
            for (int s = stripes.nextSetBit(0); s >= 0; s = stripes.nextSetBit(s + 1)) {
                stripeLocks[s].lock();
                taken = s;
            }
        } catch (RuntimeException | Error e) {
            for (int s = stripes.nextSetBit(0); s >= 0 && s <= taken; s = stripes.nextSetBit(s + 1)) {
                stripeLocks[s].unlock();
            }
            throw e;
        }
    }

    private void unlock(BitSet stripes) {
        RuntimeException first = null;
        for (int s = stripes.nextSetBit(0); s >= 0; s = stripes.nextSetBit(s + 1)) {
            try {
                stripeLocks[s].unlock();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    // ------------------------------------------------------------------ the header

    private Header header() {
        MemorySegment h = NodeAccess.buffer(CoherenceLayout.lockWord(layout.stripes));
        far.read(base, h);
        return new Header(h);
    }

    /**
     * The header page as read in one fetch. Each aligned 8-byte word is read whole: a memory node copies slab memory
     * in units of its alignment, and its atomics write the same words.
     */
    private final class Header {
        private final MemorySegment bytes;
        final long logId;

        Header(MemorySegment bytes) {
            this.bytes = bytes;
            this.logId = bytes.get(LONG, CoherenceLayout.LOG_ID);
        }

        long sequence(int stripe) {
            return bytes.get(LONG, CoherenceLayout.sequenceWord(stripe));
        }

        boolean anyOdd(BitSet stripes) {
            for (int s = stripes.nextSetBit(0); s >= 0; s = stripes.nextSetBit(s + 1)) {
                if ((sequence(s) & 1) != 0) {
                    return true;
                }
            }
            return false;
        }

        long[] sequences(BitSet stripes) {
            return stripes.stream().mapToLong(this::sequence).toArray();
        }

        boolean sameSequences(Header other, BitSet stripes) {
            for (int s = stripes.nextSetBit(0); s >= 0; s = stripes.nextSetBit(s + 1)) {
                if (sequence(s) != other.sequence(s)) {
                    return false;
                }
            }
            return true;
        }

        BitSet logStripes() {
            long[] bits = new long[4];
            for (int i = 0; i < 4; i++) {
                bits[i] = bytes.get(LONG, CoherenceLayout.LOG_STRIPES + 8L * i);
            }
            return BitSet.valueOf(bits);
        }

        boolean logTouches(BitSet stripes) {
            return logId != 0 && logStripes().intersects(stripes);
        }

        /** Whether the log lock is free or held by a runtime whose lease ended, so no one is finishing the commit. */
        boolean logHolderGone(LongPredicate alive) {
            long holder = bytes.get(LONG, 0);
            return holder == 0 || holder != owner && !alive.test(holder);
        }
    }

    // ------------------------------------------------------------------ helpers

    BitSet stripesOf(List<FarRange> ranges) {
        CoherenceLayout l = layout;
        BitSet out = new BitSet(l.stripes);
        for (FarRange r : ranges) {
            l.stripesOf(r.offset(), r.end(), out);
        }
        return out;
    }

    private void checkRange(long offset, long length) {
        long bytes = layout.dataBytes;
        if (offset < 0 || length < 0 || length > bytes - offset) {
            throw new IndexOutOfBoundsException("range [" + offset + ", +" + length + ") is outside dataset " + name
                    + " of " + bytes + " bytes");
        }
    }

    private static void backOff(int attempt) {
        try {
            TimeUnit.MICROSECONDS.sleep(Math.min(20_000, 20L << Math.min(attempt, 10)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while waiting for a commit to finish", e);
        }
    }
}
