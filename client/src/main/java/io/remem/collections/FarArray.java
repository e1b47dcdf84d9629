package io.remem.collections;

import io.remem.client.Aggregate;
import io.remem.client.FarMemory;
import io.remem.client.FarSegment;
import io.remem.client.Offload;
import io.remem.client.OffloadMode;
import io.remem.protocol.ElementType;
import io.remem.protocol.Filter;

import java.util.Objects;

/**
 * What the primitive far arrays share: the owned far memory, its element width, the read-ahead window, the lifecycle
 * and the offloaded scans. The typed accessors stay in the subclasses, where they compile to one cache access each.
 */
abstract sealed class FarArray implements AutoCloseable permits FarByteArray, FarDoubleArray, FarLongArray {
    final FarSegment owned;
    final FarSegment segment;
    final long length;
    final int shift;
    final Window window;
    private final Offload offload;
    /** Whether {@link #close} frees the memory: not for a view of a dataset's, which outlives the view. */
    private final boolean owns;

    FarArray(FarMemory memory, long length, int shift) {
        this(memory, Window.allocate(memory, length, shift), length, shift, true);
    }

    /** A view of the whole of {@code over}, as many elements as fit; {@link #close} leaves it to its owner. */
    FarArray(FarMemory memory, FarSegment over, int shift) {
        this(memory, over, over.byteSize() >>> shift, shift, false);
    }

    private FarArray(FarMemory memory, FarSegment owned, long length, int shift, boolean owns) {
        this.owned = owned;
        this.segment = owned.asSlice(0, length << shift);
        this.length = length;
        this.shift = shift;
        this.window = Window.of(memory);
        this.offload = memory.offload();
        this.owns = owns;
    }

    public long length() {
        return length;
    }

    /** The backing far memory, {@code length} elements in the layout the subclass describes. Freed by {@link #close}. */
    public FarSegment segment() {
        return segment;
    }

    /**
     * Frees the far memory. Idempotent; afterwards every access throws {@link IllegalStateException}. A view of a
     * dataset frees nothing: the dataset's memory lives until the dataset is deleted.
     */
    @Override
    public synchronized void close() {
        if (owns && owned.isAlive()) {
            owned.free();
        }
    }

    final void checkOpen() {
        if (!owned.isAlive()) {
            throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }
    }

    /** An offloaded or pulled aggregate over elements {@code [from, to)} of 8-byte type {@code type}. */
    final Aggregate aggregate(long from, long to, ElementType type, Filter filter, OffloadMode mode) {
        Objects.checkFromToIndex(from, to, length);
        checkOpen();
        return offload.aggregate(segment, from << shift, to - from, type, filter, mode);
    }

    /** An offloaded or pulled select over elements {@code [from, to)}; returns array indexes. */
    final long[] select(long from, long to, ElementType type, Filter filter, OffloadMode mode) {
        Objects.checkFromToIndex(from, to, length);
        checkOpen();
        long[] positions = offload.select(segment, from << shift, to - from, type, filter, mode);
        for (int i = 0; i < positions.length; i++) {
            positions[i] += from;
        }
        return positions;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[length=" + length + (owned.isAlive() ? "" : ", closed") + "]";
    }
}
