package io.remem.client;

/**
 * Chooses frames to evict, one {@link EvictionPolicy} per implementation. Used by one thread at a time: the
 * reclaimer, or a miss evicting inline (both hold the cache's victim lock).
 */
interface Victims {
    /** How many candidates FIFO and LRU compare per choice. */
    int SAMPLE = 16;

    /** What a policy may ask of the frames, and nothing more. */
    interface Frames {
        int frameCount();

        /** Whether the frame holds a block and is not pinned or locked right now. */
        boolean evictable(int f);

        /** FIFO or LRU stamp of a frame: smaller is older. */
        long stamp(int f);

        /** The CLOCK reference bit: read and clear. Returns whether it was set. */
        boolean clearReferenced(int f);
    }

    /** The next frame worth trying; it may turn out busy or dirty. */
    int next();

    /** Whether to pass over this frame once more (CLOCK's second chance); clears the reference it used up. */
    boolean spare(int f);

    /** How many candidates one full pass looks at. */
    int passLength();

    static Victims of(EvictionPolicy policy, Frames frames) {
        return policy == EvictionPolicy.CLOCK ? new Clock(frames) : new Sampled(frames);
    }

    /** CLOCK: frames in a circle, sparing a frame whose reference bit is set, and clearing it. */
    final class Clock implements Victims {
        private final Frames frames;
        private final int count;
        private int hand;

        Clock(Frames frames) {
            this.frames = frames;
            this.count = frames.frameCount();
        }

        @Override
        public int next() {
            int f = hand;
            hand = f + 1 == count ? 0 : f + 1;
            return f;
        }

        @Override
        public boolean spare(int f) {
            return frames.clearReferenced(f);
        }

        @Override
        public int passLength() {
            return count;
        }
    }

    /**
     * FIFO and LRU: the oldest by stamp (fill order for FIFO, last use for LRU) of the next {@link #SAMPLE} frames, as
     * Redis approximates LRU; exact for a cache of {@link #SAMPLE} frames or fewer. Candidates come from a rotating
     * hand, so every frame is looked at regularly.
     */
    final class Sampled implements Victims {
        private final Frames frames;
        private final int count;
        private int hand;

        Sampled(Frames frames) {
            this.frames = frames;
            this.count = frames.frameCount();
        }

        @Override
        public int next() {
            int n = Math.min(SAMPLE, count);
            int best = -1;
            long oldest = Long.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                int f = hand;
                hand = f + 1 == count ? 0 : f + 1;
                if (frames.evictable(f)) {
                    long s = frames.stamp(f);
                    if (s < oldest) {
                        oldest = s;
                        best = f;
                    }
                }
            }
            return best >= 0 ? best : hand;
        }

        @Override
        public boolean spare(int f) {
            return false;
        }

        @Override
        public int passLength() {
            return Math.max(1, count / Math.min(SAMPLE, count));
        }
    }
}
