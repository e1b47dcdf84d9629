/**
 * JMH benchmarks of the hot paths: a hit against a plain {@code MemorySegment}, a miss against a raw socket
 * ping-pong, bulk copies and async batches.
 */
package io.remem.bench.jmh;
