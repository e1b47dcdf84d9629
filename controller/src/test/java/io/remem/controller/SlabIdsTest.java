package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.LongPredicate;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SlabIdsTest {
    private static final int SHIFT = 26;
    /** Ids a far address can hold with 64 MiB slabs: 2^37. */
    private static final long LIMIT = 1L << (Limits.FAR_ADDRESS_BITS - SHIFT);
    private static final LongPredicate NONE = id -> false;

    /** Free where neither predicate holds an id of the range, asking per id as the metadata does for short ranges. */
    private static SlabIds.Range unless(LongPredicate reserved, LongPredicate taken) {
        return (first, n) -> {
            for (long id = first; id < first + n; id++) {
                if (reserved.test(id) || taken.test(id)) {
                    return false;
                }
            }
            return true;
        };
    }

    /** Draws {@code draws} in order from {@code nextLong(bound)}, checking each is within the bound asked for. */
    private static RandomGenerator drawing(long... draws) {
        return new RandomGenerator() {
            private int next;

            @Override
            public long nextLong() {
                throw new AssertionError("SlabIds draws within a bound");
            }

            @Override
            public long nextLong(long bound) {
                assertThat(next).as("more draws than the test scripted").isLessThan(draws.length);
                long d = draws[next++];
                assertThat(d).as("scripted draw within the bound").isBetween(0L, bound - 1);
                return d;
            }
        };
    }

    /** Draws the lowest or the highest value SlabIds could be given, every time, recording the bounds asked for. */
    private static final class Extreme implements RandomGenerator {
        private final boolean highest;
        final List<Long> bounds = new ArrayList<>();

        Extreme(boolean highest) {
            this.highest = highest;
        }

        @Override
        public long nextLong() {
            throw new AssertionError("SlabIds draws within a bound");
        }

        @Override
        public long nextLong(long bound) {
            bounds.add(bound);
            return highest ? bound - 1 : 0;
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 1000, 1 << 20})
    void theLowestPickIsIdOneNeverZero(int count) {
        // A far address of 0 must never be valid, so the run starting lowest starts at 1.
        assertThat(new SlabIds(SHIFT, new Extreme(false)).pick(count, unless(NONE, NONE))).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 1000, 1 << 20})
    void theHighestPickEndsAtTheLastIdOfTheSpace(int count) {
        Extreme random = new Extreme(true);
        long first = new SlabIds(SHIFT, random).pick(count, unless(NONE, NONE));
        assertThat(first + count - 1).isEqualTo(LIMIT - 1);
        // The far address of the last byte of the last slab still fits in the address bits.
        assertThat(((first + count - 1) << SHIFT) + ((1L << SHIFT) - 1)).isPositive();
        assertThat(random.bounds).containsExactly(LIMIT - count);
    }

    @Test
    void randomPicksStayWithinTheIdSpace() {
        for (int shift : new int[] {Limits.MIN_SLAB_SHIFT, SHIFT, Limits.MAX_SLAB_SHIFT}) {
            long limit = 1L << (Limits.FAR_ADDRESS_BITS - shift);
            SlabIds ids = new SlabIds(shift, new SplittableRandom(shift));
            for (int i = 0; i < 10_000; i++) {
                int count = 1 + i % 100;
                long first = ids.pick(count, unless(NONE, NONE));
                assertThat(first).as("shift %d", shift).isPositive();
                assertThat(first + count).as("shift %d", shift).isLessThanOrEqualTo(limit);
            }
        }
    }

    @Test
    void aRangeOverlappingATakenOrReservedIdIsPassedOver() {
        // Proposed in turn: 11..13 (12 is taken by a slab), 21..23 (23 is reserved by an allocation in progress),
        // then 31..33, which is free.
        Set<Long> taken = Set.of(12L, 40L);
        Set<Long> reserved = Set.of(23L);
        long first = new SlabIds(SHIFT, drawing(10, 20, 30)).pick(3, unless(reserved::contains, taken::contains));
        assertThat(first).isEqualTo(31);
    }

    @Test
    void picksNeverOverlapWhatIsTakenWhenMostOfASmallRegionIsTaken() {
        // Every id below 2^20 is taken except every tenth; draws are confined to that region, so most are refused.
        LongPredicate taken = id -> id < (1 << 20) && id % 10 != 0;
        RandomGenerator region = new RandomGenerator() {
            private final SplittableRandom r = new SplittableRandom(5);

            @Override
            public long nextLong() {
                return r.nextLong();
            }

            @Override
            public long nextLong(long bound) {
                return r.nextLong(1 << 20);
            }
        };
        SlabIds ids = new SlabIds(SHIFT, region);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            long id = ids.pick(1, unless(seen::contains, taken));
            assertThat(id % 10).isZero();
            assertThat(seen.add(id)).as("id %d handed out twice", id).isTrue();
        }
    }

    @Test
    void twoPicksWithTheSameSeededRandomDiffer() {
        SlabIds ids = new SlabIds(SHIFT, new SplittableRandom(42));
        long a = ids.pick(1, unless(NONE, NONE));
        long b = ids.pick(1, unless(NONE, NONE));
        assertThat(a).isNotEqualTo(b);
        // And the sequence is the seed's: the same seed gives the same ids, another seed others.
        SlabIds same = new SlabIds(SHIFT, new SplittableRandom(42));
        assertThat(same.pick(1, unless(NONE, NONE))).isEqualTo(a);
        assertThat(same.pick(1, unless(NONE, NONE))).isEqualTo(b);
        assertThat(new SlabIds(SHIFT, new SplittableRandom(43)).pick(1, unless(NONE, NONE))).isNotIn(a, b);
    }

    @Test
    void aFullIdSpaceIsReportedAfterABoundedNumberOfTries() {
        int[] tries = {0};
        LongPredicate everything = id -> {
            tries[0]++;
            return true;
        };
        assertThatThrownBy(() -> new SlabIds(SHIFT, new SplittableRandom(1)).pick(1, unless(NONE, everything)))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY))
                .hasMessageContaining("slab ids");
        assertThat(tries[0]).isBetween(1, 1000);
    }

    @Test
    void aRunAsLargeAsTheIdSpaceIsRefused() {
        // With the largest slabs the id space is 2^31 ids: a run of Integer.MAX_VALUE of them cannot fit.
        int shift = Limits.MAX_SLAB_SHIFT;
        assertThat(1L << (Limits.FAR_ADDRESS_BITS - shift)).isEqualTo(Integer.MAX_VALUE + 1L);
        assertThatThrownBy(() -> new SlabIds(shift, new SplittableRandom(1)).pick(Integer.MAX_VALUE, unless(NONE, NONE)))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
    }
}
