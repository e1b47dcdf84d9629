package io.remem.bench.cli;

import io.remem.bench.Progress;
import io.remem.bench.demo.DemoConfig;
import io.remem.bench.demo.DemoReport;
import io.remem.bench.demo.DemoWorkload;
import io.remem.cli.Converters;
import io.remem.cli.Units;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code remem demo}: a whole cluster on loopback, a verified random workload, a short report. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a controller and memory nodes on loopback, then run random 64-byte reads and writes"
                + " over a far array several times larger than the local cache, uniform and then Zipf(0.99),"
                + " checking every read against what was written. Exits 0 only if every check passed.")
final class DemoCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--footprint", defaultValue = "1g", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "Size of the far array (default: ${DEFAULT-VALUE}).")
    long footprint;

    @Option(names = "--cache", defaultValue = "256m", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "Size of the local cache (default: ${DEFAULT-VALUE}).")
    long cache;

    @Option(names = "--block-size", defaultValue = "4k", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "Cache block size, a power of two from 256 to 64k (default: ${DEFAULT-VALUE}).")
    long blockSize;

    @Option(names = "--threads", defaultValue = "4", paramLabel = "N",
            description = "Worker threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--duration", defaultValue = "24s", converter = Converters.Time.class, paramLabel = "TIME",
            description = "Measured time, split between the uniform and the Zipf phase (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--write-ratio", defaultValue = "0.5", paramLabel = "FRACTION",
            description = "Fraction of operations that write (default: ${DEFAULT-VALUE}).")
    double writeRatio;

    @Option(names = "--nodes", defaultValue = "3", paramLabel = "N",
            description = "Memory nodes to start (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
            description = "Seed of the random choices (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        if (blockSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--block-size: " + blockSize + " is too large");
        }
        if (nodes < 1 || nodes > 64) {
            throw new IllegalArgumentException("--nodes: " + nodes + " is outside 1..64");
        }
        DemoConfig config;
        RememOptions options;
        try {
            config = new DemoConfig(footprint, threads, duration, writeRatio, seed);
            options = RememOptions.builder().tenant("demo").cacheBytes(cache).blockSize((int) blockSize).build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + e.getMessage().replaceFirst("^cacheBytes", "cache")
                    .replaceFirst("^blockSize", "block-size").replaceFirst("^write ratio", "write-ratio"));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "remem demo: %d memory nodes on loopback, %s far array, %s local cache (%s of it),"
                        + " %s blocks,%n%d threads doing 64-byte ops (%s writes), %s uniform then %s Zipf(%.2f)%n",
                nodes, Units.bytes(footprint), Units.bytes(cache), Units.percent((double) cache / footprint),
                Units.bytes(blockSize), threads, Units.percent(writeRatio), Units.nanos(duration.toNanos() / 2.0),
                Units.nanos(duration.toNanos() / 2.0), DemoConfig.ZIPF_THETA);
        out.flush();
        long capacityPerNode = footprint + (256L << 20); // lazily backed: only what is written is used
        long start = System.nanoTime();
        try (EmbeddedCluster cluster = EmbeddedCluster.builder().nodes(nodes).nodeCapacity(capacityPerNode).start();
             RememSession session = cluster.connect(options)) {
            DemoWorkload.Result result = new DemoWorkload(session.memory(), config, Progress.onConsole(System.err)).run();
            DemoReport.print(result, out);
            out.printf(Locale.ROOT, "total time %s%n", Units.nanos(System.nanoTime() - start));
            out.flush();
            return result.passed() ? 0 : 1;
        }
    }
}
