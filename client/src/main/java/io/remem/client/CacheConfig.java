package io.remem.client;

import java.time.Duration;

/**
 * Geometry and limits of a {@link LocalCache}, already validated by {@link RememOptions}.
 *
 * @param blockSize     bytes per block (a power of two, 256 B to 64 KiB)
 * @param frames        number of frames
 * @param lowWatermark  the reclaimer starts when fewer frames than this are free
 * @param highWatermark and stops when this many are free
 * @param stallTimeout  how long a miss may wait for a free frame before failing
 */
record CacheConfig(int blockSize, int frames, int lowWatermark, int highWatermark, Duration stallTimeout) {}
