package io.remem.bench.suite;

import java.time.Duration;

/**
 * How long and how wide one run is: the same for every target in a suite, so they are compared on equal terms.
 *
 * @param threads  workload threads
 * @param warmup   run and not measured, before each measured period (JIT, and a cache's steady state): the least;
 *                 it goes on until throughput holds steady, up to five times as long ({@link SteadyWarmup})
 * @param duration measured, for the workloads that run for a time rather than a fixed amount of work
 * @param untilSteady whether the warm-up goes on until throughput holds steady; false: exactly {@code warmup}, as
 *                 clients in several JVMs that must measure the same period need
 */
public record RunSettings(int threads, Duration warmup, Duration duration, boolean untilSteady) {
    /** Settings whose warm-up goes on until throughput holds steady. */
    public RunSettings(int threads, Duration warmup, Duration duration) {
        this(threads, warmup, duration, true);
    }

    public RunSettings {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads: " + threads + " must be from 1 to 1024");
        }
        if (warmup.isNegative() || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("warm-up must not be negative and the duration must be positive");
        }
    }
}
