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
@Command(name = "memnode", mixinStandardHelpOptions = true,
        description = "Run a memory node: lend this machine's RAM to the cluster. Runs until interrupted.")
final class MemNodeCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--listen", required = true, converter = Converters.Endpoint.class, paramLabel = "HOST:PORT",
            description = "Where clients connect; port 0 picks a free one.")
    HostPort listen;

    @Option(names = "--capacity", required = true, converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "Bytes to lend, e.g. 2g. Memory is used only as slabs are written.")
    long capacity;

    @Option(names = "--controller", required = true, converter = Converters.Endpoint.class, paramLabel = "HOST:PORT",
            description = "Where the controller is.")
    HostPort controller;

    @Option(names = "--advertise", paramLabel = "HOST",
            description = "Host name clients should use for this node (default: the --listen host).")
    String advertise;

    @Option(names = "--io-threads", defaultValue = "0", paramLabel = "N",
            description = "I/O threads; 0 lets Netty choose (default: ${DEFAULT-VALUE}).")
    int ioThreads;

    @Override
    public Integer call() throws InterruptedException {
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
            node = MemNode.start(new MemNodeConfig(listen, advertise, capacity, controller, ioThreads, Duration.ofSeconds(10)));
        } catch (RememException e) {
            throw new IllegalArgumentException("--listen " + listen + ": " + e.detail());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "remem-shutdown"));
        java.io.PrintWriter out = spec.commandLine().getOut();
        out.println("remem memnode serving " + io.remem.bench.Units.bytes(capacity) + " on " + node.address()
                + " (" + node.transportKind() + "), controller " + controller);
        out.flush();
        stopped.await();
        return 0;
    }
}
