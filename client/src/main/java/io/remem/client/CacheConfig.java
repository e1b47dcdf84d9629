package io.remem.client;

import java.time.Duration;

/**
 * Geometry, limits and policies of a {@link LocalCache}, already validated by {@link RememOptions}.
 *
 * @param blockSize         bytes per block (a power of two, 256 B to 64 KiB)
 * @param frames            number of frames
 * @param lowWatermark      the reclaimer starts when fewer than this many frames are free
 * @param highWatermark     and stops when this many are free
 * @param stallTimeout      how long a miss may wait for a free frame before failing
 * @param policy            which block to evict
 * @param dirtyTracking     per line or per block
 * @param backgroundReclaim a reclaimer thread keeps free frames, or misses evict inline
 * @param prefetchWindow    most blocks prefetched ahead of a stream; 0 disables prefetching
 */
record CacheConfig(int blockSize, int frames, int lowWatermark, int highWatermark, Duration stallTimeout,
                   EvictionPolicy policy, DirtyTracking dirtyTracking, boolean backgroundReclaim, int prefetchWindow) {
    /** The defaults of everything but geometry, for tests. */
    CacheConfig(int blockSize, int frames, int lowWatermark, int highWatermark, Duration stallTimeout) {
        this(blockSize, frames, lowWatermark, highWatermark, stallTimeout, EvictionPolicy.CLOCK, DirtyTracking.LINE,
                true, 0);
    }
}
