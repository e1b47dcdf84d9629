/**
 * Benchmarks: what every figure in docs/benchmarks.md comes from, each a ratio to a baseline measured in the same
 * run. Shared here: units and their parsing, result tables, repeats and the Zipf generator.
 */
package io.remem.bench;
