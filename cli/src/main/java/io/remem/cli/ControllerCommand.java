package io.remem.cli;

import io.remem.controller.Controller;
import io.remem.controller.ControllerConfig;
import io.remem.bench.Units;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.protocol.TenantName;
import io.remem.transport.HostPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code remem controller}: runs the controller until interrupted. */
@Command(name = "controller", mixinStandardHelpOptions = true,
        description = "Run the controller: membership, placement, tenants and quotas. Runs until interrupted.")
final class ControllerCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--listen", required = true, converter = Converters.Endpoint.class, paramLabel = "HOST:PORT",
            description = "Where memory nodes and clients connect.")
    HostPort listen;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR",
            description = "Where metadata is kept; created if missing. Recovered on restart.")
    Path dataDir;

    @Option(names = "--slab-size", defaultValue = "64m", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "Unit of placement, a power of two from 1m to 4g (default: ${DEFAULT-VALUE}). Fixed for the life of the data dir.")
    long slabSize;

    @Option(names = "--heartbeat-interval", defaultValue = "1s", converter = Converters.Time.class, paramLabel = "TIME",
            description = "How often memory nodes report (default: ${DEFAULT-VALUE}).")
    Duration heartbeat;

    @Option(names = "--node-timeout", defaultValue = "5s", converter = Converters.Time.class, paramLabel = "TIME",
            description = "A node silent this long is marked dead (default: ${DEFAULT-VALUE}).")
    Duration nodeTimeout;

    @Option(names = "--default-quota", defaultValue = "1t", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "Slab bytes a tenant may hold unless --quota says otherwise (default: ${DEFAULT-VALUE}).")
    long defaultQuota;

    @Option(names = "--quota", paramLabel = "TENANT=SIZE", description = "Quota of one tenant; repeatable.")
    Map<String, String> quotas = new HashMap<>();

    @Override
    public Integer call() throws InterruptedException {
        if (Long.bitCount(slabSize) != 1 || slabSize < (1L << Limits.MIN_SLAB_SHIFT) || slabSize > (1L << Limits.MAX_SLAB_SHIFT)) {
            throw new IllegalArgumentException("--slab-size: " + slabSize + " must be a power of two from 1m to 4g");
        }
        if (heartbeat.isZero() || heartbeat.isNegative()) {
            throw new IllegalArgumentException("--heartbeat-interval: must be positive");
        }
        if (nodeTimeout.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("--node-timeout: " + nodeTimeout.toMillis() + " ms must be at least twice"
                    + " --heartbeat-interval (" + heartbeat.toMillis() + " ms), or one late heartbeat kills a node");
        }
        Map<String, Long> perTenant = new HashMap<>();
        quotas.forEach((tenant, size) -> {
            try {
                TenantName.check(tenant);
            } catch (RememException e) {
                throw new IllegalArgumentException("--quota " + tenant + "=" + size + ": " + e.detail());
            }
            perTenant.put(tenant, Units.parseBytes(size, "--quota " + tenant));
        });
        ControllerConfig config = new ControllerConfig(listen, dataDir)
                .withSlabShift(Long.numberOfTrailingZeros(slabSize))
                .withHeartbeat(heartbeat, nodeTimeout)
                .withQuotas(defaultQuota, perTenant);
        Controller controller;
        try {
            controller = Controller.start(config);
        } catch (RememException e) {
            throw new IllegalArgumentException(e.detail()); // names the data dir or the listen address
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controller.close();
            stopped.countDown();
        }, "remem-shutdown"));
        java.io.PrintWriter out = spec.commandLine().getOut();
        out.println("remem controller listening on " + controller.address() + ", metadata in " + dataDir.toAbsolutePath());
        out.flush();
        stopped.await();
        return 0;
    }
}
