package io.remem.collections;

import io.remem.protocol.MapLayout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.remem.protocol.MapLayout.SLOT_BYTES;

/**
 * What a {@link FarMap} shard rebuild makes of a full shard, as a pure function of its live entries: one shard in the
 * smallest region its entries fill to at most {@link #KEEP_FILL} (a compaction, or a growth), or else the shards of its
 * two halves by the next hash bit, each filling its region to at most {@link #SPLIT_FILL} or splitting again. No far
 * memory is touched here; {@code FarMap} writes and installs what this plans.
 */
final class ShardPlanner {
    static final int MIN_REGION_BYTES = 4 << 10;
    static final int MIN_CAPACITY = 8;
    /** Entry size assumed for sizing regions before there are entries to measure. */
    static final int ASSUMED_ENTRY_BYTES = 64;
    /** A rebuild keeps one shard if its entries fill at most this much of it; otherwise it splits. */
    static final double KEEP_FILL = 0.5;
    /** Halves of a split fill their regions to at most this much, or split again. */
    static final double SPLIT_FILL = 0.75;
    /** Deepest directory: 2^24 entries. Only keys whose hashes share 24 top bits could need more. */
    static final int MAX_DEPTH = 24;

    /** A shard a rebuild will make: where it sits, its region's geometry, and which live entries go into it. */
    record Plan(int depth, long prefix, int regionBytes, int capacity, int[] entries) {}

    private final int maxRegionBytes;

    /** @param maxRegionBytes the largest region a shard may have */
    ShardPlanner(int maxRegionBytes) {
        this.maxRegionBytes = maxRegionBytes;
    }

    /**
     * The shards to replace the shard at {@code depth} and {@code prefix} whose entries are {@code live}, with room
     * for a pending entry of {@code pendingHeap} heap bytes and hash {@code pendingHash}.
     */
    List<Plan> plan(Shard.Live live, int depth, long prefix, long pendingHash, int pendingHeap) {
        int[] all = new int[live.n()];
        Arrays.setAll(all, i -> i);
        List<Plan> plans = new ArrayList<>(2);
        plan(live, all, depth, prefix, pendingHash, pendingHeap, KEEP_FILL, plans);
        return plans;
    }

    /**
     * Plans the shards for {@code entries} (indexes into {@code live}) at {@code depth} and {@code prefix}: one shard
     * if they fill some region to at most {@code fill}, else the plans of their two halves by the next hash bit.
     */
    private void plan(Shard.Live live, int[] entries, int depth, long prefix, long pendingHash, int pendingHeap,
                      double fill, List<Plan> out) {
        boolean pendingHere = depth == 0 || (pendingHash >>> (64 - depth)) == prefix;
        long count = entries.length + (pendingHere ? 1 : 0);
        long heap = pendingHere ? pendingHeap : 0;
        for (int i : entries) {
            if (live.ref()[i] > 0) {
                heap += Shard.pad(live.bytes()[i]);
            }
        }
        int[] g = geometry(count, heap, fill);
        if (g == null && depth == MAX_DEPTH) {
            g = geometry(count, heap, 1.0);
            if (g == null) {
                throw new IllegalStateException("FarMap: more keys share the top " + MAX_DEPTH
                        + " bits of their hash than one region holds");
            }
        }
        if (g != null) {
            out.add(new Plan(depth, prefix, g[0], g[1], entries));
            return;
        }
        int bit = 63 - depth;
        int ones = 0;
        for (int i : entries) {
            ones += (int) (live.hash()[i] >>> bit) & 1;
        }
        int[] zero = new int[entries.length - ones];
        int[] one = new int[ones];
        int z = 0;
        int o = 0;
        for (int i : entries) {
            if (((live.hash()[i] >>> bit) & 1) == 0) {
                zero[z++] = i;
            } else {
                one[o++] = i;
            }
        }
        plan(live, zero, depth + 1, prefix << 1, pendingHash, pendingHeap, SPLIT_FILL, out);
        plan(live, one, depth + 1, (prefix << 1) | 1, pendingHash, pendingHeap, SPLIT_FILL, out);
    }

    /**
     * The smallest region (and its capacity) that {@code count} entries of {@code heap} inline bytes fill to at most
     * {@code fill}, by slots (against the 3/4 load limit) and by heap; null if even the largest region is too small.
     */
    int[] geometry(long count, long heap, double fill) {
        for (int r = MIN_REGION_BYTES; r <= maxRegionBytes; r <<= 1) {
            int c = capacityFor(r, count, heap);
            if (count <= fill * (c / 4 * 3) && heap <= fill * (r - (long) c * SLOT_BYTES)) {
                return new int[] {r, c};
            }
        }
        return null;
    }

    /**
     * The capacity that lets a region of {@code regionBytes} hold the most entries of the average size of these
     * ({@link #ASSUMED_ENTRY_BYTES} if there are none): slots and heap then run out at about the same time.
     */
    static int capacityFor(int regionBytes, long count, long heap) {
        double perEntry = Math.max(1.0, count == 0 ? ASSUMED_ENTRY_BYTES : (double) heap / count);
        int best = MIN_CAPACITY;
        double most = -1;
        for (int c = MIN_CAPACITY; (long) c * SLOT_BYTES <= regionBytes * 3L / 4 && c <= MapLayout.MAX_CAPACITY;
             c <<= 1) {
            double entries = Math.min(c / 4 * 3, (regionBytes - (double) c * SLOT_BYTES) / perEntry);
            if (entries > most) {
                best = c;
                most = entries;
            }
        }
        return best;
    }
}
