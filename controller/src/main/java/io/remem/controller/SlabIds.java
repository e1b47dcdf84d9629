package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;

import java.util.function.LongPredicate;
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

    /**
     * The first id of {@code count} consecutive ids none of which is {@code taken} by a slab or {@code reserved} by an
     * allocation in progress. Id 0 is never handed out, so a far address of 0 is never valid.
     */
    long pick(int count, LongPredicate reserved, LongPredicate taken) {
        if (count >= limit - 1) {
            throw new RememException(ErrorCode.TOO_LARGE, count + " slabs do not fit in the id space of " + limit);
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long first = 1 + random.nextLong(limit - count);
            if (free(first, count, reserved, taken)) {
                return first;
            }
        }
        throw new RememException(ErrorCode.CLUSTER_OUT_OF_CAPACITY, "found no free range of " + count
                + " slab ids in " + ATTEMPTS + " tries; the id space of " + limit + " is nearly full");
    }

    private static boolean free(long first, int count, LongPredicate reserved, LongPredicate taken) {
        for (long id = first; id < first + count; id++) {
            if (reserved.test(id) || taken.test(id)) {
                return false;
            }
        }
        return true;
    }
}
