package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Repeats;
import io.remem.bench.Table;
import io.remem.bench.jmh.PingPong;
import io.remem.bench.suite.ChildJvm;
import io.remem.bench.suite.EchoServer;
import io.remem.bench.suite.PeerUnavailableException;
import io.remem.bench.suite.RememCluster;
import io.remem.cli.Units;
import io.remem.client.CacheStats;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleFunction;

/**
 * A single-threaded 4 KiB miss against the network floor, in one run: a raw socket ping-pong whose echo server runs
 * in a JVM of its own, as the memory node does (its controller and memory node share another child JVM). Rounds
 * alternate the two, so both see the same machine; each figure is the median over rounds, with the spread.
 *
 * <p>Loopback on a small VM has two regimes: every process on one CPU (a wake-up is a context switch, about 5 µs
 * a round trip) or spread over CPUs (a cross-CPU wake-up, about 55 µs). Run it under {@code taskset -c 0} for the
 * first; the children inherit the affinity, and the table's title says which regime it ran in.
 */
public final class MissFloorExperiment {
    /**
     * @param footprint the far array the walks read; the cache holds {@code cacheBytes} of it
     * @param samples   timed round trips and misses per round, each
     * @param rounds    rounds, alternating the floor and the misses
     * @param blockSize the cache's block size, and the ping-pong's answer
     */
    public record Config(long footprint, long cacheBytes, int samples, int rounds, int blockSize) {}

    /** remem's default spinWait. */
    private static final long SPIN_NANOS = RememOptions.defaults().spinWait().toNanos();

    private MissFloorExperiment() {}

    public static Table run(Config c, Progress progress) {
        double[][] floor = new double[4][c.rounds()];
        double[][] spinningFloor = new double[4][c.rounds()];
        double[][] miss = new double[4][c.rounds()];
        double[][] blocking = new double[4][c.rounds()];
        double[][] walk = new double[4][c.rounds()];
        double[] walkMissRate = new double[c.rounds()];
        long stalls = 0;
        long walkMisses = 0;
        try (RememCluster cluster = RememCluster.childJvm(1, 2 * c.footprint() + (256L << 20));
             ChildJvm echo = ChildJvm.start("echo", EchoServer.class, "64m", Duration.ofSeconds(60),
                     Integer.toString(c.blockSize()));
             PingPong pingPong = PingPong.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(echo.info())),
                     c.blockSize());
             RememSession s = cluster.connect(options(c, "miss").build());
             RememSession noSpin = cluster.connect(options(c, "miss-nospin").spinWait(Duration.ZERO).build());
             Progress.Step step = progress.start("miss", c.rounds(), "rounds")) {
            FarSegment far = written(s, c);
            FarSegment farNoSpin = written(noSpin, c);
            long blocks = c.footprint() / c.blockSize();
            long[] cursor = {0};
            long[] cursorNoSpin = {0};
            SplittableRandom random = new SplittableRandom(17);
            // Warm-up: the JIT, the socket buffers, and caches full of victims.
            // The spinning floor spins when remem's links would: with more than one CPU (the bench has one waiter).
            long spin = Runtime.getRuntime().availableProcessors() > 1 ? SPIN_NANOS : 0;
            timeFloor(pingPong, Math.max(2_000, c.samples() / 2), spin);
            timeWalk(far, c.blockSize(), blocks, cursor, Math.max(blocks, c.samples()));
            timeWalk(farNoSpin, c.blockSize(), blocks, cursorNoSpin, Math.max(blocks, c.samples()));
            timeRandom(far, c.blockSize(), blocks, random, c.samples());
            for (int r = 0; r < c.rounds(); r++) {
                record(floor, r, timeFloor(pingPong, c.samples(), 0));
                record(spinningFloor, r, timeFloor(pingPong, c.samples(), spin));
                record(miss, r, timeWalk(far, c.blockSize(), blocks, cursor, c.samples()));
                record(blocking, r, timeWalk(farNoSpin, c.blockSize(), blocks, cursorNoSpin, c.samples()));
                CacheStats before = s.memory().stats();
                record(walk, r, timeRandom(far, c.blockSize(), blocks, random, c.samples()));
                CacheStats st = s.memory().stats().minus(before);
                walkMissRate[r] = 1 - st.hitRate();
                stalls += st.evictionStalls();
                walkMisses += st.misses();
                step.stepTo(r + 1);
            }
            far.free();
            farNoSpin.free();
        } catch (PeerUnavailableException e) {
            throw new IllegalStateException("cannot start a child JVM: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("ping-pong on loopback failed", e);
        }
        Table t = new Table(String.format(Locale.ROOT, "A single-threaded %s miss against a raw ping-pong, %s (%s),"
                        + " %d rounds of %d", Units.bytes(c.blockSize()), regime(), cpus(), c.rounds(), c.samples()),
                "what", "p50", "mean", "p99", "p99.9", "p50 / floor", "mean / floor", "p99 / floor",
                "p50 over floor", "miss rate", "eviction stalls");
        DoubleFunction<String> us = Units::nanos;
        t.row("raw ping-pong (echo in its own JVM)", cell(floor[0], us), cell(floor[1], us), cell(floor[2], us),
                cell(floor[3], us), "1.00x", "1.00x", "1.00x", "-", "-", "-");
        missRow(t, "raw ping-pong, client spinning as remem's does", spinningFloor, floor, "-");
        missRow(t, "remem miss, spinning (sequential walk, every read misses)", miss, spinningFloor, "100%");
        missRow(t, "remem miss, never spinning (spinWait 0)", blocking, floor, "100%");
        t.row("remem 8 B read, uniform random over the array", cell(walk[0], us), cell(walk[1], us),
                cell(walk[2], us), cell(walk[3], us), "-", "-", "-", "-", cell(walkMissRate, Units::percent),
                Units.count(stalls) + " in " + Units.count(walkMisses) + " misses");
        t.note("Every cell is the median over rounds [min - max]; ratios and differences are taken within a round."
                + " The cache holds " + Units.bytes(c.cacheBytes()) + " of " + Units.bytes(c.footprint())
                + ", no prefetching, one copy. An eviction stall is a miss that found no free frame and waited. A"
                + " waiting thread spins (default spinWait, 100 µs) only with more than one CPU and no other waiter;"
                + " the spinning miss is compared with the spinning ping-pong, the blocking rows with the blocking one.");
        return t;
    }

    private static RememOptions.Builder options(Config c, String tenant) {
        return RememOptions.builder().tenant(tenant).replication(1).cacheBytes(c.cacheBytes()).blockSize(c.blockSize())
                .prefetchWindow(0);
    }

    /** A far array of the footprint, written and flushed, so every miss really fetches. */
    private static FarSegment written(RememSession s, Config c) {
        FarSegment far = s.memory().allocate(c.footprint());
        for (long off = 0; off < c.footprint(); off += c.blockSize()) {
            far.set(ValueLayout.JAVA_LONG, off, off);
        }
        s.memory().flush();
        return far;
    }

    /** A row of {@code miss}'s figures, and its ratios to and distance from {@code floor}'s. */
    private static void missRow(Table t, String what, double[][] miss, double[][] floor, String missRate) {
        DoubleFunction<String> us = Units::nanos;
        t.row(what, cell(miss[0], us), cell(miss[1], us), cell(miss[2], us), cell(miss[3], us),
                cell(ratios(miss[0], floor[0]), Units::ratio), cell(ratios(miss[1], floor[1]), Units::ratio),
                cell(ratios(miss[2], floor[2]), Units::ratio), cell(differences(miss[0], floor[0]), us), missRate, "-");
    }

    private static void record(double[][] into, int round, Histogram h) {
        into[0][round] = h.getValueAtPercentile(50);
        into[1][round] = h.getMean();
        into[2][round] = h.getValueAtPercentile(99);
        into[3][round] = h.getValueAtPercentile(99.9);
    }

    private static Histogram timeFloor(PingPong p, int n, long spinNanos) throws IOException {
        Histogram h = new Histogram(3);
        long sink = 0;
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            sink += spinNanos == 0 ? p.roundTrip() : p.roundTripSpinning(spinNanos);
            h.recordValue(System.nanoTime() - t0);
        }
        consume(sink);
        return h;
    }

    private static Histogram timeWalk(FarSegment far, int block, long blocks, long[] cursor, long n) {
        Histogram h = new Histogram(3);
        long sink = 0;
        long b = cursor[0];
        for (long i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            sink += far.get(ValueLayout.JAVA_LONG, b * block);
            h.recordValue(System.nanoTime() - t0);
            b = b + 1 == blocks ? 0 : b + 1;
        }
        cursor[0] = b;
        consume(sink);
        return h;
    }

    private static Histogram timeRandom(FarSegment far, int block, long blocks, SplittableRandom random, int n) {
        Histogram h = new Histogram(3);
        long sink = 0;
        for (int i = 0; i < n; i++) {
            long off = random.nextLong(blocks) * block + random.nextInt(block / 8) * 8L;
            long t0 = System.nanoTime();
            sink += far.get(ValueLayout.JAVA_LONG, off);
            h.recordValue(System.nanoTime() - t0);
        }
        consume(sink);
        return h;
    }

    private static void consume(long sink) {
        if (sink == Long.MIN_VALUE) {
            System.out.print("");
        }
    }

    private static double[] ratios(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] / b[i];
        }
        return r;
    }

    private static double[] differences(double[] a, double[] b) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] - b[i];
        }
        return r;
    }

    private static String cell(double[] v, DoubleFunction<String> format) {
        return v.length == 1 ? format.apply(v[0])
                : format.apply(Repeats.median(v)) + " [" + Repeats.spread(v, format) + "]";
    }

    /** "pinned to one CPU" when this JVM (and so its children, which inherit its affinity) may use one CPU. */
    static String regime() {
        return Runtime.getRuntime().availableProcessors() == 1 ? "pinned to one CPU" : "unpinned";
    }

    private static String cpus() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return "CPUs " + line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the count below still tells the regime
        }
        return Runtime.getRuntime().availableProcessors() + " CPUs";
    }
}
