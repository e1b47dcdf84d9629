package io.remem.bench.suite;

import io.remem.client.RememOptions;
import io.remem.embedded.EmbeddedCluster;

import java.io.IOException;
import java.time.Duration;

/**
 * The remem cluster the suite measures: a controller and memory nodes, in a JVM of their own like the peers'
 * servers (so remem's servers do not share the client's heap or JIT), or in this JVM for tests.
 */
public final class RememCluster implements AutoCloseable {
    private final String controller;
    private final AutoCloseable owner;

    private RememCluster(String controller, AutoCloseable owner) {
        this.controller = controller;
        this.owner = owner;
    }

    public static RememCluster inProcess(int nodes, long nodeCapacity) {
        EmbeddedCluster c = EmbeddedCluster.builder().nodes(nodes).nodeCapacity(nodeCapacity).start();
        return new RememCluster(c.controllerAddress(), c);
    }

    public static RememCluster childJvm(int nodes, long nodeCapacity) throws PeerUnavailableException {
        ChildJvm jvm = ChildJvm.start("remem-cluster", Main.class, "512m", Duration.ofSeconds(60),
                Integer.toString(nodes), Long.toString(nodeCapacity));
        return new RememCluster(jvm.info(), jvm);
    }

    /** {@code HOST:PORT} of the cluster's controller. */
    public String controllerAddress() {
        return controller;
    }

    public RememTarget target(String name, RememOptions options) {
        return new RememTarget(name, controller, options, false);
    }

    /** A target whose YCSB records live in a {@code FarMap}. */
    public RememTarget farMapTarget(String name, RememOptions options) {
        return new RememTarget(name, controller, options, true);
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the remem cluster", e);
        }
    }

    /** The child JVM's entry: starts the cluster, prints its controller's address, serves until stdin closes. */
    public static final class Main {
        private Main() {}

        public static void main(String[] args) throws IOException {
            int nodes = Integer.parseInt(args[0]);
            long capacity = Long.parseLong(args[1]);
            try (EmbeddedCluster c = EmbeddedCluster.builder().nodes(nodes).nodeCapacity(capacity).start()) {
                System.out.println(ChildJvm.READY + c.controllerAddress());
                System.out.flush();
                while (System.in.read() >= 0) {
                    // the parent holds stdin open for as long as it wants the cluster
                }
            }
        }
    }
}
