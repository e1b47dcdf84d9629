/**
 * The runtime an application embeds: {@code Remem.connect} opens a {@code RememSession}, whose {@code FarMemory}
 * allocates {@code FarSegment}s and opens named {@code Dataset}s. Behind them: the local cache with 64-byte dirty
 * tracking, prefetching and write-back, failover between replicas, leases, far locks and coherence between runtimes
 * (docs/design.md, "The runtime and its local cache").
 */
package io.remem.client;
