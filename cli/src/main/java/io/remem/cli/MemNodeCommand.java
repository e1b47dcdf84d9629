package io.remem.cli;

import io.remem.memnode.MemNode;
import io.remem.memnode.MemNodeConfig;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.transport.HostPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code remem memnode}: lends this machine's memory to the cluster until interrupted. */
@Command(name = "memnode", mixinStandardHelpOptions = true, subcommands = MemNodeCommand.Drain.class,
        description = "Run a memory node: lend this machine's RAM to the cluster. Runs until interrupted.")
final class MemNodeCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

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

    @Option(names = "--advertise", paramLabel = "HOST",
            description = "Host name clients should use for this node (default: the --listen host).")
    String advertise;

    @Option(names = "--io-threads", defaultValue = "0", paramLabel = "N",
            description = "I/O threads; 0 lets Netty choose (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep slabs in memory-mapped files here, so they survive a restart (default: memory only).")
    java.nio.file.Path dataDir;

    @Override
    public Integer call() throws InterruptedException {
        if (listen == null || capacity == null || controller == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "Missing required options: --listen, --capacity and --controller");
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
        MemNode node;
        try {
            node = MemNode.start(new MemNodeConfig(listen, advertise, capacity, controller, ioThreads,
                    Duration.ofSeconds(10), dataDir));
        } catch (RememException e) {
            throw new IllegalArgumentException((dataDir != null && e.detail().contains(dataDir.toString())
                    ? "--data-dir " + dataDir : "--listen " + listen) + ": " + e.detail());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "remem-shutdown"));
        java.io.PrintWriter out = spec.commandLine().getOut();
        out.println("remem memnode serving " + io.remem.bench.Units.bytes(capacity) + " on " + node.address()
                + " (" + node.transportKind() + "), controller " + controller
                + (dataDir == null ? "" : ", slabs kept in " + dataDir));
        out.flush();
        stopped.await();
        return 0;
    }

    /** {@code remem memnode drain}: moves every slab off a memory node while clients keep working. */
    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Move every slab off a memory node, to the others, while clients keep working.")
    static final class Drain implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--controller", required = true, converter = Converters.Endpoint.class, paramLabel = "HOST:PORT")
        HostPort controller;

        @picocli.CommandLine.Parameters(index = "0", paramLabel = "NODE", description = "The memory node's id (see remem status).")
        long nodeId;

        @Option(names = "--wait", description = "Wait until the node holds no slab, printing progress.")
        boolean await;

        @Override
        public Integer call() throws InterruptedException {
            if (nodeId <= 0) {
                throw new IllegalArgumentException("NODE: " + nodeId + " is not a memory node id (they start at 1)");
            }
            java.io.PrintWriter out = spec.commandLine().getOut();
            try {
                io.remem.client.Remem.drain(controller.toString(), nodeId);
            } catch (RememException e) {
                throw new IllegalArgumentException("NODE " + nodeId + ": " + e.detail());
            }
            out.println("draining memory node " + nodeId + ": it takes no new slabs, and its slabs move to other nodes");
            out.flush();
            if (!await) {
                return 0;
            }
            int lastSlabs = -1;
            while (true) {
                io.remem.protocol.ClusterStatus status = io.remem.client.Remem.status(controller.toString());
                io.remem.protocol.ClusterStatus.Node node = status.nodes().stream().filter(n -> n.nodeId() == nodeId)
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
}
