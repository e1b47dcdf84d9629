package io.remem.client;

/**
 * Maps a block number to the frame that caches it: open addressing with linear probing over an {@code int[]}
 * of frame numbers; the key of a slot is the tag of its frame, so there are no keys to keep in step.
 *
 * <p>Inserts and removes happen under the cache's map lock. {@link #find} runs without it, racing with them:
 * it may miss an entry that is being moved, or land on a frame whose tag just changed. Callers treat a miss
 * as "take the slow path" and always validate a found frame against its state word, so neither race can
 * return a wrong frame. Probing is bounded, so a racing reader cannot loop forever.
 */
final class BlockIndex {
    private static final int EMPTY = 0;

    private final int[] slots; // frame + 1, or EMPTY
    private final int mask;
    private final long[] tags;

    /** @param tags the cache's per-frame block numbers, read to compare keys */
    BlockIndex(int frames, long[] tags) {
        int capacity = Integer.highestOneBit(Math.max(4, frames) * 2 - 1) << 1; // load factor at most 1/2
        this.slots = new int[capacity];
        this.mask = capacity - 1;
        this.tags = tags;
    }

    private int home(long block) {
        return (int) ((block * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    /** The frame holding {@code block}, or -1. Safe without the lock, with the caveats above. */
    int find(long block) {
        int i = home(block);
        for (int probes = 0; probes <= mask; probes++) {
            int e = slots[i];
            if (e == EMPTY) {
                return -1;
            }
            int frame = e - 1;
            if (tags[frame] == block) {
                return frame;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Adds {@code block -> frame}; the frame's tag must already be {@code block}. Caller holds the map lock. */
    void insert(long block, int frame) {
        int i = home(block);
        while (slots[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        slots[i] = frame + 1;
    }

    /**
     * Removes {@code block -> frame} by backward-shift deletion, so no tombstones pile up. Caller holds the map
     * lock; the frame's tag must still be {@code block}.
     */
    void remove(long block, int frame) {
        int i = home(block);
        while (slots[i] != frame + 1) {
            if (slots[i] == EMPTY) {
                return;
            }
            i = (i + 1) & mask;
        }
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            int e = slots[j];
            if (e == EMPTY) {
                break;
            }
            int h = home(tags[e - 1]);
            // Move e back into the hole unless its home lies cyclically in (hole, j].
            boolean stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (!stays) {
                slots[hole] = e;
                hole = j;
            }
        }
        slots[hole] = EMPTY;
    }
}
