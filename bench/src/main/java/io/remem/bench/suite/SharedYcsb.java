package io.remem.bench.suite;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.cli.Units;
import io.remem.client.RememOptions;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleFunction;
import java.util.function.Function;

/**
 * YCSB from several client JVMs at once against one shared store, remem's shared map ({@link SharedFarMapRecordStore})
 * beside Redis (one server) and Hazelcast (one member), in one run. Every client ({@link SharedYcsbClient}) is a JVM
 * of its own with its own connection to each system; one of them loads the records, then N of them run the same
 * workload for the same period, together, and their throughputs add up. Every cell (workload, client count,
 * system) is measured once per repeat, all in turn, the systems' order rotated each repeat, so drift and the
 * loopback's regimes fall on every system alike; Redis, measured beside each cell, is the yardstick.
 */
public final class SharedYcsb {
    public static final List<String> SYSTEMS = List.of("remem", "redis", "hazelcast");
    /** YCSB workloads a shared store can run from many JVMs: D and E insert, and their keys would be one JVM's. */
    public static final String WORKLOADS = "ABCF";
    /** A shared map's bucket, and the bytes of entries it holds (its header is 8 bytes). */
    static final int BUCKET = 4096;
    static final int BUCKET_ENTRY_BYTES = BUCKET - 8;
    /** The expected number of buckets that overflow, at most, when the map's size is chosen for the records. */
    static final double OVERFLOW_BOUND = 0.01;
    private static final String TENANT = "shared-ycsb";
    /** Client JVMs start on a machine the servers already load; connecting a Hazelcast client takes seconds. */
    private static final Duration START = Duration.ofSeconds(120);
    /** Beyond a cell's own time: a dead server surfaces as a client's timeout (Redis: 10 s) well before this. */
    private static final Duration SLACK = Duration.ofSeconds(90);
    private static final int FLOOR_ROUND_TRIPS = 5_000;

    /**
     * @param workloads YCSB letters, of {@link #WORKLOADS}
     * @param clients   client JVM counts, one set of cells each; as many JVMs as the largest are started
     * @param mapBytes  the shared map's size (its buckets), from {@link #defaultMapBytes} unless given
     * @param threads   workload threads in each client JVM
     */
    public record Config(List<Character> workloads, List<Integer> clients, List<String> systems, long records,
                         RecordShape shape, long mapBytes, int threads, int repeats, Duration warmup, Duration duration,
                         int redisPort, int hazelcastPort) {
        public int maxClients() {
            return clients.stream().mapToInt(Integer::intValue).max().orElseThrow();
        }

        public int cellsPerRepeat() {
            return workloads.size() * clients.size() * systems.size();
        }

        /** Roughly how long a run takes: starting the servers and clients, the warm-up round, then every cell. */
        public long estimatedNanos() {
            long cell = warmup.toNanos() + duration.toNanos() + 500_000_000L;
            long warmUpRound = systems.size() * (warmup.toNanos() + 2_000_000_000L);
            return 30_000_000_000L + warmUpRound + (long) repeats * cellsPerRepeat() * cell;
        }
    }

    /** One cell's measurements, over repeats; a failed repeat leaves NaN and the reason. */
    private static final class Cell {
        final double[] rates;
        final Histogram all = Latencies.histogram();
        final Histogram reads = Latencies.histogram();
        final Histogram updates = Latencies.histogram();
        double minClient = Double.MAX_VALUE;
        double maxClient;
        long verified;
        String failure;

        Cell(int repeats) {
            rates = new double[repeats];
            Arrays.fill(rates, Double.NaN);
        }
    }

    private final Config config;
    private final PrintStream log;
    private final Map<String, String> skipped = new LinkedHashMap<>();
    private final Map<String, String> versions = new LinkedHashMap<>();
    private final Map<String, Long> loadNanos = new LinkedHashMap<>();
    private final Map<String, Cell> cells = new LinkedHashMap<>();
    private final List<String> live = new ArrayList<>();
    private final List<ChildJvm> clients = new ArrayList<>();
    /** First lines of the failures whose stack traces the log has shown. */
    private final Set<String> logged = new HashSet<>();

    private SharedYcsb(Config config, PrintStream log) {
        this.config = config;
        this.log = log;
    }

    /** The bytes of entries (header, longest YCSB key, record) that fit one bucket. */
    public static int entriesPerBucket(RecordShape shape) {
        return BUCKET_ENTRY_BYTES / (8 + RecordShape.MAX_KEY_BYTES + shape.recordBytes());
    }

    /**
     * The smallest map (whole buckets, growing by an eighth at a time) in which {@code records} keys, hashed at random
     * to buckets of {@link #entriesPerBucket} entries, overflow fewer than {@link #OVERFLOW_BOUND} buckets on
     * average (Poisson). A bucket cannot overflow into another: one too many entries fails the put.
     */
    public static long defaultMapBytes(long records, RecordShape shape) {
        int room = entriesPerBucket(shape);
        if (room < 1) {
            throw new IllegalArgumentException("a record of " + shape.recordBytes() + " B does not fit a shared map's"
                    + " bucket (" + BUCKET_ENTRY_BYTES + " B of entries)");
        }
        long buckets = Math.max(1, records / room);
        while (buckets * overflowChance(records / (double) buckets, room) > OVERFLOW_BOUND) {
            buckets += buckets / 8 + 1;
        }
        return buckets * BUCKET;
    }

    /** P[X > room] for X Poisson with mean {@code lambda}: the terms above {@code room}, summed directly. */
    static double overflowChance(double lambda, int room) {
        double term = Math.exp(-lambda);
        for (int k = 1; k <= room + 1; k++) {
            term *= lambda / k;
        }
        double sum = 0;
        for (int k = room + 1; term > 1e-300 && k < room + 1000; k++) {
            sum += term;
            term *= lambda / (k + 1);
        }
        return sum;
    }

    public static List<Table> run(Config c, Progress progress, PrintStream log) {
        return new SharedYcsb(c, log).run(progress);
    }

    private List<Table> run(Progress progress) {
        String loadBefore = loadAverage();
        List<String> floors = new ArrayList<>();
        long t0 = System.nanoTime();
        RememCluster cluster = null;
        RedisPeer redis = null;
        HazelcastPeer hazelcast = null;
        int redisPort = 0;
        try {
            if (config.systems().contains("remem")) {
                log.println("starting remem's cluster (controller and 2 memory nodes) in its own JVM");
                try {
                    cluster = RememCluster.childJvm(2, config.mapBytes() + config.mapBytes() / 8 + (256L << 20));
                    versions.put("remem", "controller and 2 memory nodes in one JVM, one copy");
                } catch (PeerUnavailableException e) {
                    skip("remem", e.getMessage());
                }
            }
            if (config.systems().contains("redis")) {
                // A free port by default: redis.sh first shuts down whatever Redis holds the port, and another
                // benchmark's server may be there.
                redisPort = config.redisPort() != 0 ? config.redisPort() : freePort();
                log.println("starting Redis on 127.0.0.1:" + redisPort + " (installing it first if needed)");
                try {
                    redis = RedisPeer.start(redisPort);
                    versions.put("redis", redis.version());
                } catch (PeerUnavailableException e) {
                    skip("redis", e.getMessage());
                }
            }
            if (config.systems().contains("hazelcast")) {
                log.println("starting a Hazelcast member in its own JVM");
                try {
                    hazelcast = HazelcastPeer.start(config.hazelcastPort(), "512m");
                    versions.put("hazelcast", hazelcast.version() + ", one member");
                } catch (PeerUnavailableException e) {
                    skip("hazelcast", e.getMessage());
                }
            }
            startClients();
            if (cluster != null) {
                String secret = new String(cluster.withSecret(RememOptions.builder().tenant(TENANT).build()).secret().reveal());
                connect("remem", "CONNECT remem " + cluster.controllerAddress() + " " + TENANT + " " + secret);
            }
            if (redis != null) {
                connect("redis", "CONNECT redis " + redisPort);
            }
            if (hazelcast != null) {
                connect("hazelcast", "CONNECT hazelcast " + hazelcast.address());
            }
            for (String system : List.copyOf(live)) {
                load(system);
            }
            if (live.isEmpty()) {
                throw new IllegalStateException("no system to measure: " + skipped);
            }
            long total = (long) config.repeats() * config.workloads().size() * config.clients().size() * live.size();
            try (Progress.Step step = progress.start("shared-ycsb", total + live.size(), "cells")) {
                int done = 0;
                char first = config.workloads().getFirst();
                for (String system : live) {
                    log.printf(Locale.ROOT, "warm-up round: ycsb %s, %d clients, %s (not measured)%n", first,
                            config.maxClients(), system);
                    for (String a : runCell(system, first, config.maxClients(), config.warmup().toMillis(), 2_000)) {
                        if (!a.startsWith("RESULT ")) {
                            logFailure(system + ", warm-up round", a);
                        }
                    }
                    step.stepTo(++done);
                }
                for (int r = 0; r < config.repeats(); r++) {
                    double floor = NetworkFloor.measure(4096, FLOOR_ROUND_TRIPS).getValueAtPercentile(50);
                    floors.add(Units.nanos(floor));
                    log.printf(Locale.ROOT, "repeat %d of %d: 4 KiB ping-pong median %s%n", r + 1, config.repeats(),
                            Units.nanos(floor));
                    for (char letter : config.workloads()) {
                        for (int n : config.clients()) {
                            for (int i = 0; i < live.size(); i++) {
                                String system = live.get((i + r) % live.size()); // a different one first each repeat
                                measure(r, system, letter, n);
                                step.stepTo(++done);
                            }
                        }
                    }
                }
            }
        } finally {
            for (ChildJvm c : clients) {
                try {
                    c.send("QUIT");
                } catch (RuntimeException gone) {
                    // killed below anyway
                }
                c.close();
            }
            for (AutoCloseable s : new AutoCloseable[] {hazelcast, redis, cluster}) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (Exception e) {
                        log.println("stopping a server: " + e);
                    }
                }
            }
        }
        return List.of(table(floors, loadBefore, loadAverage(), System.nanoTime() - t0));
    }

    private void skip(String system, String reason) {
        skipped.put(system, reason);
        live.remove(system);
        log.println("skipping " + system + ": " + reason);
    }

    private void startClients() {
        log.println("starting " + config.maxClients() + " client JVMs");
        for (int i = 0; i < config.maxClients(); i++) {
            try {
                clients.add(ChildJvm.start("ycsb-client-" + i, SharedYcsbClient.class, "256m", START, Integer.toString(i)));
            } catch (PeerUnavailableException e) {
                throw new IllegalStateException("client JVM " + i + " did not start: " + e.getMessage(), e);
            }
        }
        RecordShape s = config.shape();
        for (ChildJvm c : clients) {
            c.send(String.format(Locale.ROOT, "SETUP %d %d %d %d %d", config.records(), s.fieldCount(), s.fieldLength(),
                    config.threads(), config.mapBytes()));
        }
        for (ChildJvm c : clients) {
            String answer = c.await(SharedYcsbClient.ANSWER, START);
            if (!answer.equals("OK")) {
                throw new IllegalStateException("a client refused its setup: " + reason(answer));
            }
        }
    }

    /** Every client connects at once (remem's map is created by whichever open comes first). */
    private void connect(String system, String order) {
        log.println("connecting every client to " + system);
        live.add(system);
        for (ChildJvm c : clients) {
            c.send(order);
        }
        String failure = null;
        for (ChildJvm c : clients) {
            String answer = c.await(SharedYcsbClient.ANSWER, START);
            if (!answer.equals("OK") && failure == null) {
                failure = answer;
            }
        }
        if (failure != null) {
            logFailure(system + ": connecting", failure);
            skip(system, "a client could not connect: " + reason(failure));
        }
    }

    /** One loader, client 0, fills the store before anyone reads it. */
    private void load(String system) {
        log.printf(Locale.ROOT, "loading %s records into %s from one client%n", Units.count(config.records()), system);
        ChildJvm loader = clients.getFirst();
        loader.send("LOAD " + system);
        String answer = loader.await(SharedYcsbClient.ANSWER, START.plus(Duration.ofSeconds(config.records() / 50)));
        if (answer.startsWith("LOADED ")) {
            loadNanos.put(system, Long.parseLong(answer.substring("LOADED ".length())));
        } else {
            logFailure(system + ": loading", answer);
            skip(system, "loading failed: " + reason(answer));
        }
    }

    private void measure(int repeat, String system, char letter, int n) {
        Cell cell = cells.computeIfAbsent(letter + "/" + n + "/" + system, k -> new Cell(config.repeats()));
        List<String> answers = runCell(system, letter, n, config.warmup().toMillis(), config.duration().toMillis());
        List<String[]> results = new ArrayList<>();
        for (String a : answers) {
            if (!a.startsWith("RESULT ")) {
                String what = system + ", ycsb " + letter + ", " + n + " clients, repeat " + (repeat + 1);
                logFailure(what, a);
                if (cell.failure == null) {
                    cell.failure = reason(a);
                }
                return;
            }
            results.add(a.split(" "));
        }
        double rate = 0;
        Histogram all = Latencies.histogram();
        for (String[] f : results) {
            double clientRate = Long.parseLong(f[1]) / (Long.parseLong(f[2]) / 1e9);
            rate += clientRate;
            cell.minClient = Math.min(cell.minClient, clientRate);
            cell.maxClient = Math.max(cell.maxClient, clientRate);
            cell.verified += Long.parseLong(f[3]);
            all.add(SharedYcsbClient.decode(f[4]));
            cell.reads.add(SharedYcsbClient.decode(f[5]));
            cell.updates.add(SharedYcsbClient.decode(f[6]));
        }
        cell.all.add(all);
        cell.rates[repeat] = rate;
        log.printf(Locale.ROOT, "  ycsb %s, %d clients, %-9s %10s ops/s  p50 %s  p99 %s%n", letter, n, system + ":",
                Units.count(rate), Units.nanos(all.getValueAtPercentile(50)), Units.nanos(all.getValueAtPercentile(99)));
    }

    /** Clients 0..n-1 run the workload together; their answers, in order. */
    private List<String> runCell(String system, char letter, int n, long warmupMillis, long durationMillis) {
        String order = String.format(Locale.ROOT, "RUN %s %c %d %d", system, letter, warmupMillis, durationMillis);
        for (int i = 0; i < n; i++) {
            clients.get(i).send(order);
        }
        Duration timeout = Duration.ofMillis(warmupMillis + durationMillis).plus(SLACK);
        List<String> answers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            try {
                answers.add(clients.get(i).await(SharedYcsbClient.ANSWER, timeout));
            } catch (IllegalStateException e) {
                threadDump(clients.get(i)); // a client that hangs is a finding: say where it hangs
                throw e;
            }
        }
        return answers;
    }

    private void threadDump(ChildJvm c) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(c.pid()), "Thread.print")
                    .redirectErrorStream(true).start();
            String dump = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.SECONDS);
            log.println("threads of client pid " + c.pid() + ":\n" + dump);
        } catch (IOException e) {
            log.println("no thread dump of pid " + c.pid() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The whole stack trace goes to the log, once per distinct first line: a bug under load should be seen whole. */
    private void logFailure(String what, String answer) {
        String first = reason(answer);
        if (logged.add(first)) {
            log.println("  " + what + " FAILED:\n" + SharedYcsbClient.unescape(answer.replaceFirst("^ERROR \\w+ ", "")));
        } else {
            log.println("  " + what + " FAILED again: " + first);
        }
    }

    /** The first line of an ERROR answer: the exception and its message. */
    private static String reason(String answer) {
        String trace = SharedYcsbClient.unescape(answer.replaceFirst("^ERROR \\w+ ", ""));
        String line = trace.lines().findFirst().orElse(answer);
        return answer.startsWith("ERROR CHECK") ? "CHECK FAILED: " + line : line;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on loopback: " + e.getMessage(), e);
        }
    }

    /** The 1-, 5- and 15-minute load averages, for the report: other work on the machine shows up here. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private Table table(List<String> floors, String loadBefore, String loadAfter, long nanos) {
        Table t = new Table("Shared YCSB: " + Units.count(config.records()) + " records of "
                + Units.bytes(config.shape().recordBytes()) + ", one shared store, N client JVMs of "
                + config.threads() + " thread" + (config.threads() == 1 ? "" : "s") + " each",
                "workload", "clients", "system", "ops/s (over repeats)", "vs redis (over repeats)", "per client ops/s",
                "p50", "p99", "p50 vs redis", "p99 vs redis", "read p50", "update p50", "update p99");
        for (char letter : config.workloads()) {
            for (int n : config.clients()) {
                Cell redis = cells.get(letter + "/" + n + "/redis");
                for (String system : config.systems()) {
                    Cell c = cells.get(letter + "/" + n + "/" + system);
                    if (c == null) {
                        t.row("ycsb " + letter, n, system, "skipped", "-", "-", "-", "-", "-", "-", "-", "-", "-");
                        continue;
                    }
                    if (c.failure != null) {
                        t.row("ycsb " + letter, n, system, "FAILED: " + c.failure.replace("|", "/"), "-", "-", "-",
                                "-", "-", "-", "-", "-", "-");
                        continue;
                    }
                    t.row("ycsb " + letter, n, system, overRepeats(c.rates, Units::count),
                            c == redis ? "1" : ratios(c, redis),
                            Units.count(c.minClient) + "-" + Units.count(c.maxClient),
                            Units.nanos(c.all.getValueAtPercentile(50)), Units.nanos(c.all.getValueAtPercentile(99)),
                            latencyRatio(c, redis, 50), latencyRatio(c, redis, 99),
                            c.reads.getTotalCount() == 0 ? "-" : Units.nanos(c.reads.getValueAtPercentile(50)),
                            c.updates.getTotalCount() == 0 ? "-" : Units.nanos(c.updates.getValueAtPercentile(50)),
                            c.updates.getTotalCount() == 0 ? "-" : Units.nanos(c.updates.getValueAtPercentile(99)));
                }
            }
        }
        long verified = cells.values().stream().mapToLong(c -> c.verified).sum();
        t.note(String.format(Locale.ROOT, "Each cell: %s warm-up and %s measured, all N clients at once; %d repeat%s,"
                        + " the systems in a rotated order each repeat. ops/s: the clients' sum, mean over repeats (min-max);"
                        + " vs redis: per-repeat ratios to Redis in the same repeat, mean (min-max); latencies pooled over"
                        + " clients and repeats. read/update: the store's own time per operation, without YCSB's.",
                Units.nanos(config.warmup().toNanos()), Units.nanos(config.duration().toNanos()), config.repeats(),
                config.repeats() == 1 ? "" : "s"));
        t.note("Loaded by one client, " + config.threads() + " thread" + (config.threads() == 1 ? "" : "s") + ": "
                + describe(loadNanos, n -> Units.nanos(n)) + ". remem's map: " + Units.bytes(config.mapBytes()) + " of 4 KiB"
                + " buckets (" + entriesPerBucket(config.shape()) + " records each at most). YCSB verified "
                + Units.count(verified) + " reads; any failed verification fails its cell.");
        t.note("Systems: " + describe(versions, s -> s) + (skipped.isEmpty() ? "" : "; skipped: "
                + describe(skipped, s -> s)) + ". 4 KiB loopback"
                + " ping-pong median by repeat (unpinned): " + String.join(", ", floors) + ". Load average before: "
                + loadBefore + ", after: " + loadAfter + " (" + Runtime.getRuntime().availableProcessors()
                + " CPUs). Took " + Units.nanos(nanos) + ".");
        return t;
    }

    private static <V> String describe(Map<String, V> bySystem, Function<V, String> format) {
        List<String> parts = new ArrayList<>();
        bySystem.forEach((system, v) -> parts.add(system + ": " + format.apply(v)));
        return parts.isEmpty() ? "none" : String.join("; ", parts);
    }

    private static String overRepeats(double[] values, DoubleFunction<String> format) {
        double sum = 0;
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        int n = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                sum += v;
                min = Math.min(min, v);
                max = Math.max(max, v);
                n++;
            }
        }
        if (n == 0) {
            return "-";
        }
        return n == 1 ? format.apply(sum) : format.apply(sum / n) + " (" + format.apply(min) + "-" + format.apply(max) + ")";
    }

    private static String ratios(Cell c, Cell redis) {
        if (redis == null) {
            return "-";
        }
        double[] r = new double[c.rates.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = c.rates[i] / redis.rates[i]; // NaN where either failed
        }
        return overRepeats(r, SharedYcsb::ratio);
    }

    private static String latencyRatio(Cell c, Cell redis, double percentile) {
        if (redis == null || redis.all.getTotalCount() == 0) {
            return "-";
        }
        return ratio(c.all.getValueAtPercentile(percentile) / (double) redis.all.getValueAtPercentile(percentile));
    }

    private static String ratio(double r) {
        return String.format(Locale.ROOT, r < 0.1 ? "%.3fx" : r < 10 ? "%.2fx" : "%.1fx", r);
    }
}
