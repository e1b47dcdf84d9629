package io.remem.collections;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static io.remem.protocol.MapLayout.SLOT_BYTES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rebuild planner on made-up shards: no cluster, no far memory. */
class ShardPlannerTest {
    private static final int MAX_REGION = 64 << 10;
    private final ShardPlanner planner = new ShardPlanner(MAX_REGION);

    /** {@code n} inline entries of {@code bytes} each, with hashes from {@code seed}. */
    private static Shard.Live live(int n, int bytes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] hash = new long[n];
        long[] ref = new long[n];
        int[] size = new int[n];
        for (int i = 0; i < n; i++) {
            hash[i] = r.nextLong();
            ref[i] = 1 + i; // inline: a positive offset in the region
            size[i] = bytes;
        }
        return new Shard.Live(n, hash, ref, size);
    }

    /** Whether plan {@code p} leaves its region within {@code fill} by slots and by heap. */
    private static void assertFits(ShardPlanner.Plan p, Shard.Live live, long pendingHeap, double fill) {
        long heap = pendingHeap;
        for (int i : p.entries()) {
            heap += live.ref()[i] > 0 ? Shard.pad(live.bytes()[i]) : 0;
        }
        long count = p.entries().length + (pendingHeap > 0 ? 1 : 0);
        assertThat((double) count).isLessThanOrEqualTo(fill * (p.capacity() / 4 * 3));
        assertThat((double) heap).isLessThanOrEqualTo(fill * (p.regionBytes() - (long) p.capacity() * SLOT_BYTES));
        assertThat(Integer.bitCount(p.regionBytes())).as("regions are powers of two").isEqualTo(1);
        assertThat(p.regionBytes()).isBetween(ShardPlanner.MIN_REGION_BYTES, MAX_REGION);
    }

    @Test
    void aFewEntriesStayInOneShardInTheSmallestRegionThatHoldsThemHalfFull() {
        Shard.Live live = live(10, 40, 1);
        List<ShardPlanner.Plan> plans = planner.plan(live, 3, 5, 5L << 61, 48);
        assertThat(plans).hasSize(1);
        ShardPlanner.Plan p = plans.getFirst();
        assertThat(p.depth()).isEqualTo(3);
        assertThat(p.prefix()).isEqualTo(5);
        assertThat(p.entries()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(p.regionBytes()).isEqualTo(ShardPlanner.MIN_REGION_BYTES);
        assertFits(p, live, 48, ShardPlanner.KEEP_FILL);
    }

    @Test
    void tooManyForTheLargestRegionSplitByTheNextHashBitEachEntryOnceAndEachHalfFitting() {
        Shard.Live live = live(3000, 48, 2);
        List<ShardPlanner.Plan> plans = planner.plan(live, 0, 0, 0, 0);
        assertThat(plans.size()).isGreaterThan(1);
        int[] seen = new int[live.n()];
        for (ShardPlanner.Plan p : plans) {
            assertThat(p.depth()).isPositive();
            for (int i : p.entries()) {
                seen[i]++;
                assertThat(live.hash()[i] >>> (64 - p.depth())).as("entry %d under its plan's prefix", i)
                        .isEqualTo(p.prefix());
            }
            assertFits(p, live, 0, ShardPlanner.SPLIT_FILL);
        }
        assertThat(Arrays.stream(seen).allMatch(n -> n == 1)).as("every entry in exactly one shard").isTrue();
        // The directory stays covered: the plans' prefix ranges at the deepest depth tile it without gaps.
        int deepest = plans.stream().mapToInt(ShardPlanner.Plan::depth).max().orElseThrow();
        long covered = plans.stream().mapToLong(p -> 1L << (deepest - p.depth())).sum();
        assertThat(covered).isEqualTo(1L << deepest);
    }

    @Test
    void thePendingEntryCountsOnlyInTheHalfItsHashFalls() {
        Shard.Live live = live(3000, 48, 3);
        long pendingHash = 1L << 63; // top bit 1: the "one" half at depth 1
        List<ShardPlanner.Plan> plans = planner.plan(live, 0, 0, pendingHash, 4096);
        for (ShardPlanner.Plan p : plans) {
            boolean pendingHere = (pendingHash >>> (64 - p.depth())) == p.prefix();
            assertFits(p, live, pendingHere ? 4096 : 0, ShardPlanner.SPLIT_FILL);
        }
    }

    @Test
    void keysThatShareEveryHashBitTheDirectoryHasCannotSplitForever() {
        int n = 4000;
        long[] hash = new long[n];
        long[] ref = new long[n];
        int[] size = new int[n];
        Arrays.fill(hash, 0x1234L << 40); // the same top 24 bits for all
        Arrays.fill(ref, 1);
        Arrays.fill(size, 48);
        assertThatThrownBy(() -> planner.plan(new Shard.Live(n, hash, ref, size), 0, 0, 0, 0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("top " + ShardPlanner.MAX_DEPTH);
    }

    @Test
    void theCapacityBalancesSlotsAgainstHeapForTheAverageEntry() {
        int region = 64 << 10;
        int small = ShardPlanner.capacityFor(region, 100, 100 * 8);
        int large = ShardPlanner.capacityFor(region, 100, 100 * 512);
        assertThat(small).as("small entries: more slots").isGreaterThan(large);
        assertThat(Integer.bitCount(small)).isEqualTo(1);
        assertThat((long) small * SLOT_BYTES).isLessThanOrEqualTo(region * 3L / 4);
        assertThat(ShardPlanner.capacityFor(region, 0, 0)).as("no entries: the assumed size")
                .isEqualTo(ShardPlanner.capacityFor(region, 1, ShardPlanner.ASSUMED_ENTRY_BYTES));
    }
}
