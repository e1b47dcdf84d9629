package io.remem.bench.suite;

/**
 * One benchmark workload. Each loads its data into a new store on the target, runs, checks its own results, and
 * frees the store; a wrong result is a {@link WorkloadCheckException}, never a number in a table.
 */
public interface Workload {
    /** Unique in a report, such as "random zipf 64 B 50% reads". */
    String name();

    /** random, scan, ycsb or pagerank: the family, for grouping in reports. */
    String family();

    /** Bytes of the workload's data as stored: what the local-memory sweep takes percentages of. */
    long footprint();

    /**
     * Bytes of the data itself, without a layout's slack (a hash table's empty slots): what a cache of whole
     * objects (Hazelcast's near cache) is given its share of.
     */
    default long dataBytes() {
        return footprint();
    }

    /** What the footprint is made of, for the report. */
    String footprintNote();

    /** What one op is, for the throughput column: "ops", "MB", "edges". */
    String unit();

    RunResult run(Target target, RunSettings settings) throws WorkloadCheckException;
}
