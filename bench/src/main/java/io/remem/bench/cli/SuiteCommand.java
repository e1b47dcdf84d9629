package io.remem.bench.cli;

import io.remem.bench.Progress;
import io.remem.bench.suite.PageRankWorkload;
import io.remem.bench.suite.RandomWorkload;
import io.remem.bench.suite.RecordShape;
import io.remem.bench.suite.RunSettings;
import io.remem.bench.suite.ScanWorkload;
import io.remem.bench.suite.Suite;
import io.remem.bench.suite.SuiteReport;
import io.remem.bench.suite.Workload;
import io.remem.bench.suite.YcsbWorkload;
import io.remem.cli.Converters;
import io.remem.cli.Units;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The options of the bench suite and of each of its workload families ({@code remem bench}, {@code remem bench
 * random|scan|ycsb|pagerank}), and running it. Defaults come in two sizes: the full suite and {@code --quick}.
 */
final class SuiteCommand {
    static final List<String> FAMILIES = List.of("random", "scan", "ycsb", "pagerank");

    @Option(names = "--quick", description = "Small footprints and 1 s runs, each cell 3 times: about 10 minutes, every peer included.")
    boolean quick;

    @Option(names = "--out", paramLabel = "DIR", description = "Save summary.md, results.csv and PNG charts in DIR.")
    Path out;

    @Option(names = "--threads", defaultValue = "4", paramLabel = "N",
            description = "Workload threads, the same for every target (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--duration", converter = Converters.Time.class, paramLabel = "TIME",
            description = "Measured time per run (default: 3s, 1s with --quick).")
    Duration duration;

    @Option(names = "--warmup", converter = Converters.Time.class, paramLabel = "TIME",
            description = "Least unmeasured time before each run; it goes on until throughput holds steady (two"
                    + " slices within 10%), up to five times this (default: 1s, 200ms with --quick).")
    Duration warmup;

    @Option(names = "--fractions", split = ",", paramLabel = "F,F,...",
            description = "The local-memory sweep: remem's cache as shares of the footprint (default: 1,0.5,0.25,0.1,0.05).")
    double[] fractions;

    @Option(names = "--peer-fraction", defaultValue = "0.25", paramLabel = "F",
            description = "Cache share at which classic paging, Redis's client-side cache and Hazelcast's near cache"
                    + " run (default: ${DEFAULT-VALUE}).")
    double peerFraction;

    @Option(names = "--peers", split = ",", paramLabel = "NAME,...",
            description = "Peers to start: redis (run plain and with a client-side cache, redis+csc), hazelcast (plain"
                    + " and with a near cache), or none (default: redis,hazelcast).")
    List<String> peers;

    @Option(names = "--block-size", defaultValue = "4k", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "remem's block size (default: ${DEFAULT-VALUE}); classic paging always uses 4 KiB.")
    long blockSize;

    @Option(names = "--redis-port", defaultValue = "16379", paramLabel = "PORT",
            description = "Port for the Redis server the suite starts (default: ${DEFAULT-VALUE}).")
    int redisPort;

    @Option(names = "--hazelcast-port", defaultValue = "15701", paramLabel = "PORT",
            description = "Port for the Hazelcast member the suite starts (default: ${DEFAULT-VALUE}).")
    int hazelcastPort;

    @Option(names = "--footprint", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "random and scan: the array's size (default: 64m, 16m with --quick).")
    Long footprint;

    @Option(names = "--sizes", split = ",", converter = Converters.Bytes.class, paramLabel = "SIZE,...",
            description = "random: item sizes, 8 B to 4 KiB (default: 8,64,4k; 64 with --quick).")
    List<Long> sizes;

    @Option(names = "--distributions", split = ",", paramLabel = "D,...",
            description = "random: uniform and/or zipf (default: both).")
    List<String> distributions;

    @Option(names = "--read-ratio", defaultValue = "0.5", paramLabel = "F",
            description = "random: share of operations that read (default: ${DEFAULT-VALUE}).")
    double readRatio;

    @Option(names = "--patterns", split = ",", paramLabel = "P,...",
            description = "scan: sequential and/or strided (default: both).")
    List<String> patterns;

    @Option(names = "--workloads", split = ",", paramLabel = "W,...",
            description = "ycsb: core workloads A to F (default: A,B,C,D,E,F; A,C with --quick).")
    List<String> ycsbWorkloads;

    @Option(names = "--records", paramLabel = "N",
            description = "ycsb: records loaded (default: 100000, 10000 with --quick).")
    Long records;

    @Option(names = "--field-count", defaultValue = "10", paramLabel = "N",
            description = "ycsb: fields per record (default: ${DEFAULT-VALUE}).")
    int fieldCount;

    @Option(names = "--field-length", defaultValue = "100", paramLabel = "BYTES",
            description = "ycsb: bytes per field (default: ${DEFAULT-VALUE}; 10 x 100 = YCSB's 1 KiB record).")
    int fieldLength;

    @Option(names = "--scale", paramLabel = "N",
            description = "pagerank: 2^N vertices (default: 17, 15 with --quick).")
    Integer scale;

    @Option(names = "--edge-factor", defaultValue = "16", paramLabel = "N",
            description = "pagerank: edges per vertex (default: ${DEFAULT-VALUE}).")
    int edgeFactor;

    @Option(names = "--iterations", defaultValue = "10", paramLabel = "N",
            description = "pagerank: measured iterations (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--repeat", paramLabel = "N", description = "Runs of each cell; the median is reported with the"
            + " spread (default: 3 with --quick, else 1).")
    Integer repeat;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Seed of every generator (default: ${DEFAULT-VALUE}).")
    long seed;

    int call(CommandLine.Model.CommandSpec spec, List<String> families) {
        Suite.Config config = config(families);
        PrintWriter out = spec.commandLine().getOut();
        long runs = (long) config.workloads().size() * (1 + config.repeats() * (1 + config.fractions().length + 1 + 3));
        out.printf(Locale.ROOT, "bench suite: %d workloads, up to %d runs (one all-local warm-up each) of %s"
                        + " after a %s warm-up, plus loading and checking%n", config.workloads().size(), runs,
                Units.nanos(config.settings().duration().toNanos()), Units.nanos(config.settings().warmup().toNanos()));
        out.flush();
        Suite.Report report = Suite.run(config, Progress.onConsole(System.err), System.err);
        SuiteReport sr = new SuiteReport(report);
        String command = "./remem " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        out.println();
        out.println(sr.markdown(command));
        if (this.out != null) {
            for (Path p : sr.save(this.out, command)) {
                out.println("saved " + p);
            }
        }
        out.flush();
        if (!report.allChecksPassed()) {
            spec.commandLine().getErr().println("remem bench: some runs failed or failed their checks; see the tables");
            return 2;
        }
        return 0;
    }

    Suite.Config config(List<String> families) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("--threads: " + threads + " must be from 1 to 1024");
        }
        Duration d = duration != null ? duration : Duration.ofSeconds(quick ? 1 : 3);
        Duration w = warmup != null ? warmup : Duration.ofMillis(quick ? 200 : 1000);
        if (d.isZero() || d.isNegative() || d.toHours() >= 1) {
            throw new IllegalArgumentException("--duration: " + d + " must be positive and under an hour");
        }
        if (w.toHours() >= 1) {
            throw new IllegalArgumentException("--warmup: " + w + " must be under an hour");
        }
        double[] f = fractions != null ? fractions : new double[] {1, 0.5, 0.25, 0.1, 0.05};
        for (double x : f) {
            if (!(x > 0 && x <= 1)) {
                throw new IllegalArgumentException("--fractions: " + x + " must be above 0 and at most 1");
            }
        }
        if (!(peerFraction > 0 && peerFraction <= 1)) {
            throw new IllegalArgumentException("--peer-fraction: " + peerFraction + " must be above 0 and at most 1");
        }
        if (blockSize < 256 || blockSize > 65536 || Long.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("--block-size: " + blockSize + " must be a power of two from 256 to 64k");
        }
        for (int port : new int[] {redisPort, hazelcastPort}) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--redis-port/--hazelcast-port: " + port + " is not a port");
            }
        }
        List<String> p = peers != null ? peers : List.of("redis", "hazelcast");
        for (String peer : p) {
            if (!List.of("redis", "hazelcast", "none").contains(peer)) {
                throw new IllegalArgumentException("--peers: '" + peer + "' is not redis, hazelcast or none");
            }
        }
        List<Workload> ws = new ArrayList<>();
        for (String family : families) {
            switch (family) {
                case "random" -> random(ws);
                case "scan" -> scan(ws);
                case "ycsb" -> ycsb(ws);
                case "pagerank" -> pagerank(ws);
                default -> throw new IllegalStateException(family);
            }
        }
        int repeats = repeat != null ? repeat : quick ? 3 : 1;
        if (repeats < 1 || repeats > 20) {
            throw new IllegalArgumentException("--repeat: " + repeats + " must be from 1 to 20");
        }
        return new Suite.Config(ws, f, peerFraction, new RunSettings(threads, w, d), (int) blockSize, p,
                quick ? 20_000 : 100_000, redisPort, hazelcastPort, repeats);
    }

    private long arrayFootprint() {
        long bytes = footprint != null ? footprint : quick ? 16L << 20 : 64L << 20;
        if (bytes < (1L << 20)) {
            throw new IllegalArgumentException("--footprint: " + Units.bytes(bytes) + " is below the minimum of 1 MiB");
        }
        return bytes;
    }

    private void random(List<Workload> ws) {
        List<Long> s = sizes != null ? sizes : quick ? List.of(64L) : List.of(8L, 64L, 4096L);
        List<String> dists = distributions != null ? distributions : List.of("uniform", "zipf");
        for (String dist : dists) {
            if (!dist.equals("uniform") && !dist.equals("zipf")) {
                throw new IllegalArgumentException("--distributions: '" + dist + "' is not uniform or zipf");
            }
            for (long size : s) {
                if (size < 8 || size > 4096 || size % 8 != 0) {
                    throw new IllegalArgumentException("--sizes: " + size + " must be a multiple of 8 from 8 to 4096");
                }
                if (!(readRatio >= 0 && readRatio <= 1)) {
                    throw new IllegalArgumentException("--read-ratio: " + readRatio + " must be from 0 to 1");
                }
                ws.add(new RandomWorkload(arrayFootprint(), (int) size, dist.equals("zipf"), readRatio, seed));
            }
        }
    }

    private void scan(List<Workload> ws) {
        for (String pattern : patterns != null ? patterns : List.of("sequential", "strided")) {
            if (!pattern.equals("sequential") && !pattern.equals("strided")) {
                throw new IllegalArgumentException("--patterns: '" + pattern + "' is not sequential or strided");
            }
            ws.add(new ScanWorkload(arrayFootprint(), pattern.equals("strided")));
        }
    }

    private void pagerank(List<Workload> ws) {
        try {
            ws.add(new PageRankWorkload(scale != null ? scale : quick ? 15 : 17, edgeFactor,
                    iterations, seed));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--scale/--edge-factor/--iterations: " + e.getMessage());
        }
    }

    private void ycsb(List<Workload> ws) {
        List<String> letters = ycsbWorkloads != null ? ycsbWorkloads : quick ? List.of("A", "C") : Arrays.asList("A", "B", "C", "D", "E", "F");
        long n = records != null ? records : quick ? 10_000 : 100_000;
        RecordShape shape;
        try {
            shape = new RecordShape(fieldCount, fieldLength);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--field-count/--field-length: " + e.getMessage());
        }
        for (String l : letters) {
            String u = l.strip().toUpperCase(Locale.ROOT);
            if (u.length() != 1 || u.charAt(0) < 'A' || u.charAt(0) > 'F') {
                throw new IllegalArgumentException("--workloads: '" + l + "' is not one of A to F");
            }
            try {
                ws.add(new YcsbWorkload(u.charAt(0), n, shape));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--records: " + e.getMessage());
            }
        }
    }
}
