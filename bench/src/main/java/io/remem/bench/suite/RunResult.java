package io.remem.bench.suite;

import org.HdrHistogram.Histogram;

/**
 * A measured run. {@code ops} counts the workload's unit ({@link Workload#unit()}); {@code latency} holds one
 * sample per operation in nanoseconds (empty when the workload has no per-operation latency).
 */
public record RunResult(long ops, long nanos, Histogram latency, String check) {
    public double opsPerSecond() {
        return ops / (nanos / 1e9);
    }
}
