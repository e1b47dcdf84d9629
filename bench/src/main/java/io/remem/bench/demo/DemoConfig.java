package io.remem.bench.demo;

import java.time.Duration;

/**
 * What the demo does: random 64-byte reads and writes over a far array, each thread on its own records, first
 * with a uniform distribution and then with Zipf(0.99).
 *
 * @param footprint  bytes of the far array
 * @param threads    worker threads
 * @param duration   measured time, split evenly between the uniform and the Zipf phase
 * @param writeRatio fraction of operations that are writes
 * @param seed       seed of every random choice, so a run can be repeated
 */
public record DemoConfig(long footprint, int threads, Duration duration, double writeRatio, long seed) {
    /** Bytes per record and per operation: one cache line. */
    public static final int RECORD_BYTES = 64;
    public static final double ZIPF_THETA = 0.99;

    public DemoConfig {
        if (footprint < (long) RECORD_BYTES * threads) {
            throw new IllegalArgumentException("footprint: " + footprint + " bytes is too small for "
                    + threads + " threads of " + RECORD_BYTES + "-byte records");
        }
        if (footprint % RECORD_BYTES != 0) {
            throw new IllegalArgumentException("footprint: must be a multiple of " + RECORD_BYTES + " bytes");
        }
        if (footprint / RECORD_BYTES / threads > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("footprint: too many records per thread; add threads");
        }
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads: " + threads + " is outside 1..1024");
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration: must be positive");
        }
        if (!(writeRatio >= 0 && writeRatio <= 1)) {
            throw new IllegalArgumentException("write ratio: " + writeRatio + " is outside 0..1");
        }
    }

    public long records() {
        return footprint / RECORD_BYTES;
    }
}
