/**
 * A whole cluster (controller and memory nodes over real TCP on loopback) in one process, for the demo, tests and
 * benchmarks.
 */
package io.remem.embedded;
