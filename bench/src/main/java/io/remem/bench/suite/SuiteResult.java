package io.remem.bench.suite;

import io.remem.client.CacheStats;

import java.util.Arrays;

/**
 * One cell of the suite: a workload on a target. Exactly one of {@code result} and {@code failure} is set; a
 * check failure is a failure, and so is a run that threw.
 *
 * @param kind          local, remem, remem-farmap (YCSB on a FarMap), classic or peer
 * @param cacheFraction the local cache as a share of the footprint; NaN where there is none (local, Redis)
 * @param stats         remem's cache counters over the run, null for others
 * @param rates         the throughput of every repeat, in the order they ran ({@code result} is the median one);
 *                      null on failure
 */
public record SuiteResult(String workload, String family, String unit, String target, String kind,
                          double cacheFraction, RunResult result, CacheStats stats, String failure, double[] rates) {
    public boolean ok() {
        return result != null;
    }

    /** How many runs the result is the median of. */
    public int repeats() {
        return rates == null ? 0 : rates.length;
    }

    public double minRate() {
        return Arrays.stream(rates).min().orElse(Double.NaN);
    }

    public double maxRate() {
        return Arrays.stream(rates).max().orElse(Double.NaN);
    }
}
