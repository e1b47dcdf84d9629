package io.remem.bench.suite;

import io.remem.client.CacheStats;

/**
 * One cell of the suite: a workload on a target. Exactly one of {@code result} and {@code failure} is set; a
 * check failure is a failure, and so is a run that threw.
 *
 * @param kind          local, remem, remem-farmap (YCSB on a FarMap), classic or peer
 * @param cacheFraction the local cache as a share of the footprint; NaN where there is none (local, Redis)
 * @param stats         remem's cache counters over the run, null for others
 */
public record SuiteResult(String workload, String family, String unit, String target, String kind,
                          double cacheFraction, RunResult result, CacheStats stats, String failure) {
    public boolean ok() {
        return result != null;
    }
}
