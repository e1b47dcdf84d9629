package io.remem.client;

import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.List;

/**
 * Ranges of a coherent dataset taken for writing ({@link Dataset#acquire}): each range's bytes as committed when
 * acquired, in a local buffer to read and change freely, then {@link #commit} publishes them all at once, or
 * {@link #close} drops them. Under MRSW the ranges are this runtime's alone until then; under MRMW others may write
 * them too, and a commit after theirs fails with {@link CommitConflictException}.
 *
 * <p>An acquisition belongs to the thread that made it: commit or close it there.
 */
public final class Acquisition implements AutoCloseable {
    private final Coherence coherence;
    final List<FarRange> ranges;
    final List<MemorySegment> buffers;
    final BitSet stripes;
    /** MRMW: the stripes' sequences when read. */
    final long[] sequences;
    private final Thread owner = Thread.currentThread();
    private boolean done;

    Acquisition(Coherence coherence, List<FarRange> ranges, List<MemorySegment> buffers, BitSet stripes, long[] sequences) {
        this.coherence = coherence;
        this.ranges = List.copyOf(ranges);
        this.buffers = List.copyOf(buffers);
        this.stripes = stripes;
        this.sequences = sequences;
    }

    /** How many ranges. */
    public int rangeCount() {
        return ranges.size();
    }

    public FarRange range(int i) {
        return ranges.get(i);
    }

    /** Range {@code i}'s bytes, 8-byte aligned: change them here, and {@link #commit} publishes them. */
    public MemorySegment buffer(int i) {
        check();
        return buffers.get(i);
    }

    /** The first range's bytes. */
    public MemorySegment buffer() {
        return buffer(0);
    }

    /**
     * Publishes every range's buffer at once: when this returns, they are on every replica and every runtime's
     * {@link Dataset#read} sees them, and no reader ever saw part of them without the rest. Then releases the ranges.
     *
     * @throws CommitConflictException (MRMW) another runtime committed to the same stripes first; nothing was applied
     */
    public void commit() {
        check();
        done = true;
        coherence.commit(this);
    }

    /** Releases the ranges without publishing, if not committed. */
    @Override
    public void close() {
        if (!done) {
            check();
            done = true;
            coherence.abandon(this);
        }
    }

    private void check() {
        if (Thread.currentThread() != owner) {
            throw new WrongThreadException("an acquisition belongs to the thread that made it (" + owner.getName() + ")");
        }
        if (done) {
            throw new IllegalStateException("this acquisition was committed or closed");
        }
    }
}
