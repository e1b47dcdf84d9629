package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.bench.suite.ChildJvm;
import io.remem.bench.suite.PeerUnavailableException;
import io.remem.client.FarSegment;
import io.remem.client.Remem;
import io.remem.client.RememAdmin;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.controller.Controller;
import io.remem.controller.ControllerConfig;
import io.remem.memnode.MemNode;
import io.remem.memnode.MemNodeConfig;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.auth.Secret;
import io.remem.transport.HostPort;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What replication costs and what it buys, against memory nodes in JVMs of their own (a kill is a SIGKILL of a real
 * process): write-back throughput at one copy against two (LegoOS reported 2-23% overhead), the stall a workload sees
 * when a memory node dies, how long the controller takes to notice, and how fast re-replication restores the factor
 * (Carbink: throughput back in 0.6 s, full rebuild in 9.7 s).
 */
public final class FailoverExperiment {
    private static final int BLOCK = 4096;

    /**
     * @param footprint bytes of far memory the workloads use
     * @param rounds    timed write-back rounds per replication factor
     */
    public record Config(long footprint, int rounds) {}

    private FailoverExperiment() {}

    public static List<Table> run(Config c, Progress progress) {
        Path dir;
        try {
            dir = Files.createTempDirectory("remem-failover-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a controller data directory", e);
        }
        long capacity = 2 * c.footprint() + (64L << 20);
        List<ChildJvm> nodes = new ArrayList<>();
        ControllerConfig config = new ControllerConfig(new HostPort("127.0.0.1", 0), dir).withSlabShift(22);
        try (Controller controller = Controller.start(config);
             RememAdmin admin = RememAdmin.connect(controller.address().toString(), config.adminSecretFile(), null)) {
            for (int i = 0; i < 3; i++) {
                nodes.add(ChildJvm.start("memnode-" + i, NodeMain.class, "64m", Duration.ofSeconds(60),
                        controller.address().toString(), Long.toString(capacity),
                        config.effectiveClusterSecretFile().toString()));
            }
            awaitLive(controller, 3);
            List<Table> tables = new ArrayList<>();
            tables.add(writeBack(controller.address().toString(), admin, c, progress));
            tables.add(failover(controller.address().toString(), admin, c, nodes.get(0), progress));
            return tables;
        } catch (PeerUnavailableException e) {
            throw new IllegalStateException("cannot start a memory node: " + e.getMessage(), e);
        } finally {
            nodes.forEach(ChildJvm::close);
        }
    }

    private static void awaitLive(Controller controller, int n) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (controller.liveNodes() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + controller.liveNodes() + " of " + n + " memory nodes registered");
            }
            sleep(20);
        }
    }

    // ======================================================================== write-back at 1 and 2 copies

    /**
     * Both factors are measured in the same run, round by round in turn, after two warm-up rounds each, so JIT warm-up
     * and the VM's noise fall on both alike.
     */
    private static Table writeBack(String controller, RememAdmin admin, Config c, Progress progress) {
        Table t = new Table("Write-back throughput, one copy against two (" + mib(c.footprint()) + " dirtied and"
                        + " flushed per round, every 64-byte line; " + c.rounds() + " rounds each, taken in turn)",
                "copies", "median MB/s", "p99 round (ms)", "median round (ms)", "vs 1 copy");
        RememSession[] sessions = new RememSession[2];
        FarSegment[] segs = new FarSegment[2];
        Histogram[] rounds = {new Histogram(3), new Histogram(3)};
        try (Progress.Step step = progress.start("write-back at 1 and 2 copies", 2L * c.rounds(), "rounds")) {
            for (int i = 0; i < 2; i++) {
                String tenant = "wb" + (i + 1);
                sessions[i] = Remem.connect(controller, RememOptions.builder().tenant(tenant)
                        .secret(admin.addTenant(tenant, -1)).cacheBytes(c.footprint() + (16L << 20)).build());
                segs[i] = sessions[i].memory().allocate(c.footprint(), i + 1);
            }
            for (int warm = 0; warm < 2; warm++) {
                for (int i = 0; i < 2; i++) {
                    dirty(segs[i], warm);
                    sessions[i].memory().flush();
                }
            }
            for (int r = 1; r <= c.rounds(); r++) {
                for (int i = 0; i < 2; i++) {
                    dirty(segs[i], r + 2);
                    long t0 = System.nanoTime();
                    sessions[i].memory().flush();
                    rounds[i].recordValue(System.nanoTime() - t0);
                    step.stepTo(2L * (r - 1) + i + 1);
                }
            }
        } finally {
            for (int i = 0; i < 2; i++) {
                if (sessions[i] != null) {
                    if (segs[i] != null) {
                        segs[i].free();
                    }
                    sessions[i].close();
                }
            }
        }
        double base = c.footprint() / (rounds[0].getValueAtPercentile(50) / 1e9) / 1e6;
        for (int i = 0; i < 2; i++) {
            double mbps = c.footprint() / (rounds[i].getValueAtPercentile(50) / 1e9) / 1e6;
            t.row(i + 1, String.format(Locale.ROOT, "%.0f", mbps), ms(rounds[i].getValueAtPercentile(99)),
                    ms(rounds[i].getValueAtPercentile(50)),
                    i == 0 ? "1.00x" : String.format(Locale.ROOT, "%.2fx (%.0f%% overhead)", mbps / base,
                            100 * (base / mbps - 1)));
        }
        return t.note("Both copies are written in parallel and a round is acknowledged when every replica applied it;"
                + " the client, the controller and three memory node JVMs share this machine's cores.");
    }

    private static void dirty(FarSegment seg, long round) {
        for (long off = 0; off < seg.byteSize(); off += 64) {
            seg.set(ValueLayout.JAVA_LONG, off, off ^ round);
        }
    }

    // ======================================================================== a kill under load

    private static Table failover(String controller, RememAdmin admin, Config c, ChildJvm victim, Progress progress) {
        RememOptions o = RememOptions.builder().tenant("failover").secret(admin.addTenant("failover", -1))
                .cacheBytes(Math.max(1L << 20, c.footprint() / 8)).build();
        try (RememSession s = Remem.connect(controller, o)) {
            FarSegment seg = s.memory().allocate(c.footprint()); // two copies: the cluster's default
            long blocks = c.footprint() / BLOCK;
            for (long b = 0; b < blocks; b++) {
                seg.set(ValueLayout.JAVA_LONG, b * BLOCK, b);
            }
            s.memory().flush();
            long victimId = Long.parseLong(victim.info());

            AtomicBoolean stop = new AtomicBoolean();
            long start = System.nanoTime();
            // Completion time of every operation, by 10 ms bucket, and each operation's latency.
            int buckets = 6000;
            long[] opsPerBucket = new long[buckets];
            long[] worstPerBucket = new long[buckets];
            Throwable[] failure = new Throwable[1];
            Thread worker = Thread.ofPlatform().name("failover-workload").start(() -> {
                SplittableRandom r = new SplittableRandom(7);
                try {
                    while (!stop.get()) {
                        long b = r.nextLong(blocks);
                        long t0 = System.nanoTime();
                        long v = seg.get(ValueLayout.JAVA_LONG, b * BLOCK);
                        if (v != b) {
                            throw new IllegalStateException("block " + b + " read " + v);
                        }
                        long w = r.nextLong(blocks);
                        seg.set(ValueLayout.JAVA_LONG, w * BLOCK, w);
                        long t1 = System.nanoTime();
                        int k = (int) Math.min(buckets - 1, (t1 - start) / 10_000_000);
                        opsPerBucket[k]++;
                        worstPerBucket[k] = Math.max(worstPerBucket[k], t1 - t0);
                    }
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            long killAt;
            long deadAt = 0;
            long repairedAt = 0;
            ClusterStatus st = null;
            try (Progress.Step step = progress.start("kill a memory node, fail over, re-replicate", 1, "kill")) {
            sleep(3000);
            killAt = System.nanoTime();
            victim.close(); // SIGKILL
            while (repairedAt == 0 && System.nanoTime() - killAt < Duration.ofSeconds(50).toNanos()) {
                st = admin.status();
                boolean dead = st.nodes().stream().anyMatch(n -> n.nodeId() == victimId && !n.alive());
                if (dead && deadAt == 0) {
                    deadAt = System.nanoTime();
                }
                if (dead && st.repair().done()) {
                    repairedAt = System.nanoTime();
                }
                sleep(10);
            }
            sleep(1000);
            stop.set(true);
            join(worker);
            if (failure[0] != null) {
                throw new IllegalStateException("the workload failed across the kill", failure[0]);
            }
            if (repairedAt == 0) {
                throw new IllegalStateException("re-replication did not finish within 50 s; last status " + st);
            }
            step.stepTo(1);
            }
            int killBucket = (int) ((killAt - start) / 10_000_000);
            double before = 0;
            for (int k = killBucket - 200; k < killBucket; k++) {
                before += opsPerBucket[k];
            }
            before /= 200;
            long backAt = -1;
            long stall = 0;
            for (int k = killBucket; k < buckets && k < killBucket + 3000; k++) {
                stall = Math.max(stall, worstPerBucket[k]);
                if (backAt < 0 && k + 10 < buckets) {
                    double sum = 0;
                    for (int j = k; j < k + 10; j++) {
                        sum += opsPerBucket[j];
                    }
                    if (sum / 10 >= 0.9 * before) {
                        backAt = (k - killBucket) * 10L;
                    }
                }
            }
            long copied = st.repair().copiedBytes();
            double copySeconds = (repairedAt - deadAt) / 1e9;
            Table t = new Table("A memory node SIGKILLed under load (two copies, " + mib(c.footprint())
                    + " far, cache 1/8 of it, one thread of read-then-write operations)", "what", "value");
            t.row("longest operation after the kill (the stall the application saw)", ms(stall));
            t.row("throughput back to 90% of before the kill", backAt < 0 ? "not within 30 s" : backAt + " ms");
            t.row("kill -> controller marks the node dead", ms(deadAt - killAt));
            t.row("dead -> every slab back at two copies", String.format(Locale.ROOT, "%.2f s", copySeconds));
            t.row("bytes re-replicated", mib(copied));
            t.row("re-replication rate", String.format(Locale.ROOT, "%.0f MB/s", copied / copySeconds / 1e6));
            t.row("operations per 10 ms before the kill", String.format(Locale.ROOT, "%.0f", before));
            return t.note("Reads fail over at once: the client sees the dead node's connection reset and reads the"
                    + " other copy. Write-backs to the dead node's slabs wait until the controller drops it from them.");
        }
    }

    private static void join(Thread t) {
        try {
            t.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
    }

    /** A memory node in a JVM of its own: args are the controller's address and the capacity; prints its id. */
    public static final class NodeMain {
        private NodeMain() {}

        public static void main(String[] args) throws Exception {
            try (MemNode node = MemNode.start(new MemNodeConfig(new HostPort("127.0.0.1", 0), Long.parseLong(args[1]),
                    HostPort.parse(args[0], "controller"), Secret.readFile(Path.of(args[2]))))) {
                if (!node.awaitRegistered(Duration.ofSeconds(30))) {
                    throw new IllegalStateException("did not register with " + args[0]);
                }
                System.out.println(ChildJvm.READY + node.nodeId());
                System.out.flush();
                while (System.in.read() >= 0) {
                    // serve until the parent closes stdin or kills us
                }
            }
        }
    }
}
