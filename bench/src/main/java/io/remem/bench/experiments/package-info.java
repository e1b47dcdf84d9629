/**
 * One experiment per mechanism (prefetching, dirty tracking, offload, replication, security, commits, ...), each
 * against its own baseline in the same run.
 */
package io.remem.bench.experiments;
