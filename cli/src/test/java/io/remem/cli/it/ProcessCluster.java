package io.remem.cli.it;

import io.remem.client.Remem;
import io.remem.client.RememAdmin;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.auth.Secret;
import io.remem.transport.TlsConfig;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A controller and memory nodes, each in its own JVM, on loopback. The controller listens on a fixed port so it
 * can be killed and restarted in place. The test side acts as the operator: it reads the admin secret the controller
 * created, creates tenants with it, and hands the memory nodes the cluster secret file.
 */
final class ProcessCluster implements AutoCloseable {
    static final Duration START = Duration.ofSeconds(30);

    private final Path dir;
    private final int controllerPort;
    private final List<String> controllerArgs;
    private RememProcess controller;
    private final List<RememProcess> nodes = new ArrayList<>();
    private final Map<String, Secret> tenants = new ConcurrentHashMap<>();
    /** How the test side (admin, tenants) connects: TLS trusting the cluster's CA, or null for plain TCP. */
    private TlsConfig clientTls;

    private ProcessCluster(Path dir, int controllerPort, List<String> controllerArgs) {
        this.dir = dir;
        this.controllerPort = controllerPort;
        this.controllerArgs = controllerArgs;
    }

    /** Starts a controller (with extra {@code controllerArgs}) and {@code nodes} memory nodes of {@code capacity}. */
    static ProcessCluster start(Path dir, int nodes, String capacity, String... controllerArgs) throws Exception {
        return start(dir, nodes, capacity, List.of(controllerArgs), List.of());
    }

    /** As above, with extra {@code nodeArgs} for every memory node. */
    static ProcessCluster start(Path dir, int nodes, String capacity, List<String> controllerArgs, List<String> nodeArgs)
            throws Exception {
        return start(dir, nodes, capacity, controllerArgs, nodeArgs, null);
    }

    /** As above, the test side connecting with {@code clientTls} (TLS, or null for plain TCP). */
    static ProcessCluster start(Path dir, int nodes, String capacity, List<String> controllerArgs, List<String> nodeArgs,
                                TlsConfig clientTls) throws Exception {
        ProcessCluster c = new ProcessCluster(dir, freePort(), controllerArgs);
        c.clientTls = clientTls;
        try {
            c.startController();
            for (int i = 0; i < nodes; i++) {
                c.startNode(capacity, nodeArgs.toArray(new String[0]));
            }
            c.awaitLiveNodes(nodes);
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    String controllerAddress() {
        return "127.0.0.1:" + controllerPort;
    }

    Path dataDir() {
        return dir.resolve("controller-data");
    }

    Path adminSecretFile() {
        return dataDir().resolve("admin.secret");
    }

    Path clusterSecretFile() {
        return dataDir().resolve("cluster.secret");
    }

    /** An admin connection; the caller closes it. */
    RememAdmin admin() {
        return RememAdmin.connect(controllerAddress(), adminSecretFile(), clientTls);
    }

    /** The secret of {@code tenant}, created with the default quota on first use. */
    Secret secretOf(String tenant) {
        return tenants.computeIfAbsent(tenant, t -> {
            try (RememAdmin a = admin()) {
                return a.addTenant(t, -1);
            }
        });
    }

    /** Creates {@code tenant} with a quota of {@code bytes}; returns its secret. */
    Secret addTenant(String tenant, long bytes) {
        try (RememAdmin a = admin()) {
            Secret s = a.addTenant(tenant, bytes);
            tenants.put(tenant, s);
            return s;
        }
    }

    /**
     * A session with the options' tenant, whose secret is filled in (the tenant created if need be), over the cluster's
     * TLS unless the options say otherwise.
     */
    RememSession connect(RememOptions options) {
        RememOptions.Builder b = options.toBuilder();
        if (options.secret() == null) {
            b.secret(secretOf(options.tenant()));
        }
        if (options.tls() == null && clientTls != null) {
            b.tls(clientTls.trustCa());
            if (clientTls.certChain() != null) {
                b.tlsClientCertificate(clientTls.certChain(), clientTls.privateKey());
            }
        }
        return Remem.connect(controllerAddress(), b.build());
    }

    void startController() throws Exception {
        List<String> args = new ArrayList<>(List.of("controller", "--listen", controllerAddress(),
                "--data-dir", dataDir().toString(),
                "--heartbeat-interval", "200ms", "--node-timeout", "3s"));
        args.addAll(controllerArgs);
        controller = RememProcess.start("controller", dir.resolve("logs"), args.toArray(new String[0]));
        controller.await("remem controller listening on (\\S+)", START);
    }

    RememProcess startNode(String capacity, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("memnode", "--listen", "127.0.0.1:0", "--capacity", capacity,
                "--controller", controllerAddress(), "--cluster-secret-file", clusterSecretFile().toString()));
        args.addAll(List.of(extra));
        RememProcess n = RememProcess.start("memnode-" + nodes.size(), dir.resolve("logs"), args.toArray(new String[0]));
        n.await("remem memnode serving .* on (\\S+)", START);
        nodes.add(n);
        return n;
    }

    /** The controller's id for memory node process {@code n}, found by its port. */
    long nodeId(RememProcess n) throws InterruptedException {
        int port = Integer.parseInt(n.await("on \\S+:(\\d+)", START));
        return awaitStatus(st -> st.nodes().stream().anyMatch(x -> x.port() == port && x.alive()), "node on port " + port)
                .nodes().stream().filter(x -> x.port() == port && x.alive()).findFirst().orElseThrow().nodeId();
    }

    /** Waits until every slab is back at its replication factor and no copy is running. */
    ClusterStatus awaitRepaired() throws InterruptedException {
        return awaitStatus(st -> st.repair().done(), "re-replication to finish");
    }

    RememProcess controller() {
        return controller;
    }

    List<RememProcess> nodes() {
        return nodes;
    }

    ClusterStatus status() {
        try (RememAdmin a = admin()) {
            return a.status();
        }
    }

    /** Waits until the controller counts {@code n} live memory nodes. */
    ClusterStatus awaitLiveNodes(int n) throws InterruptedException {
        return awaitStatus(s -> s.nodes().stream().filter(ClusterStatus.Node::alive).count() == n,
                n + " live memory nodes");
    }

    ClusterStatus awaitStatus(Predicate<ClusterStatus> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + START.toNanos();
        RuntimeException last = null;
        ClusterStatus s = null;
        while (System.nanoTime() < deadline) {
            try {
                s = status();
                if (condition.test(s)) {
                    return s;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what + "; last status " + s
                + (last == null ? "" : "; last error " + last) + "\n" + outputs(), last);
    }

    /** Every process's output, for a failure message. */
    String outputs() {
        StringBuilder b = new StringBuilder();
        if (controller != null) {
            b.append("--- controller\n").append(controller.output()).append('\n');
        }
        for (int i = 0; i < nodes.size(); i++) {
            b.append("--- memnode-").append(i).append('\n').append(nodes.get(i).output()).append('\n');
        }
        return b.toString();
    }

    @Override
    public void close() throws InterruptedException {
        for (RememProcess n : nodes) {
            n.close();
        }
        if (controller != null) {
            controller.close();
        }
    }
}
