package io.remem.embedded;

import io.remem.client.Remem;
import io.remem.client.RememAdmin;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.controller.Controller;
import io.remem.controller.ControllerConfig;
import io.remem.memnode.MemNode;
import io.remem.memnode.MemNodeConfig;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Secret;
import io.remem.transport.HostPort;
import io.remem.transport.ServerLimits;
import io.remem.transport.TlsConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A controller and some memory nodes in this process, on loopback, talking real TCP. For the demo, tests and
 * benchmarks; a real deployment runs each in its own process with {@code remem controller} and
 * {@code remem memnode}.
 *
 * <p>It makes its own secrets: the controller creates the admin and cluster secrets in its data directory, the memory
 * nodes are given the cluster secret, and {@link #connect} creates a tenant, with a secret, the first time a session
 * names one without a secret. That is for convenience here only; a real controller creates no tenant by itself.
 */
public final class EmbeddedCluster implements AutoCloseable {
    private final Controller controller;
    private final List<MemNode> nodes;
    private final Path dataDir;
    private final boolean ownsDataDir;
    private final ControllerConfig config;
    private final TlsConfig tls;
    private final Map<String, Secret> tenantSecrets = new ConcurrentHashMap<>();
    private RememAdmin admin; // guarded by this

    private EmbeddedCluster(Controller controller, List<MemNode> nodes, Path dataDir, boolean ownsDataDir,
                            ControllerConfig config, TlsConfig tls) {
        this.controller = controller;
        this.nodes = nodes;
        this.dataDir = dataDir;
        this.ownsDataDir = ownsDataDir;
        this.config = config;
        this.tls = tls;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code HOST:PORT} of the controller, for {@link Remem#connect}. */
    public String controllerAddress() {
        return controller.address().toString();
    }

    public List<MemNode> nodes() {
        return List.copyOf(nodes);
    }

    /**
     * Opens a session. Options without a secret get the tenant's, creating the tenant first if this cluster has not
     * seen it; a cluster with TLS is trusted by its CA unless the options say otherwise.
     */
    public RememSession connect(RememOptions options) {
        return Remem.connect(controllerAddress(), complete(options));
    }

    /** {@code options} with the tenant's secret and this cluster's TLS filled in where they are missing. */
    public RememOptions complete(RememOptions options) {
        RememOptions.Builder b = options.toBuilder();
        if (options.secret() == null) {
            b.secret(secretOf(options.tenant()));
        }
        if (options.tls() == null && tls != null) {
            b.tls(tls.trustCa());
        }
        return b.build();
    }

    /** The secret of {@code tenant}, which is created (with the default quota) if it does not exist yet. */
    public Secret secretOf(String tenant) {
        return tenantSecrets.computeIfAbsent(tenant, t -> admin().addTenant(t, -1));
    }

    /** An admin connection to this cluster's controller, kept open until the cluster closes. */
    public synchronized RememAdmin admin() {
        if (admin == null) {
            admin = RememAdmin.connect(controllerAddress(), config.adminSecretFile(), tls == null ? null : tls.asClient());
        }
        return admin;
    }

    /** The file memory nodes need to join this cluster ({@code --cluster-secret-file}). */
    public Path clusterSecretFile() {
        return config.effectiveClusterSecretFile();
    }

    /** The admin secret's file ({@code --admin-secret-file}). */
    public Path adminSecretFile() {
        return config.adminSecretFile();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (admin != null) {
                admin.close();
            }
        }
        for (MemNode n : nodes) {
            n.close();
        }
        controller.close();
        if (ownsDataDir) {
            deleteTree(dataDir);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Configures and starts an {@link EmbeddedCluster}. */
    public static final class Builder {
        private int nodes = 3;
        private long nodeCapacity = 1L << 30;
        private int slabShift = Limits.DEFAULT_SLAB_SHIFT;
        private Path dataDir;
        private long defaultQuota = ControllerConfig.DEFAULT_QUOTA;
        private Map<String, Long> quotas = Map.of();
        private Duration heartbeat = Duration.ofMillis(500);
        private Duration nodeTimeout = Duration.ofSeconds(3);
        private TlsConfig tls;
        private ServerLimits limits = ServerLimits.DEFAULTS;

        private Builder() {}

        /**
         * TLS on every connection: the controller and nodes serve with this certificate and key and trust its CA, and
         * sessions opened through {@link #connect} trust the CA.
         */
        public Builder tls(TlsConfig serverConfig) {
            this.tls = serverConfig;
            return this;
        }

        public Builder limits(ServerLimits limits) {
            this.limits = limits;
            return this;
        }

        public Builder nodes(int n) {
            this.nodes = n;
            return this;
        }

        public Builder nodeCapacity(long bytes) {
            this.nodeCapacity = bytes;
            return this;
        }

        public Builder slabShift(int shift) {
            this.slabShift = shift;
            return this;
        }

        /** Where the controller keeps metadata and secrets; by default a temporary directory deleted on close. */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        public Builder quotas(long defaultQuota, Map<String, Long> perTenant) {
            this.defaultQuota = defaultQuota;
            this.quotas = perTenant;
            return this;
        }

        public Builder heartbeat(Duration interval, Duration timeout) {
            this.heartbeat = interval;
            this.nodeTimeout = timeout;
            return this;
        }

        public EmbeddedCluster start() {
            if (nodes < 1) {
                throw new IllegalArgumentException("nodes: need at least one memory node, got " + nodes);
            }
            boolean owns = dataDir == null;
            Path dir;
            try {
                dir = owns ? Files.createTempDirectory("remem-embedded-") : dataDir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            ControllerConfig cc = new ControllerConfig(new HostPort("127.0.0.1", 0), dir)
                    .withSlabShift(slabShift)
                    .withHeartbeat(heartbeat, nodeTimeout)
                    .withDefaultQuota(defaultQuota)
                    .withLimits(limits)
                    .withTls(tls);
            Controller controller = Controller.start(cc);
            List<MemNode> started = new ArrayList<>();
            try {
                List<Secret> clusterSecrets = Secret.readFile(cc.effectiveClusterSecretFile());
                for (int i = 0; i < nodes; i++) {
                    started.add(MemNode.start(new MemNodeConfig(new HostPort("127.0.0.1", 0), nodeCapacity,
                            controller.address(), clusterSecrets).withLimits(limits, MemNodeConfig.DEFAULT_SESSIONS_PER_TENANT)
                            .withTls(tls)));
                }
                for (MemNode n : started) {
                    if (!n.awaitRegistered(Duration.ofSeconds(10))) {
                        throw new RememException(ErrorCode.NODE_UNAVAILABLE,
                                "memory node " + n.address() + " did not register with the controller in 10 s");
                    }
                }
            } catch (RuntimeException | InterruptedException e) {
                started.forEach(MemNode::close);
                controller.close();
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while starting", e);
                }
                throw (RuntimeException) e;
            }
            EmbeddedCluster cluster = new EmbeddedCluster(controller, started, dir, owns, cc, tls);
            try {
                quotas.forEach((tenant, quota) -> cluster.tenantSecrets.put(tenant, cluster.admin().addTenant(tenant, quota)));
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }
    }
}
