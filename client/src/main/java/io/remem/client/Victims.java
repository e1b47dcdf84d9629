package io.remem.client;

/**
 * Chooses frames to evict, by the configured {@link EvictionPolicy}. Used by one thread at a time: the reclaimer,
 * or a miss evicting inline (both hold the cache's victim lock).
 *
 * <ul>
 *   <li>CLOCK hands out frames in a circle and spares a frame whose reference bit is set, clearing it.</li>
 *   <li>FIFO and LRU compare a per-frame stamp (fill order for FIFO, last use for LRU) and hand out the oldest
 *       of the next {@link #SAMPLE} frames, as Redis approximates LRU. A cache of {@link #SAMPLE} frames or fewer
 *       is therefore exact. Candidates come from a rotating hand, so every frame is looked at regularly.</li>
 * </ul>
 */
final class Victims {
    static final int SAMPLE = 16;

    private final LocalCache cache;
    private final EvictionPolicy policy;
    private final int frames;
    private int hand;

    Victims(LocalCache cache, EvictionPolicy policy) {
        this.cache = cache;
        this.policy = policy;
        this.frames = cache.frameCount;
    }

    /** The next frame worth trying; it may turn out busy or dirty. */
    int next() {
        if (policy == EvictionPolicy.CLOCK) {
            int f = hand;
            hand = f + 1 == frames ? 0 : f + 1;
            return f;
        }
        int n = Math.min(SAMPLE, frames);
        int best = -1;
        long oldest = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            int f = hand;
            hand = f + 1 == frames ? 0 : f + 1;
            if (cache.evictable(f)) {
                long s = cache.stamp(f);
                if (s < oldest) {
                    oldest = s;
                    best = f;
                }
            }
        }
        return best >= 0 ? best : hand;
    }

    /** Whether to pass over this frame once more: CLOCK's second chance. Clears the reference it used up. */
    boolean spare(int f) {
        return policy == EvictionPolicy.CLOCK && cache.clearReferenced(f);
    }

    /** How many candidates one full pass looks at. */
    int passLength() {
        return policy == EvictionPolicy.CLOCK ? frames : Math.max(1, frames / Math.min(SAMPLE, frames));
    }
}
