/**
 * {@code remem demo}: a checked workload over a far footprint four times the local cache.
 */
package io.remem.bench.demo;
