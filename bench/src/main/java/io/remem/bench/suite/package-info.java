/**
 * The bench suite: random, scan, YCSB and PageRank workloads on all-local memory, remem, classic paging, Redis and
 * Hazelcast, side by side, every run checking its own results; and the shared YCSB from several JVMs.
 */
package io.remem.bench.suite;
