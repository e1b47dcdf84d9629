package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Where a new run's slab ids go: a random range ({@link SlabIds}), or the ids right after a growing dataset, never
 * over a slab, a run being reserved, or a growable dataset's window (its own excepted when it grows into it). Holds
 * the window of a growable dataset being created until its run commits or aborts. Not thread-safe: the metadata's
 * lock guards it, and the maps it is given.
 */
final class IdSpace {
    private final SlabIds ids;
    private final long limit;
    private final long slabSize;
    private final Map<Long, SlabRecord> slabs;
    private final Map<Long, String> reserved;
    private final Datasets datasets;
    /** The id windows of datasets being created (first id to end, exclusive), until their runs commit or abort. */
    private final Map<Long, Long> pendingWindows = new HashMap<>();

    IdSpace(int slabShift, RandomGenerator random, Map<Long, SlabRecord> slabs, Map<Long, String> reserved,
            Datasets datasets) {
        this.ids = new SlabIds(slabShift, random);
        this.limit = 1L << (Limits.FAR_ADDRESS_BITS - slabShift);
        this.slabSize = 1L << slabShift;
        this.slabs = slabs;
        this.reserved = reserved;
        this.datasets = datasets;
    }

    /**
     * The first id of {@code count} slabs shaped as {@code shape}.
     *
     * @throws RememException INVALID_ARGUMENT if the shape names ids that are taken (no node coming back frees them,
     *                        so it is not a capacity error anyone should wait out); CLUSTER_OUT_OF_CAPACITY if no
     *                        random range is free
     */
    long place(long count, RunShape shape) {
        long id = shape.firstId();
        if (id == 0) {
            return ids.pick(Math.max(count, shape.span()), (first, n) -> free(first, n, 0));
        }
        if (id + count > limit || !free(id, count, shape.window())) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab ids " + id + ".." + (id + count - 1)
                    + " are taken or past the id space; the run cannot grow there (a dataset created before"
                    + " growth existed may have neighbours)");
        }
        return id;
    }

    /** A run of {@code count} slabs from {@code first} is reserved: keeps the rest of its shape's span free for it. */
    void hold(long first, long count, RunShape shape) {
        if (shape.span() > count) {
            pendingWindows.put(first, first + shape.span());
        }
    }

    /** The run from {@code first} was committed or aborted: its dataset's window, if any, is the dataset's now. */
    void settled(long first) {
        pendingWindows.remove(first);
    }

    /**
     * Whether no slab, reservation or dataset window (but {@code ownWindow}'s, a dataset growing into its own) holds
     * an id of {@code [first, first + n)}. Per id for a short range, per slab for a long one.
     */
    private boolean free(long first, long n, long ownWindow) {
        if (datasets.windowOverlaps(first, n, ownWindow, id -> slabs.get(id).size() == slabSize)) {
            return false;
        }
        for (Map.Entry<Long, Long> w : pendingWindows.entrySet()) {
            if (w.getKey() < first + n && w.getValue() > first) {
                return false;
            }
        }
        if (n <= slabs.size() + reserved.size()) {
            for (long id = first; id < first + n; id++) {
                if (slabs.containsKey(id) || reserved.containsKey(id)) {
                    return false;
                }
            }
            return true;
        }
        for (Map<Long, ?> m : List.of(slabs, reserved)) {
            for (long id : m.keySet()) {
                if (id >= first && id < first + n) {
                    return false;
                }
            }
        }
        return true;
    }
}
