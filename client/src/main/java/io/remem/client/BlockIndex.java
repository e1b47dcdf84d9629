package io.remem.client;

import java.util.Arrays;

/**
 * Maps a block number to the frame that caches it: open addressing with linear probing over one {@code long[]}
 * of (block, frame) pairs side by side, so a lookup costs one cache line and the frame number is known as soon as
 * the key matches, with no further indirection.
 *
 * <p>Inserts and removes happen under the cache's map lock. {@link #find} runs without it, racing with them: it
 * may miss an entry that is being moved, or pair a key with a frame from another moment. Callers treat a miss as
 * "take the slow path" and always validate a found frame against its tag and state word, so neither race can
 * return a wrong frame. Probing is bounded, so a racing reader cannot loop forever.
 */
final class BlockIndex {
    private static final long EMPTY = -1;

    private final long[] entries; // [2i] = block or EMPTY, [2i + 1] = frame
    private final int mask;

    BlockIndex(int frames) {
        int capacity = Integer.highestOneBit(Math.max(4, frames) * 2 - 1) << 1; // load factor at most 1/2
        this.entries = new long[capacity * 2];
        Arrays.fill(entries, EMPTY);
        this.mask = capacity - 1;
    }

    private int home(long block) {
        return (int) ((block * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    /** The frame holding {@code block}, or -1. Safe without the lock, with the caveats above. */
    int find(long block) {
        long[] e = entries;
        int i = home(block);
        for (int probes = 0; probes <= mask; probes++) {
            long key = e[i << 1];
            if (key == block) {
                return (int) e[(i << 1) + 1];
            }
            if (key == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Adds {@code block -> frame}. Caller holds the map lock. */
    void insert(long block, int frame) {
        int i = home(block);
        while (entries[i << 1] != EMPTY) {
            i = (i + 1) & mask;
        }
        entries[(i << 1) + 1] = frame; // frame first: a racing reader that sees the key sees this frame or a later one
        entries[i << 1] = block;
    }

    /** Removes {@code block} by backward-shift deletion, so no tombstones pile up. Caller holds the map lock. */
    void remove(long block) {
        int i = home(block);
        while (entries[i << 1] != block) {
            if (entries[i << 1] == EMPTY) {
                return;
            }
            i = (i + 1) & mask;
        }
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            long key = entries[j << 1];
            if (key == EMPTY) {
                break;
            }
            int h = home(key);
            // Move the entry at j back into the hole unless its home lies cyclically in (hole, j].
            boolean stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (!stays) {
                entries[(hole << 1) + 1] = entries[(j << 1) + 1];
                entries[hole << 1] = key;
                hole = j;
            }
        }
        entries[hole << 1] = EMPTY;
    }
}
