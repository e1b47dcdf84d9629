package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;

import java.util.random.RandomGenerator;

/**
 * Picks the ids of a new run of slabs: consecutive (a run is one range of far addresses) and starting at a random
 * point of the id space, so a tenant cannot guess another's slab ids from its own. The id space is everything a far
 * address can hold: {@code 2^(63 - slabShift)} ids, 2^37 with 64 MiB slabs.
 */
final class SlabIds {
    private static final int ATTEMPTS = 64;

    private final long limit;
    private final RandomGenerator random;

    SlabIds(int slabShift, RandomGenerator random) {
        this.limit = 1L << (Limits.FAR_ADDRESS_BITS - slabShift);
        this.random = random;
    }

    /** Whether ids {@code [first, first + count)} are all unused. */
    @FunctionalInterface
    interface Range {
        boolean free(long first, long count);
    }

    /**
     * The first id of {@code span} consecutive ids that are all {@code free}; a run of fewer slabs than that keeps
     * the rest of its span for growing into (a dataset). Id 0 is never handed out, so a far address of 0 is never
     * valid.
     */
    long pick(long span, Range free) {
        if (span >= limit - 1) {
            throw new RememException(ErrorCode.TOO_LARGE, span + " slabs do not fit in the id space of " + limit);
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long first = 1 + random.nextLong(limit - span);
            if (free.free(first, span)) {
                return first;
            }
        }
        throw new RememException(ErrorCode.CLUSTER_OUT_OF_CAPACITY, "found no free range of " + span
                + " slab ids in " + ATTEMPTS + " tries; the id space of " + limit + " is nearly full");
    }
}
