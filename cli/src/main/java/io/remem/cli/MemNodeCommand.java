package io.remem.cli;

import io.remem.memnode.MemNode;
import io.remem.memnode.MemNodeConfig;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Secret;
import io.remem.transport.HostPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code remem memnode}: lends this machine's memory to the cluster until interrupted. */
@Command(name = "memnode", mixinStandardHelpOptions = true,
        subcommands = {MemNodeCommand.Drain.class, MemNodeCommand.Undrain.class},
        description = "Run a memory node: lend this machine's RAM to the cluster. Runs until interrupted.")
final class MemNodeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    // Not required by picocli: `remem memnode drain` must parse without them. call() checks them instead.
    @Option(names = "--listen", converter = Converters.Endpoint.class, paramLabel = "HOST:PORT",
            description = "Where clients connect; port 0 picks a free one.")
    HostPort listen;

    @Option(names = "--capacity", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "Bytes to lend, e.g. 2g. Memory is used only as slabs are written.")
    Long capacity;

    @Option(names = "--controller", converter = Converters.Endpoint.class, paramLabel = "HOST:PORT",
            description = "Where the controller is.")
    HostPort controller;

    @Option(names = "--cluster-secret-file", paramLabel = "FILE",
            description = "The cluster secret, which this node proves to the controller and checks tokens with: a copy"
                    + " of cluster.secret from the controller's data directory.")
    Path clusterSecretFile;

    @Option(names = "--advertise", paramLabel = "HOST",
            description = "Host name clients should use for this node (default: the --listen host).")
    String advertise;

    @Option(names = "--io-threads", defaultValue = "0", paramLabel = "N",
            description = "I/O threads; 0 lets Netty choose (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep slabs in memory-mapped files here, so they survive a restart (default: memory only).")
    Path dataDir;

    @Option(names = "--scrub-rate", converter = Converters.Bytes.class, defaultValue = "32m", paramLabel = "SIZE",
            description = "With --data-dir: slab data per second checked in the background against its checksums;"
                    + " 0 turns the background check off (data is still checked at start). Default: ${DEFAULT-VALUE}.")
    long scrubRate;

    @Option(names = "--max-sessions-per-tenant", defaultValue = "256", paramLabel = "N",
            description = "Sessions one tenant may hold open on this node (default: ${DEFAULT-VALUE}).")
    int maxSessionsPerTenant;

    @Mixin
    TlsServerOptions tls;

    @Mixin
    LimitOptions limits;

    @Override
    public Integer call() throws InterruptedException {
        if (listen == null || capacity == null || controller == null || clusterSecretFile == null) {
            throw new ParameterException(spec.commandLine(),
                    "Missing required options: --listen, --capacity, --controller and --cluster-secret-file");
        }
        if (capacity < Limits.SLAB_GRANULE) {
            throw new IllegalArgumentException("--capacity: " + capacity + " bytes is below the minimum of 64k");
        }
        if (ioThreads < 0 || ioThreads > 256) {
            throw new IllegalArgumentException("--io-threads: " + ioThreads + " is outside 0..256");
        }
        if (advertise != null && advertise.isBlank()) {
            throw new IllegalArgumentException("--advertise: must not be empty");
        }
        if (maxSessionsPerTenant < 1 || maxSessionsPerTenant > 1_000_000) {
            throw new IllegalArgumentException("--max-sessions-per-tenant: " + maxSessionsPerTenant + " is outside 1..1000000");
        }
        List<Secret> secrets = clusterSecrets();
        MemNodeConfig config = new MemNodeConfig(listen, advertise, capacity, controller, ioThreads, Duration.ofSeconds(10),
                dataDir, secrets, limits.limits(), maxSessionsPerTenant, tls.config(), scrubRate);
        MemNode node;
        try {
            node = MemNode.start(config);
        } catch (RememException e) {
            throw new IllegalArgumentException((dataDir != null && e.detail().contains(dataDir.toString())
                    ? "--data-dir " + dataDir : "--listen " + listen) + ": " + e.detail());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "remem-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("remem memnode serving " + Units.bytes(capacity) + " on " + node.address()
                + " (" + node.transportKind() + (config.tls() == null ? ", plain TCP" : ", TLS") + "), controller "
                + controller + (dataDir == null ? "" : ", slabs kept in " + dataDir));
        out.flush();
        stopped.await();
        return 0;
    }

    private List<Secret> clusterSecrets() {
        if (!Files.isReadable(clusterSecretFile)) {
            throw new IllegalArgumentException("--cluster-secret-file: cannot read " + clusterSecretFile);
        }
        if (Secret.readableByOthers(clusterSecretFile)) {
            System.err.println("remem memnode: warning: " + clusterSecretFile + " is readable by other users;"
                    + " make it mode 0600");
        }
        try {
            return Secret.readFile(clusterSecretFile);
        } catch (RememException e) {
            throw new IllegalArgumentException("--cluster-secret-file: " + e.detail());
        }
    }

    /** {@code remem memnode drain}: moves every slab off a memory node while clients keep working. */
    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Move every slab off a memory node, to the others, while clients keep working. Needs the"
                    + " admin secret; journaled, so it survives a controller restart.")
    static final class Drain implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        AdminConnection admin;

        @Parameters(index = "0", paramLabel = "NODE", description = "The memory node's id (see remem status).")
        long nodeId;

        @Option(names = "--wait", description = "Wait until the node holds no slab, printing progress.")
        boolean await;

        @Override
        public Integer call() throws InterruptedException {
            checkNode(nodeId);
            PrintWriter out = spec.commandLine().getOut();
            admin.run(a -> {
                a.drain(nodeId);
                return null;
            });
            out.println("draining memory node " + nodeId + ": it takes no new slabs, and its slabs move to other nodes");
            out.flush();
            if (!await) {
                return 0;
            }
            int lastSlabs = -1;
            while (true) {
                ClusterStatus status = admin.run(a -> a.status());
                ClusterStatus.Node node = status.nodes().stream().filter(n -> n.nodeId() == nodeId)
                        .findFirst().orElseThrow();
                if (node.slabs() != lastSlabs) {
                    out.println("  " + node.slabs() + " slab(s) left on node " + nodeId + "; "
                            + StatusCommand.repairLine(status.repair()));
                    out.flush();
                    lastSlabs = node.slabs();
                }
                if (node.slabs() == 0) {
                    out.println("memory node " + nodeId + " is drained; it can be stopped");
                    out.flush();
                    return 0;
                }
                Thread.sleep(200);
            }
        }
    }

    /** {@code remem memnode undrain}: a drained or draining node takes slabs again. */
    @Command(name = "undrain", mixinStandardHelpOptions = true,
            description = "Let a drained or draining memory node take new slabs again. Needs the admin secret.")
    static final class Undrain implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        AdminConnection admin;

        @Parameters(index = "0", paramLabel = "NODE", description = "The memory node's id (see remem status).")
        long nodeId;

        @Override
        public Integer call() {
            checkNode(nodeId);
            admin.run(a -> {
                a.undrain(nodeId);
                return null;
            });
            spec.commandLine().getOut().println("memory node " + nodeId + " takes new slabs again");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    private static void checkNode(long nodeId) {
        if (nodeId <= 0) {
            throw new IllegalArgumentException("NODE: " + nodeId + " is not a memory node id (they start at 1)");
        }
    }
}
