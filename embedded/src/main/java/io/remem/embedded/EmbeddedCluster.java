package io.remem.embedded;

import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.controller.Controller;
import io.remem.controller.ControllerConfig;
import io.remem.memnode.MemNode;
import io.remem.memnode.MemNodeConfig;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.transport.HostPort;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A controller and some memory nodes in this process, on loopback, talking real TCP. For the demo, tests and
 * benchmarks; a real deployment runs each in its own process with {@code remem controller} and
 * {@code remem memnode}.
 */
public final class EmbeddedCluster implements AutoCloseable {
    private final Controller controller;
    private final List<MemNode> nodes;
    private final Path dataDir;
    private final boolean ownsDataDir;

    private EmbeddedCluster(Controller controller, List<MemNode> nodes, Path dataDir, boolean ownsDataDir) {
        this.controller = controller;
        this.nodes = nodes;
        this.dataDir = dataDir;
        this.ownsDataDir = ownsDataDir;
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

    public RememSession connect(RememOptions options) {
        return Remem.connect(controllerAddress(), options);
    }

    @Override
    public void close() {
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

        private Builder() {}

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

        /** Where the controller keeps metadata; by default a temporary directory deleted on close. */
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
                    .withQuotas(defaultQuota, quotas);
            Controller controller = Controller.start(cc);
            List<MemNode> started = new ArrayList<>();
            try {
                for (int i = 0; i < nodes; i++) {
                    started.add(MemNode.start(new MemNodeConfig(new HostPort("127.0.0.1", 0), nodeCapacity,
                            controller.address())));
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
            return new EmbeddedCluster(controller, started, dir, owns);
        }
    }
}
