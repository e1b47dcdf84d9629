package io.remem.bench.suite;

import io.remem.bench.Progress;
import io.remem.cli.Units;
import io.remem.client.CacheStats;
import io.remem.client.DirtyTracking;
import io.remem.client.RememOptions;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The bench suite: every workload on all-local memory, on remem across the local-memory sweep, on classic remote
 * paging, and on each peer that can run here, with the network floor measured first. Servers (remem's cluster,
 * Redis, the Hazelcast member) run in their own processes; the workload runs in this one.
 */
public final class Suite {
    /**
     * @param fractions    the sweep: remem's local cache as shares of each workload's footprint
     * @param peerFraction the share at which remem, classic paging, Redis's client-side cache and Hazelcast's near
     *                     cache meet the peers
     * @param peers        which of "redis" (plain and with a client-side cache) and "hazelcast" to try
     * @param repeats      runs of each cell; the suite reports the median run and the spread of all
     */
    public record Config(List<Workload> workloads, double[] fractions, double peerFraction, RunSettings settings,
                         int blockSize, List<String> peers, int floorRoundTrips, int redisPort, int hazelcastPort,
                         int repeats) {
        public Config {
            if (repeats < 1 || repeats > 20) {
                throw new IllegalArgumentException("--repeat: " + repeats + " must be from 1 to 20");
            }
        }
    }

    /** Everything one suite run measured, in the order it ran. */
    public record Report(Config config, Histogram floor, Map<String, String> environment, List<SuiteResult> results,
                         Map<String, String> skipped, long nanos) {
        public boolean allChecksPassed() {
            return results.stream().allMatch(SuiteResult::ok);
        }
    }

    private final Config config;
    private final PrintStream log;
    private final List<SuiteResult> results = new ArrayList<>();
    private final Map<String, String> skipped = new LinkedHashMap<>();
    private final Map<String, String> environment = new LinkedHashMap<>();

    private Suite(Config config, PrintStream log) {
        this.config = config;
        this.log = log;
    }

    public static Report run(Config c, Progress progress, PrintStream log) {
        return new Suite(c, log).run(progress);
    }

    private Report run(Progress progress) {
        long t0 = System.nanoTime();
        environment.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        environment.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        environment.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        environment.put("threads", Integer.toString(config.settings().threads()));
        environment.put("warm-up, duration", config.settings().warmup().toMillis() + " ms to "
                + SteadyWarmup.cap(config.settings().warmup()).toMillis() + " ms (until throughput holds steady), "
                + config.settings().duration().toMillis() + " ms per run");
        environment.put("repeats", config.repeats() + (config.repeats() > 1
                ? " runs of each cell, back to back; the median run is reported, with the spread"
                : " run of each cell"));
        log.println("network floor: " + config.floorRoundTrips() + " ping-pong round trips of " + config.blockSize() + " B");
        Histogram floor = NetworkFloor.measure(config.blockSize(), config.floorRoundTrips());
        long maxFootprint = config.workloads().stream().mapToLong(Workload::footprint).max().orElse(0);
        try (Servers servers = new Servers()) {
            servers.start(maxFootprint);
            int perWorkload = 1 + sweep().length + 1 + servers.peerTargets();
            long runs = (long) perWorkload * config.workloads().size()
                    + config.workloads().stream().filter(w -> w.family().equals("ycsb")).count();
            try (Progress.Step step = progress.start("bench suite", runs, "runs")) {
                int done = 0;
                for (Workload w : config.workloads()) {
                    log.println(w.name() + ": " + w.footprintNote());
                    warmUp(w);
                    record(w, "all-local", "local", Double.NaN, LocalTarget::new);
                    step.stepTo(++done);
                    for (double f : sweep()) {
                        record(w, "remem " + Units.percent(f), "remem", f, () -> servers.remem("remem " + Units.percent(f),
                                rememOptions(w, f).build()));
                        step.stepTo(++done);
                    }
                    double pf = config.peerFraction();
                    record(w, "classic paging " + Units.percent(pf), "classic", pf, () -> servers.remem("classic paging",
                            rememOptions(w, pf).blockSize(4096).dirtyTracking(DirtyTracking.BLOCK)
                                    .backgroundReclaim(false).prefetchWindow(0).build()));
                    step.stepTo(++done);
                    if (w.family().equals("ycsb")) {
                        String name = "remem FarMap " + Units.percent(pf);
                        record(w, name, "remem-farmap", pf, () -> servers.rememFarMap(name, rememOptions(w, pf).build()));
                        step.stepTo(++done);
                    }
                    if (servers.redis != null) {
                        record(w, "redis", "peer", Double.NaN, servers.redis::target);
                        step.stepTo(++done);
                        // Sized like Hazelcast's near cache below: a cache of whole objects.
                        record(w, "redis+csc " + Units.percent(pf), "peer", pf,
                                () -> servers.redis.cachingTarget((long) (w.dataBytes() * pf)));
                        step.stepTo(++done);
                    }
                    if (servers.hazelcast != null) {
                        record(w, "hazelcast", "peer", Double.NaN, () -> servers.hazelcast.target(0));
                        step.stepTo(++done);
                        // The same share of the data as remem's cache holds: of the records, not of the table's slots.
                        record(w, "hazelcast+near " + Units.percent(pf), "peer", pf,
                                () -> servers.hazelcast.target((long) (w.dataBytes() * pf)));
                        step.stepTo(++done);
                    }
                }
            }
        }
        return new Report(config, floor, environment, List.copyOf(results), skipped, System.nanoTime() - t0);
    }

    /** The sweep's fractions, with the peers' comparison point added if it is not one of them. */
    private double[] sweep() {
        double[] f = config.fractions();
        for (double x : f) {
            if (x == config.peerFraction()) {
                return f;
            }
        }
        double[] more = Arrays.copyOf(f, f.length + 1);
        more[f.length] = config.peerFraction();
        return more;
    }

    /**
     * An unmeasured all-local run first, so the workload's own code is compiled before the baseline is taken:
     * otherwise the baseline, which runs first, alone pays for the JIT and every slowdown looks smaller.
     */
    private void warmUp(Workload w) {
        try (Target local = new LocalTarget()) {
            w.run(local, config.settings());
        } catch (WorkloadCheckException | RuntimeException | OutOfMemoryError e) {
            log.println("  warm-up run failed: " + e); // the measured run will fail the same way and say so
        }
    }

    private RememOptions.Builder rememOptions(Workload w, double fraction) {
        // One copy, like Redis and the all-local run; docs/benchmarks.md section 11 measures a second one.
        return RememOptions.builder().replication(1).blockSize(config.blockSize()).cacheBytes(cacheBytes(w, fraction));
    }

    /**
     * A share of the footprint for data, plus the free frames remem's reclaimer keeps (its high watermark), so
     * that at 100% the whole footprint fits; never fewer than 16 blocks. The peers' caches of whole objects
     * (Hazelcast's near cache, Redis's client-side cache) get the same share of the data instead
     * ({@link Workload#dataBytes}).
     */
    private long cacheBytes(Workload w, double fraction) {
        double reserve = 1 - RememOptions.defaults().highWatermark();
        return Math.max(16L * config.blockSize(), (long) (w.footprint() * fraction / reserve));
    }

    /**
     * Runs {@code w} on a target made for it, {@link Config#repeats} times, and records the median run with the
     * spread of all, or the first failure.
     */
    private void record(Workload w, String name, String kind, double fraction, Supplier<Target> make) {
        RunResult[] runs = new RunResult[config.repeats()];
        CacheStats[] stats = new CacheStats[runs.length];
        for (int i = 0; i < runs.length; i++) {
            if (!runOnce(w, name, kind, fraction, make, runs, stats, i)) {
                return;
            }
        }
        Integer[] order = new Integer[runs.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(runs[a].opsPerSecond(), runs[b].opsPerSecond()));
        int median = order[(order.length - 1) / 2];
        double[] rates = new double[runs.length];
        for (int i = 0; i < rates.length; i++) {
            rates[i] = runs[i].opsPerSecond();
        }
        RunResult r = runs[median];
        results.add(new SuiteResult(w.name(), w.family(), w.unit(), name, kind, fraction, r, stats[median], null,
                rates));
        String spread = rates.length == 1 ? "" : String.format(Locale.ROOT, " [%s-%s]",
                Units.count(runs[order[0]].opsPerSecond()), Units.count(runs[order[order.length - 1]].opsPerSecond()));
        log.printf(Locale.ROOT, "  %-22s %12s%s %s/s  p50 %s  p99 %s%n", name, Units.count(r.opsPerSecond()), spread,
                w.unit(), Units.nanos(r.latency().getValueAtPercentile(50)),
                Units.nanos(r.latency().getValueAtPercentile(99)));
    }

    /** Run {@code i} of a cell, into {@code runs} and {@code stats}; false, having recorded it, if it failed. */
    private boolean runOnce(Workload w, String name, String kind, double fraction, Supplier<Target> make,
                            RunResult[] runs, CacheStats[] stats, int i) {
        try (Target target = make.get()) {
            runs[i] = w.run(target, config.settings());
            stats[i] = target.measuredStats();
            return true;
        } catch (WorkloadCheckException e) {
            results.add(new SuiteResult(w.name(), w.family(), w.unit(), name, kind, fraction, null, null,
                    "CHECK FAILED: " + e.getMessage(), null));
            log.println("  " + name + ": CHECK FAILED: " + e.getMessage());
            return false;
        } catch (RuntimeException | OutOfMemoryError e) {
            results.add(new SuiteResult(w.name(), w.family(), w.unit(), name, kind, fraction, null, null,
                    "failed: " + e, null));
            log.println("  " + name + ": failed: " + e);
            return false;
        }
    }

    /** The server processes, each started once for the whole suite. */
    private final class Servers implements AutoCloseable {
        private RememCluster cluster;
        private RedisPeer redis;
        private HazelcastPeer hazelcast;

        void start(long maxFootprint) {
            log.println("starting remem's cluster (controller and 2 memory nodes) in its own JVM");
            try {
                cluster = RememCluster.childJvm(2, maxFootprint + (256L << 20));
            } catch (PeerUnavailableException e) {
                throw new IllegalStateException("remem's cluster did not start: " + e.getMessage(), e);
            }
            environment.put("remem", "controller and 2 memory nodes in one child JVM, block size "
                    + Units.bytes(config.blockSize()));
            if (config.peers().contains("redis")) {
                log.println("starting Redis on 127.0.0.1:" + config.redisPort() + " (installing it first if needed)");
                try {
                    redis = RedisPeer.start(config.redisPort());
                    environment.put("redis", redis.version() + ", Lettuce client, one shared connection; redis+csc:"
                            + " one more per run, RESP3 with client tracking");
                } catch (PeerUnavailableException e) {
                    skip("redis", e.getMessage());
                    skip("redis+csc", e.getMessage());
                }
            } else {
                skip("redis", "not asked for (--peers)");
                skip("redis+csc", "not asked for (--peers)");
            }
            if (config.peers().contains("hazelcast")) {
                log.println("starting a Hazelcast member in its own JVM on 127.0.0.1:" + config.hazelcastPort());
                try {
                    hazelcast = HazelcastPeer.start(config.hazelcastPort(), heapFor(maxFootprint));
                    environment.put("hazelcast", hazelcast.version() + ", one member JVM, Java client");
                } catch (PeerUnavailableException e) {
                    skip("hazelcast", e.getMessage());
                    skip("hazelcast+near", e.getMessage());
                }
            } else {
                skip("hazelcast", "not asked for (--peers)");
                skip("hazelcast+near", "not asked for (--peers)");
            }
        }

        /** The member holds the data on its heap: room for the largest footprint twice over, plus its own needs. */
        private static String heapFor(long footprint) {
            return Math.max(512, (footprint * 3 >> 20) + 256) + "m";
        }

        private void skip(String peer, String reason) {
            skipped.put(peer, reason);
            log.println("skipping " + peer + ": " + reason);
        }

        int peerTargets() {
            return (redis != null ? 2 : 0) + (hazelcast != null ? 2 : 0);
        }

        RememTarget remem(String name, RememOptions options) {
            return cluster.target(name, options);
        }

        RememTarget rememFarMap(String name, RememOptions options) {
            return cluster.farMapTarget(name, options);
        }

        @Override
        public void close() {
            for (AutoCloseable c : new AutoCloseable[] {hazelcast, redis, cluster}) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        log.println("stopping a server: " + e);
                    }
                }
            }
        }
    }
}
