package io.remem.bench.cli;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.bench.suite.RecordShape;
import io.remem.bench.suite.SharedYcsb;
import io.remem.cli.Converters;
import io.remem.cli.Units;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code remem bench shared-ycsb}: YCSB from several client JVMs against one shared store, remem beside the peers. */
@Command(name = "shared-ycsb", mixinStandardHelpOptions = true,
        description = "YCSB A and B from 2 and 4 client JVMs at once against one shared store: remem's shared map"
                + " (FarMap.open, linearizable across JVMs), one Redis server and one Hazelcast member, side by side in"
                + " one run, each cell also as a ratio to Redis. One client loads the records; all N then run the workload"
                + " together for the same period. About 3.5 minutes with the defaults.")
final class SharedYcsbCommand implements Callable<Integer> {
    /** Beyond this the default map's size would be a burden on the memory nodes: say what to change instead. */
    static final long MAX_DEFAULT_MAP_BYTES = 1L << 30;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--quick", description = "Workload A only, 2 s cells: about a minute, for a first look.")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Also save the table as DIR/shared-ycsb.md and .csv.")
    Path out;

    @Option(names = "--duration", converter = Converters.Time.class, paramLabel = "TIME",
            description = "Measured time per cell and repeat (default: 5s, 2s with --quick).")
    Duration duration;

    @Option(names = "--warmup", converter = Converters.Time.class, paramLabel = "TIME",
            description = "Unmeasured time before each measured period, all clients running (default: 1s, 500ms with --quick).")
    Duration warmup;

    @Option(names = "--repeats", paramLabel = "N", description = "Times every cell is measured, all in turn (default: 2).")
    Integer repeats;

    @Option(names = "--records", paramLabel = "N",
            description = "Records loaded (default: 1000; remem's map is sized so that its buckets do not overflow).")
    Long records;

    @Option(names = "--clients", split = ",", paramLabel = "N,...",
            description = "Client JVM counts, 1 to 16 (default: 2,4); as many JVMs as the largest are started.")
    List<Integer> clients;

    @Option(names = "--threads", paramLabel = "N", description = "Workload threads per client JVM (default: 1).")
    Integer threads;

    @Option(names = "--workloads", split = ",", paramLabel = "W,...",
            description = "YCSB workloads: A, B, C or F (default: A,B; A with --quick).")
    List<String> workloads;

    @Option(names = "--systems", split = ",", paramLabel = "NAME,...",
            description = "remem, redis and/or hazelcast (default: all three).")
    List<String> systems;

    @Option(names = "--field-count", defaultValue = "10", paramLabel = "N",
            description = "Fields per record (default: ${DEFAULT-VALUE}).")
    int fieldCount;

    @Option(names = "--field-length", defaultValue = "100", paramLabel = "BYTES",
            description = "Bytes per field (default: ${DEFAULT-VALUE}; 10 x 100 = YCSB's 1 KiB record).")
    int fieldLength;

    @Option(names = "--map-bytes", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "remem's shared map size (default: enough 4 KiB buckets that the expected number that"
                    + " overflow is under 0.01).")
    Long mapBytes;

    @Option(names = "--redis-port", defaultValue = "0", paramLabel = "PORT",
            description = "Port for the Redis server it starts (default: a free one).")
    int redisPort;

    @Option(names = "--hazelcast-port", defaultValue = "0", paramLabel = "PORT",
            description = "Port for the Hazelcast member it starts (default: a free one).")
    int hazelcastPort;

    @Override
    public Integer call() {
        BenchCommand.refuseOptionsBefore(spec);
        SharedYcsb.Config c = config();
        System.err.printf(Locale.ROOT, "shared-ycsb: %d cells x %d repeats of %s (after %s warm-up), %s records, about %.0f s%n",
                c.cellsPerRepeat(), c.repeats(), Units.nanos(c.duration().toNanos()), Units.nanos(c.warmup().toNanos()),
                Units.count(c.records()), c.estimatedNanos() / 1e9);
        List<Table> tables = SharedYcsb.run(c, Progress.onConsole(System.err), System.err);
        Table t = tables.getFirst();
        t.note("Command: ./remem " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        BenchCommand.report(spec, out, "shared-ycsb", t);
        boolean failed = t.rows().stream().anyMatch(r -> r.get(3).startsWith("FAILED"));
        if (failed) {
            spec.commandLine().getErr().println("remem bench shared-ycsb: some cells failed; their errors are above");
            return 2;
        }
        return 0;
    }

    /** The run's settings, every flag checked before anything starts. */
    SharedYcsb.Config config() {
        Duration d = duration != null ? duration : Duration.ofSeconds(quick ? 2 : 5);
        if (d.compareTo(Duration.ofMillis(100)) < 0 || d.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("--duration: " + Units.nanos(d.toNanos()) + " must be from 100ms to 10m");
        }
        Duration w = warmup != null ? warmup : Duration.ofMillis(quick ? 500 : 1000);
        if (w.isNegative() || w.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("--warmup: " + Units.nanos(w.toNanos()) + " must be from 0 to 10m");
        }
        int n = repeats != null ? repeats : 2;
        if (n < 1 || n > 100) {
            throw new IllegalArgumentException("--repeats: " + n + " must be from 1 to 100");
        }
        long r = records != null ? records : 1000;
        if (r < 100 || r > 10_000_000) {
            throw new IllegalArgumentException("--records: " + r + " must be from 100 to 10,000,000");
        }
        List<Integer> cs = clients != null ? List.copyOf(clients) : List.of(2, 4);
        for (int k : cs) {
            if (k < 1 || k > 16) {
                throw new IllegalArgumentException("--clients: " + k + " must be from 1 to 16");
            }
        }
        if (new HashSet<>(cs).size() != cs.size()) {
            throw new IllegalArgumentException("--clients: " + cs + " names a count twice");
        }
        int th = threads != null ? threads : 1;
        if (th < 1 || th > 64) {
            throw new IllegalArgumentException("--threads: " + th + " must be from 1 to 64");
        }
        List<Character> ws = new ArrayList<>();
        for (String l : workloads != null ? workloads : quick ? List.of("A") : List.of("A", "B")) {
            String u = l.strip().toUpperCase(Locale.ROOT);
            if (u.length() != 1 || SharedYcsb.WORKLOADS.indexOf(u.charAt(0)) < 0) {
                throw new IllegalArgumentException("--workloads: '" + l + "' is not one of A, B, C or F (D and E insert,"
                        + " and their new keys would be known to one client only)");
            }
            if (ws.contains(u.charAt(0))) {
                throw new IllegalArgumentException("--workloads: " + u + " is named twice");
            }
            ws.add(u.charAt(0));
        }
        List<String> ss = systems != null ? List.copyOf(systems) : SharedYcsb.SYSTEMS;
        for (String s : ss) {
            if (!SharedYcsb.SYSTEMS.contains(s)) {
                throw new IllegalArgumentException("--systems: '" + s + "' is not remem, redis or hazelcast");
            }
        }
        if (ss.isEmpty() || new HashSet<>(ss).size() != ss.size()) {
            throw new IllegalArgumentException("--systems: " + ss + " must name each system at most once, and one at least");
        }
        RecordShape shape;
        try {
            shape = new RecordShape(fieldCount, fieldLength);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--field-count/--field-length: " + e.getMessage());
        }
        int room = SharedYcsb.entriesPerBucket(shape);
        if (room < 1) {
            throw new IllegalArgumentException("--field-count/--field-length: a record of " + Units.bytes(shape.recordBytes())
                    + " and its key do not fit one of remem's 4 KiB map buckets");
        }
        long least = (r + room - 1) / room * 4096;
        long m;
        if (mapBytes != null) {
            m = mapBytes;
            if (m < least || m > (4L << 30)) {
                throw new IllegalArgumentException("--map-bytes: " + Units.bytes(m) + " must be from " + Units.bytes(least)
                        + " (" + room + " records a bucket at most) to 4 GiB");
            }
        } else {
            m = SharedYcsb.defaultMapBytes(r, shape);
            if (m > MAX_DEFAULT_MAP_BYTES) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "--records: %s records of %s would need a"
                                + " shared map of %s (%d a bucket, few enough that none overflows); at most %s by default:"
                                + " give fewer records, shorter fields, or --map-bytes", Units.count(r),
                        Units.bytes(shape.recordBytes()), Units.bytes(m), room, Units.bytes(MAX_DEFAULT_MAP_BYTES)));
            }
        }
        if (redisPort < 0 || redisPort > 65535) {
            throw new IllegalArgumentException("--redis-port: " + redisPort + " is not a port (0: a free one)");
        }
        if (hazelcastPort < 0 || hazelcastPort > 65535) {
            throw new IllegalArgumentException("--hazelcast-port: " + hazelcastPort + " is not a port (0: a free one)");
        }
        return new SharedYcsb.Config(List.copyOf(ws), cs, ss, r, shape, m, th, n, w, d, redisPort, hazelcastPort);
    }
}
