package io.remem.cli.it;

import io.remem.client.Remem;
import io.remem.protocol.ClusterStatus;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A controller and memory nodes, each in its own JVM, on loopback. The controller listens on a fixed port so it
 * can be killed and restarted in place.
 */
final class ProcessCluster implements AutoCloseable {
    static final Duration START = Duration.ofSeconds(30);

    private final Path dir;
    private final int controllerPort;
    private final List<String> controllerArgs;
    private RememProcess controller;
    private final List<RememProcess> nodes = new ArrayList<>();

    private ProcessCluster(Path dir, int controllerPort, List<String> controllerArgs) {
        this.dir = dir;
        this.controllerPort = controllerPort;
        this.controllerArgs = controllerArgs;
    }

    /** Starts a controller (with extra {@code controllerArgs}) and {@code nodes} memory nodes of {@code capacity}. */
    static ProcessCluster start(Path dir, int nodes, String capacity, String... controllerArgs) throws Exception {
        ProcessCluster c = new ProcessCluster(dir, freePort(), List.of(controllerArgs));
        try {
            c.startController();
            for (int i = 0; i < nodes; i++) {
                c.startNode(capacity);
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

    void startController() throws Exception {
        List<String> args = new ArrayList<>(List.of("controller", "--listen", controllerAddress(),
                "--data-dir", dir.resolve("controller-data").toString(),
                "--heartbeat-interval", "200ms", "--node-timeout", "3s"));
        args.addAll(controllerArgs);
        controller = RememProcess.start("controller", dir.resolve("logs"), args.toArray(new String[0]));
        controller.await("remem controller listening on (\\S+)", START);
    }

    RememProcess startNode(String capacity, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("memnode", "--listen", "127.0.0.1:0", "--capacity", capacity,
                "--controller", controllerAddress()));
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
        return Remem.status(controllerAddress());
    }

    /** Waits until the controller counts {@code n} live memory nodes. */
    ClusterStatus awaitLiveNodes(int n) throws InterruptedException {
        return awaitStatus(s -> s.nodes().stream().filter(ClusterStatus.Node::alive).count() == n,
                n + " live memory nodes");
    }

    ClusterStatus awaitStatus(java.util.function.Predicate<ClusterStatus> condition, String what) throws InterruptedException {
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
