package io.remem.bench.suite;

import io.remem.client.Remem;
import io.remem.client.RememAdmin;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The remem cluster the suite measures: a controller and memory nodes, in a JVM of their own like the peers'
 * servers (so remem's servers do not share the client's heap or JIT), or in this JVM for tests. Each tenant the suite
 * uses is created on first use, through an admin connection, with a secret of its own.
 */
public final class RememCluster implements AutoCloseable {
    private final String controller;
    private final RememAdmin admin;
    private final AutoCloseable owner;

    private RememCluster(String controller, RememAdmin admin, AutoCloseable owner) {
        this.controller = controller;
        this.admin = admin;
        this.owner = owner;
    }

    public static RememCluster inProcess(int nodes, long nodeCapacity) {
        EmbeddedCluster c = EmbeddedCluster.builder().nodes(nodes).nodeCapacity(nodeCapacity).start();
        return new RememCluster(c.controllerAddress(), null, c);
    }

    public static RememCluster childJvm(int nodes, long nodeCapacity) throws PeerUnavailableException {
        ChildJvm jvm = ChildJvm.start("remem-cluster", Main.class, "512m", Duration.ofSeconds(60),
                Integer.toString(nodes), Long.toString(nodeCapacity));
        String[] info = jvm.info().split(" ", 2); // the controller's address and its admin secret's file
        try {
            return new RememCluster(info[0], RememAdmin.connect(info[0], Path.of(info[1]), null), jvm);
        } catch (RuntimeException e) {
            jvm.close();
            throw e;
        }
    }

    /** {@code HOST:PORT} of the cluster's controller. */
    public String controllerAddress() {
        return controller;
    }

    /** {@code options} with the secret of their tenant, which is created if it does not exist yet. */
    public RememOptions withSecret(RememOptions options) {
        if (options.secret() != null) {
            return options;
        }
        if (owner instanceof EmbeddedCluster c) {
            return c.complete(options);
        }
        return options.toBuilder().secret(admin.addTenant(options.tenant(), -1)).build();
    }

    /** A session of a new tenant, for one target of the suite. */
    public RememSession connect(RememOptions options) {
        return Remem.connect(controller, withSecret(options));
    }

    public RememTarget target(String name, RememOptions options) {
        return new RememTarget(name, this, options, false);
    }

    /** A target whose YCSB records live in a {@code FarMap}. */
    public RememTarget farMapTarget(String name, RememOptions options) {
        return new RememTarget(name, this, options, true);
    }

    @Override
    public void close() {
        try {
            if (admin != null) {
                admin.close();
            }
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the remem cluster", e);
        }
    }

    /**
     * The child JVM's entry: starts the cluster, prints its controller's address and admin secret file, serves until
     * stdin closes.
     */
    public static final class Main {
        private Main() {}

        public static void main(String[] args) throws IOException {
            int nodes = Integer.parseInt(args[0]);
            long capacity = Long.parseLong(args[1]);
            try (EmbeddedCluster c = EmbeddedCluster.builder().nodes(nodes).nodeCapacity(capacity).start()) {
                System.out.println(ChildJvm.READY + c.controllerAddress() + " " + c.adminSecretFile());
                System.out.flush();
                while (System.in.read() >= 0) {
                    // the parent holds stdin open for as long as it wants the cluster
                }
            }
        }
    }
}
