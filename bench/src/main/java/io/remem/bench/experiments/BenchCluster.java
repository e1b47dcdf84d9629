package io.remem.bench.experiments;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;

/**
 * The cluster an experiment runs against: a controller and memory nodes in this process, on loopback, over real
 * TCP. They share the machine's cores with the workload, as every in-process number here says.
 */
final class BenchCluster implements AutoCloseable {
    private final EmbeddedCluster cluster;

    BenchCluster(int nodes, long footprint) {
        this.cluster = EmbeddedCluster.builder().nodes(nodes).nodeCapacity(footprint + (256L << 20)).start();
    }

    /**
     * One copy per slab unless the options say otherwise: these experiments measure the cache, and section 11 of
     * docs/benchmarks.md measures what a second copy costs.
     */
    RememSession connect(RememOptions options) {
        return cluster.connect(options.replication() == 0 ? options.toBuilder().replication(1).build() : options);
    }

    @Override
    public void close() {
        cluster.close();
    }
}
