package io.remem.examples;

import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;

/**
 * How the examples reach far memory: the controller named by the first argument, as the tenant in
 * {@code REMEM_TENANT} with its secret in {@code REMEM_SECRET}; or, given no argument, a cluster of three memory
 * nodes started in this JVM for the example's lifetime.
 */
final class Connection implements AutoCloseable {
    private final EmbeddedCluster cluster;
    private final RememSession session;

    private Connection(EmbeddedCluster cluster, RememSession session) {
        this.cluster = cluster;
        this.session = session;
    }

    /** @param cacheBytes the local cache: the far memory an example uses is larger, so that it misses */
    static Connection open(String[] args, long cacheBytes) {
        if (args.length > 0) {
            String tenant = System.getenv().getOrDefault("REMEM_TENANT", "examples");
            String secret = System.getenv("REMEM_SECRET");
            if (secret == null) {
                throw new IllegalArgumentException("REMEM_SECRET: set it to the secret of tenant " + tenant);
            }
            RememOptions options = RememOptions.builder().tenant(tenant).secret(secret.toCharArray())
                    .cacheBytes(cacheBytes).build();
            return new Connection(null, Remem.connect(args[0], options));
        }
        EmbeddedCluster cluster = EmbeddedCluster.builder().nodes(3).nodeCapacity(256L << 20).start();
        try {
            return new Connection(cluster, cluster.connect(RememOptions.builder().tenant("examples")
                    .cacheBytes(cacheBytes).build()));
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    RememSession session() {
        return session;
    }

    @Override
    public void close() {
        session.close();
        if (cluster != null) {
            cluster.close();
        }
    }
}
