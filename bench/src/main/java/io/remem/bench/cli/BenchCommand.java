package io.remem.bench.cli;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.bench.experiments.CommitExperiment;
import io.remem.bench.experiments.DirtyTrackingExperiment;
import io.remem.bench.experiments.FailoverExperiment;
import io.remem.bench.experiments.OffloadExperiment;
import io.remem.bench.experiments.PrefetchExperiment;
import io.remem.bench.experiments.MissFloorExperiment;
import io.remem.bench.experiments.ReserveExperiment;
import io.remem.bench.experiments.SecurityCostExperiment;
import io.remem.bench.experiments.VirtualThreadsExperiment;
import io.remem.cli.Converters;
import io.remem.cli.Units;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code remem bench}: the bench suite (every workload on all-local memory, remem across the local-memory sweep,
 * classic paging, Redis and Hazelcast), one workload family of it, or an experiment that measures one mechanism
 * against its alternative.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Run the bench suite: random, scan, ycsb and pagerank on all-local memory, on remem with a local"
                + " cache of 100, 50, 25, 10 and 5%% of the footprint, on classic remote paging, on Redis and on Hazelcast"
                + " (each with and without a client-side cache), side by side, after measuring the network floor. Every run checks"
                + " its own results. Redis is installed from Debian's package if missing; a peer that cannot start is"
                + " reported as skipped.",
                "A subcommand runs one workload family of the suite, or one mechanism experiment."},
        subcommands = {
                BenchCommand.RandomFamily.class,
                BenchCommand.ScanFamily.class,
                BenchCommand.YcsbFamily.class,
                BenchCommand.PageRankFamily.class,
                BenchCommand.Prefetch.class,
                BenchCommand.Dirty.class,
                BenchCommand.Reserve.class,
                BenchCommand.Miss.class,
                BenchCommand.VirtualThreads.class,
                BenchCommand.OffloadCommand.class,
                BenchCommand.FailoverCommand.class,
                BenchCommand.SecurityCommand.class,
                BenchCommand.CommitCommand.class,
                SharedYcsbCommand.class
        })
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin
    SuiteCommand suite;

    @Override
    public Integer call() {
        return suite.call(spec, SuiteCommand.FAMILIES);
    }

    /**
     * Options given before a subcommand belong to {@code bench} itself and would be silently dropped; refuse them
     * and say where they go.
     */
    static void refuseOptionsBefore(CommandLine.Model.CommandSpec sub) {
        CommandLine.ParseResult parent = sub.parent().commandLine().getParseResult();
        if (parent != null && !parent.matchedOptions().isEmpty()) {
            throw new IllegalArgumentException(parent.matchedOptions().getFirst().longestName() + ": options go after"
                    + " the subcommand, as in 'remem bench " + sub.name() + " " + parent.matchedOptions().getFirst().longestName() + " ...'");
        }
    }

    /** One workload family of the suite, named by its subcommand, with the suite's options. */
    abstract static class Family implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        SuiteCommand suite;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            return suite.call(spec, List.of(spec.name()));
        }
    }

    @Command(name = "random", mixinStandardHelpOptions = true,
            description = "Kona's microbenchmark: uniform and Zipf(0.99) random reads and writes of 8 B to 4 KiB over a"
                    + " far array, across the sweep and the peers.")
    static final class RandomFamily extends Family {}

    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = "Sequential and strided scans that sum what they read, across the sweep and the peers.")
    static final class ScanFamily extends Family {}

    @Command(name = "ycsb", mixinStandardHelpOptions = true,
            description = "YCSB core workloads A to F, driven by YCSB itself, across the sweep and the peers.")
    static final class YcsbFamily extends Family {}

    @Command(name = "pagerank", mixinStandardHelpOptions = true,
            description = "PageRank over an R-MAT power-law graph in CSR form, across the sweep and the peers.")
    static final class PageRankFamily extends Family {}

    /** Options every experiment has. */
    static final class Common {
        @Option(names = "--quick", description = "Smaller and shorter, for a first look (seconds rather than minutes).")
        boolean quick;

        @Option(names = "--out", paramLabel = "DIR", description = "Also save the table as DIR/<experiment>.md and .csv.")
        Path out;

        @Option(names = "--block-size", defaultValue = "4k", converter = Converters.Bytes.class, paramLabel = "SIZE",
                description = "Cache block size (default: ${DEFAULT-VALUE}).")
        long blockSize;

        int blockSize() {
            if (blockSize < 256 || blockSize > 65536 || Long.bitCount(blockSize) != 1) {
                throw new IllegalArgumentException("--block-size: " + blockSize + " must be a power of two from 256 to 64k");
            }
            return (int) blockSize;
        }

        void report(CommandLine.Model.CommandSpec spec, String name, Table table) {
            BenchCommand.report(spec, out, name, table);
        }
    }

    /** Prints {@code table} as markdown and, with a directory, also saves it there as {@code name}.md and .csv. */
    static void report(CommandLine.Model.CommandSpec spec, Path dir, String name, Table table) {
        PrintWriter out = spec.commandLine().getOut();
        out.println();
        out.println(table.markdown());
        out.flush();
        if (dir != null) {
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve(name + ".md"), table.markdown());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write to " + dir, e);
            }
            table.writeCsv(dir.resolve(name + ".csv"));
            out.println("saved " + dir.resolve(name + ".md") + " and .csv");
            out.flush();
        }
    }

    static long checkedFootprint(long footprint, String flag) {
        if (footprint < (16L << 20)) {
            throw new IllegalArgumentException(flag + ": " + Units.bytes(footprint) + " is below the minimum of 16 MiB");
        }
        return footprint;
    }

    @Command(name = "prefetch", mixinStandardHelpOptions = true,
            description = "Sequential, strided and random scans with a small cache, prefetching on and off, against"
                    + " a local MemorySegment and against remem with everything cached.")
    static final class Prefetch implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;

        @Option(names = "--footprint", converter = Converters.Bytes.class, paramLabel = "SIZE",
                description = "Array size (default: 512m, 128m with --quick).")
        Long footprint;

        @Option(names = "--cache-fraction", defaultValue = "0.1", paramLabel = "FRACTION",
                description = "Part of the array the small cache holds (default: ${DEFAULT-VALUE}).")
        double fraction;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            if (!(fraction > 0 && fraction < 1)) {
                throw new IllegalArgumentException("--cache-fraction: " + fraction + " must be between 0 and 1");
            }
            long f = checkedFootprint(footprint != null ? footprint : common.quick ? 128L << 20 : 512L << 20, "--footprint");
            Table t = PrefetchExperiment.run(new PrefetchExperiment.Config(f, fraction, common.blockSize()),
                    Progress.onConsole(System.err));
            common.report(spec, "prefetch", t);
            return 0;
        }
    }

    @Command(name = "dirty", mixinStandardHelpOptions = true,
            description = "Dirty amplification of random small writes, per-line against per-block tracking.")
    static final class Dirty implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;

        @Option(names = "--writes", paramLabel = "N", description = "Writes per run (default: 400000, 100000 with --quick).")
        Integer writes;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            int n = writes != null ? writes : common.quick ? 100_000 : 400_000;
            if (n < 1) {
                throw new IllegalArgumentException("--writes: must be positive");
            }
            long f = common.quick ? 64L << 20 : 256L << 20;
            Table t = DirtyTrackingExperiment.run(new DirtyTrackingExperiment.Config(f, common.blockSize(), n),
                    Progress.onConsole(System.err));
            common.report(spec, "dirty", t);
            return 0;
        }
    }

    @Command(name = "reserve", mixinStandardHelpOptions = true,
            description = "Miss latency with a background reclaimer keeping free frames, against misses that evict"
                    + " inline (with piggybacked write-back).")
    static final class Reserve implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;

        @Option(names = "--duration", converter = Converters.Time.class, paramLabel = "TIME",
                description = "Per setup (default: 10s, 3s with --quick).")
        Duration duration;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            Duration d = duration != null ? duration : Duration.ofSeconds(common.quick ? 3 : 10);
            long f = common.quick ? 64L << 20 : 256L << 20;
            Table t = ReserveExperiment.run(new ReserveExperiment.Config(f, common.blockSize(), d.toNanos()),
                    Progress.onConsole(System.err));
            common.report(spec, "reserve", t);
            return 0;
        }
    }

    @Command(name = "miss", mixinStandardHelpOptions = true,
            description = {"A single-threaded miss against a raw socket ping-pong whose echo runs in its own JVM, as"
                    + " the memory node does, alternated in rounds: p50, mean, p99 and p99.9, their ratios to the"
                    + " floor, and eviction stalls in a random walk.",
                    "Run it twice: under 'taskset -c 0' (every process on one CPU, the fast loopback regime) and"
                            + " without (the slow, cross-CPU one)."})
    static final class Miss implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;

        @Option(names = "--rounds", paramLabel = "N", description = "Rounds (default: 5, 3 with --quick).")
        Integer rounds;

        @Option(names = "--samples", paramLabel = "N",
                description = "Timed round trips and misses per round, each (default: 20000, 5000 with --quick).")
        Integer samples;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            int r = rounds != null ? rounds : common.quick ? 3 : 5;
            int n = samples != null ? samples : common.quick ? 5_000 : 20_000;
            if (r < 1 || r > 1_000) {
                throw new IllegalArgumentException("--rounds: " + r + " must be from 1 to 1000");
            }
            if (n < 100 || n > 10_000_000) {
                throw new IllegalArgumentException("--samples: " + n + " must be from 100 to 10000000");
            }
            long footprint = common.quick ? 64L << 20 : 256L << 20;
            Table t = MissFloorExperiment.run(new MissFloorExperiment.Config(footprint, footprint / 16, n, r,
                    common.blockSize()), Progress.onConsole(System.err));
            common.report(spec, "miss", t);
            return 0;
        }
    }

    @Command(name = "vthreads", mixinStandardHelpOptions = true,
            description = "Throughput of random misses from 1 to 1024 virtual threads, watching for carrier pinning.")
    static final class VirtualThreads implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;

        @Option(names = "--duration", converter = Converters.Time.class, paramLabel = "TIME",
                description = "Per thread count (default: 3s, 1s with --quick).")
        Duration duration;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            Duration d = duration != null ? duration : Duration.ofSeconds(common.quick ? 1 : 3);
            int[] threads = common.quick ? new int[] {1, 4, 16, 64, 256} : new int[] {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
            long f = common.quick ? 64L << 20 : 256L << 20;
            Table t = VirtualThreadsExperiment.run(new VirtualThreadsExperiment.Config(f, common.blockSize(), threads,
                    d.toNanos()), Progress.onConsole(System.err));
            common.report(spec, "vthreads", t);
            return 0;
        }
    }

    @Command(name = "offload", mixinStandardHelpOptions = true,
            description = "Offloaded against pulled into the cache: scan-filter-aggregate and select across select"
                    + " ratios, and pointer chases across list lengths, against a memory node in its own JVM.")
    static final class OffloadCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;

        @Option(names = "--footprint", converter = Converters.Bytes.class, paramLabel = "SIZE",
                description = "Bytes scanned and chased over (default: 256m, 64m with --quick).")
        Long footprint;

        @Option(names = "--repetitions", paramLabel = "N", description = "Timed scans per cell (default: 10, 3 with --quick).")
        Integer repetitions;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            long f = checkedFootprint(footprint != null ? footprint : common.quick ? 64L << 20 : 256L << 20, "--footprint");
            int reps = repetitions != null ? repetitions : common.quick ? 3 : 10;
            if (reps < 1) {
                throw new IllegalArgumentException("--repetitions: must be positive");
            }
            List<Table> tables = OffloadExperiment.run(new OffloadExperiment.Config(f, reps, common.quick ? 300 : 2000, true,
                    common.blockSize()),
                    Progress.onConsole(System.err));
            for (int i = 0; i < tables.size(); i++) {
                common.report(spec, i == 0 ? "offload-scan" : i == 1 ? "offload-chase" : "offload-map", tables.get(i));
            }
            return 0;
        }
    }

    @Command(name = "failover", mixinStandardHelpOptions = true,
            description = "Replication and failover against three memory nodes in JVMs of their own: write-back"
                    + " throughput at one copy and two, then a SIGKILL under load: the stall, detection and re-replication.")
    static final class FailoverCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;

        @Option(names = "--footprint", converter = Converters.Bytes.class, paramLabel = "SIZE",
                description = "Far bytes each workload uses (default: 128m, 32m with --quick).")
        Long footprint;

        @Option(names = "--rounds", paramLabel = "N", description = "Timed write-back rounds per factor (default: 20, 5 with --quick).")
        Integer rounds;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            long f = checkedFootprint(footprint != null ? footprint : common.quick ? 32L << 20 : 128L << 20, "--footprint");
            int n = rounds != null ? rounds : common.quick ? 5 : 20;
            if (n < 1) {
                throw new IllegalArgumentException("--rounds: must be positive");
            }
            List<Table> tables = FailoverExperiment.run(new FailoverExperiment.Config(f, n), Progress.onConsole(System.err));
            common.report(spec, "failover-writeback", tables.get(0));
            common.report(spec, "failover-kill", tables.get(1));
            return 0;
        }
    }

    @Command(name = "security", mixinStandardHelpOptions = true,
            description = "What TLS and checksums of data in flight cost: miss latency and write-back throughput on plain"
                    + " TCP and TLS, with and without checksums, next to a raw socket ping-pong, in one run.")
    static final class SecurityCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;

        @Option(names = "--rounds", paramLabel = "N", description = "Rounds, each setup once per round (default: 10, 3 with --quick).")
        Integer rounds;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            int n = rounds != null ? rounds : common.quick ? 3 : 10;
            if (n < 1) {
                throw new IllegalArgumentException("--rounds: must be positive");
            }
            long footprint = common.quick ? 32L << 20 : 128L << 20;
            long writeBack = common.quick ? 16L << 20 : 64L << 20;
            List<Table> tables = SecurityCostExperiment.run(new SecurityCostExperiment.Config(common.blockSize(), footprint,
                    writeBack, n, common.quick ? 2_000 : 10_000), Progress.onConsole(System.err));
            common.report(spec, "security-miss", tables.get(0));
            common.report(spec, "security-writeback", tables.get(1));
            return 0;
        }
    }

    @Command(name = "commit", mixinStandardHelpOptions = true,
            description = "Commit latency and throughput of coherent datasets (Hotpot's workload: one thread committing"
                    + " random 4 KiB-aligned areas), MRSW and MRMW, at 1, 2 and 3 copies, 4 KiB and 64 KiB commits,"
                    + " against a raw socket ping-pong and a replicated write-back of the same bytes in the same run;"
                    + " and a validated 4 KiB dataset read against a cache miss. Three memory nodes in this JVM.")
    static final class CommitCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        Common common;

        @Option(names = "--duration", converter = Converters.Time.class, paramLabel = "TIME",
                description = "Per cell and repeat (default: 1s, 300ms with --quick).")
        Duration duration;

        @Option(names = "--warmup", converter = Converters.Time.class, paramLabel = "TIME",
                description = "Per cell, untimed, once before the first repeat; 0 for none (default: 300ms, 100ms with --quick).")
        Duration warmup;

        @Option(names = "--repeats", paramLabel = "N", description = "Times every cell is measured, all in turn (default: 3).")
        Integer repeats;

        @Option(names = "--replicas", split = ",", paramLabel = "N,...",
                description = "Copies of every slab, 1 to " + CommitExperiment.NODES + " (default: 1,2,3).")
        List<Integer> replicas;

        @Option(names = "--sizes", split = ",", converter = Converters.Bytes.class, paramLabel = "SIZE,...",
                description = "Bytes per commit, multiples of 4k up to 1m (default: 4k,64k).")
        List<Long> sizes;

        @Option(names = "--dataset-size", converter = Converters.Bytes.class, paramLabel = "SIZE",
                description = "Bytes of each dataset the random areas fall in (default: 64m, 16m with --quick).")
        Long datasetSize;

        @Override
        public Integer call() {
            refuseOptionsBefore(spec);
            CommitExperiment.Config c = config();
            System.err.printf("commit: %d cells x %d repeats of %s, about %.0f s%n", c.cellsPerRepeat(), c.repeats(),
                    Units.nanos(c.cellNanos()), c.estimatedNanos() / 1e9);
            List<Table> tables = CommitExperiment.run(c, Progress.onConsole(System.err));
            common.report(spec, "commit-latency", tables.get(0));
            common.report(spec, "commit-read", tables.get(1));
            return 0;
        }

        /** The experiment's settings, every flag checked before anything starts. */
        CommitExperiment.Config config() {
            int blockSize = common.blockSize();
            Duration d = duration != null ? duration : common.quick ? Duration.ofMillis(300) : Duration.ofSeconds(1);
            if (d.compareTo(Duration.ofMillis(10)) < 0 || d.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("--duration: " + Units.nanos(d.toNanos()) + " must be from 10ms to 10m");
            }
            Duration w = warmup != null ? warmup : common.quick ? Duration.ofMillis(100) : Duration.ofMillis(300);
            if (w.isNegative() || w.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("--warmup: " + Units.nanos(w.toNanos()) + " must be from 0 to 10m");
            }
            int n = repeats != null ? repeats : 3;
            if (n < 1 || n > 1000) {
                throw new IllegalArgumentException("--repeats: " + n + " must be from 1 to 1000");
            }
            List<Integer> r = replicas != null ? List.copyOf(replicas) : List.of(1, 2, 3);
            for (int copies : r) {
                if (copies < 1 || copies > CommitExperiment.NODES) {
                    throw new IllegalArgumentException("--replicas: " + copies + " must be from 1 to "
                            + CommitExperiment.NODES + " (the memory nodes this experiment starts)");
                }
            }
            if (new HashSet<>(r).size() != r.size()) {
                throw new IllegalArgumentException("--replicas: " + r + " names a factor twice");
            }
            List<Long> s = sizes != null ? List.copyOf(sizes) : List.of(4096L, 65536L);
            for (long size : s) {
                if (size < 4096 || size > (1L << 20) || size % 4096 != 0) {
                    throw new IllegalArgumentException("--sizes: " + Units.bytes(size) + " must be a multiple of 4k from"
                            + " 4k to 1m");
                }
            }
            if (new HashSet<>(s).size() != s.size()) {
                throw new IllegalArgumentException("--sizes: " + s + " names a size twice");
            }
            long bytes = datasetSize != null ? datasetSize : common.quick ? 16L << 20 : 64L << 20;
            long largest = s.stream().mapToLong(Long::longValue).max().orElseThrow();
            if (bytes % 4096 != 0 || bytes < Math.max(1L << 20, 16 * largest) || bytes > (4L << 30)) {
                throw new IllegalArgumentException("--dataset-size: " + Units.bytes(bytes) + " must be a multiple of 4k"
                        + " from 1m (and 16 times the largest of --sizes, " + Units.bytes(16 * largest) + ") to 4g");
            }
            return new CommitExperiment.Config(bytes, r, s.stream().map(Long::intValue).toList(), n, d.toNanos(),
                    w.toNanos(), blockSize);
        }
    }
}
