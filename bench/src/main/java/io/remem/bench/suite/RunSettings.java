package io.remem.bench.suite;

import java.time.Duration;

/**
 * How long and how wide one run is: the same for every target in a suite, so they are compared on equal terms.
 *
 * @param threads  workload threads
 * @param warmup   run and not measured, before each measured period (JIT, and a cache's steady state)
 * @param duration measured, for the workloads that run for a time rather than a fixed amount of work
 */
public record RunSettings(int threads, Duration warmup, Duration duration) {
    public RunSettings {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads: " + threads + " must be from 1 to 1024");
        }
        if (warmup.isNegative() || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("warm-up must not be negative and the duration must be positive");
        }
    }
}
