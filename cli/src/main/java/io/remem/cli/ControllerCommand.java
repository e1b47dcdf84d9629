package io.remem.cli;

import io.remem.controller.Controller;
import io.remem.controller.ControllerConfig;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.transport.HostPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
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
            description = "Where metadata is kept; created if missing, recovered on restart. The first start creates"
                    + " admin.secret and cluster.secret here (mode 0600).")
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
            description = "Slab bytes a tenant added without --quota may hold (default: ${DEFAULT-VALUE}).")
    long defaultQuota;

    @Option(names = "--token-ttl", defaultValue = "15m", converter = Converters.Time.class, paramLabel = "TIME",
            description = "How long a session token for memory nodes stays valid, 10s..24h; runtimes renew theirs at"
                    + " half of it (default: ${DEFAULT-VALUE}).")
    Duration tokenTtl;

    @Option(names = "--lease-timeout", defaultValue = "30s", converter = Converters.Time.class, paramLabel = "TIME",
            description = "A runtime that has not renewed its lease for this long is presumed dead and the far memory"
                    + " it allocated is freed, 1s..7d; runtimes renew at a third of it (default: ${DEFAULT-VALUE}).")
    Duration leaseTimeout;

    @Option(names = "--max-leases-per-tenant", defaultValue = "1024", paramLabel = "N",
            description = "Runtime sessions one tenant may hold at once, 1..1048576 (default: ${DEFAULT-VALUE}).")
    int maxLeasesPerTenant;

    @Option(names = "--cluster-secret-file", paramLabel = "FILE",
            description = "The secret memory nodes prove (default: cluster.secret in --data-dir, created if missing).")
    Path clusterSecretFile;

    @Mixin
    TlsServerOptions tls;

    @Mixin
    LimitOptions limits;

    private int checkedMaxLeases() {
        if (maxLeasesPerTenant < 1 || maxLeasesPerTenant > 1 << 20) {
            throw new IllegalArgumentException("--max-leases-per-tenant: " + maxLeasesPerTenant + " is outside 1..1048576");
        }
        return maxLeasesPerTenant;
    }

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
        if (tokenTtl.compareTo(Duration.ofSeconds(10)) < 0 || tokenTtl.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("--token-ttl: " + Units.nanos(tokenTtl.toNanos()) + " is outside 10s..24h");
        }
        if (leaseTimeout.compareTo(ControllerConfig.MIN_LEASE_TIMEOUT) < 0
                || leaseTimeout.compareTo(ControllerConfig.MAX_LEASE_TIMEOUT) > 0) {
            throw new IllegalArgumentException("--lease-timeout: " + Units.nanos(leaseTimeout.toNanos()) + " is outside 1s..7d");
        }
        ControllerConfig config = new ControllerConfig(listen, dataDir)
                .withSlabShift(Long.numberOfTrailingZeros(slabSize))
                .withHeartbeat(heartbeat, nodeTimeout)
                .withDefaultQuota(defaultQuota)
                .withTokenTtl(tokenTtl)
                .withLeaseTimeout(leaseTimeout)
                .withMaxLeasesPerTenant(checkedMaxLeases())
                .withClusterSecretFile(clusterSecretFile)
                .withLimits(limits.limits())
                .withTls(tls.config());
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
        PrintWriter out = spec.commandLine().getOut();
        out.println("remem controller listening on " + controller.address() + (config.tls() == null ? " (plain TCP)" : " (TLS)")
                + ", metadata in " + dataDir.toAbsolutePath());
        out.println("admin secret: " + config.adminSecretFile().toAbsolutePath() + "; memory nodes need"
                + " --cluster-secret-file " + config.effectiveClusterSecretFile().toAbsolutePath());
        out.flush();
        stopped.await();
        return 0;
    }
}
