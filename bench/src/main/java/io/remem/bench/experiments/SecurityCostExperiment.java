package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.cli.Units;
import io.remem.bench.jmh.PingPong;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.transport.TlsConfig;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

import static io.remem.bench.Repeats.median;
import static io.remem.bench.Repeats.spread;
import static io.remem.cli.Units.ratio;

/**
 * What security costs on the data path: TLS, and CRC32C checksums of data in flight, on the miss path and on write-back
 * throughput, against plain TCP without checksums and against a raw socket ping-pong, all in one run. The four setups
 * and the ping-pong take turns round by round, so drift and the loopback's two latency regimes fall on all alike.
 */
public final class SecurityCostExperiment {
    /**
     * @param footprint      far bytes each setup walks for misses (every read misses: the cache is far smaller)
     * @param writeBackBytes bytes dirtied, every 64-byte line, and flushed per write-back round
     * @param rounds         rounds, each setup measured once per round
     * @param missesPerRound misses timed per setup and round
     */
    public record Config(int blockSize, long footprint, long writeBackBytes, int rounds, int missesPerRound) {}

    private record Setup(String name, boolean tls, boolean checksums) {}

    private static final List<Setup> SETUPS = List.of(
            new Setup("plain TCP", false, false),
            new Setup("plain TCP + checksums", false, true),
            new Setup("TLS", true, false),
            new Setup("TLS + checksums", true, true));

    private SecurityCostExperiment() {}

    public static List<Table> run(Config c, Progress progress) {
        Path dir;
        try {
            dir = Files.createTempDirectory("remem-security-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TlsConfig tls = SelfSignedTls.create(dir);
        long capacity = 2 * (c.footprint() + c.writeBackBytes()) * SETUPS.size() + (64L << 20);
        int n = SETUPS.size();
        Histogram[] misses = new Histogram[n + 1]; // the last: the ping-pong
        double[][] mbps = new double[n][c.rounds()];
        for (int i = 0; i <= n; i++) {
            misses[i] = new Histogram(3);
        }
        double[][] missMedians = new double[n + 1][c.rounds()];
        try (EmbeddedCluster plainCluster = EmbeddedCluster.builder().nodes(1).nodeCapacity(capacity).start();
             EmbeddedCluster tlsCluster = EmbeddedCluster.builder().nodes(1).nodeCapacity(capacity).tls(tls).start();
             PingPong pingPong = PingPong.start(c.blockSize());
             Progress.Step step = progress.start("security costs", (long) c.rounds() * (n + 1), "measurements")) {
            RememSession[] sessions = new RememSession[n];
            FarSegment[] walk = new FarSegment[n];
            FarSegment[] written = new FarSegment[n];
            try {
                for (int i = 0; i < n; i++) {
                    Setup s = SETUPS.get(i);
                    RememOptions o = RememOptions.builder().tenant("cost" + i).blockSize(c.blockSize())
                            .cacheBytes(Math.max(1L << 20, c.writeBackBytes() + (4L << 20))).prefetchWindow(0)
                            .replication(1).checksums(s.checksums()).build();
                    sessions[i] = (s.tls() ? tlsCluster : plainCluster).connect(o);
                    walk[i] = sessions[i].memory().allocate(c.footprint());
                    written[i] = sessions[i].memory().allocate(c.writeBackBytes());
                    for (long off = 0; off < c.footprint(); off += c.blockSize()) {
                        walk[i].set(ValueLayout.JAVA_LONG, off, off); // written once, so every miss fetches
                    }
                    sessions[i].memory().flush();
                }
                long[] next = new long[n];
                byte[] line = new byte[64];
                for (int r = 0; r < c.rounds(); r++) {
                    Histogram pp = new Histogram(3);
                    for (int k = 0; k < c.missesPerRound(); k++) {
                        long t0 = System.nanoTime();
                        pingPong.roundTrip();
                        pp.recordValue(System.nanoTime() - t0);
                    }
                    misses[n].add(pp);
                    missMedians[n][r] = pp.getValueAtPercentile(50);
                    step.stepTo((long) r * (n + 1) + 1);
                    for (int i = 0; i < n; i++) {
                        Histogram h = new Histogram(3);
                        FarSegment f = walk[i];
                        for (int k = 0; k < c.missesPerRound(); k++) {
                            long off = next[i];
                            next[i] = off + c.blockSize() >= c.footprint() ? 0 : off + c.blockSize();
                            long t0 = System.nanoTime();
                            f.get(ValueLayout.JAVA_LONG, off);
                            h.recordValue(System.nanoTime() - t0);
                        }
                        misses[i].add(h);
                        missMedians[i][r] = h.getValueAtPercentile(50);
                        line[0] = (byte) r;
                        MemorySegment src = MemorySegment.ofArray(line);
                        for (long off = 0; off < c.writeBackBytes(); off += 64) {
                            FarSegment.copy(src, 0, written[i], off, 64);
                        }
                        long t0 = System.nanoTime();
                        sessions[i].memory().flush();
                        mbps[i][r] = c.writeBackBytes() / ((System.nanoTime() - t0) / 1e9) / 1e6;
                        step.stepTo((long) r * (n + 1) + i + 2);
                    }
                }
            } finally {
                for (RememSession s : sessions) {
                    if (s != null) {
                        s.close();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.of(missTable(c, misses, missMedians), writeBackTable(c, mbps));
    }

    private static Table missTable(Config c, Histogram[] misses, double[][] medians) {
        int n = SETUPS.size();
        Table t = new Table(String.format(Locale.ROOT, "Miss latency: %s blocks, one thread, every read a miss; %d"
                        + " rounds of %d misses per setup, taken in turn", Units.bytes(c.blockSize()), c.rounds(),
                c.missesPerRound()),
                "setup", "p50", "p99", "mean", "p50 spread over rounds", "p50 vs ping-pong", "p50 vs plain TCP");
        double floor = misses[n].getValueAtPercentile(50);
        double plain = misses[0].getValueAtPercentile(50);
        for (int i = 0; i <= n; i++) {
            Histogram h = misses[i];
            double p50 = h.getValueAtPercentile(50);
            t.row(i == n ? "raw socket ping-pong (the floor)" : SETUPS.get(i).name(), Units.nanos(p50),
                    Units.nanos(h.getValueAtPercentile(99)), Units.nanos(h.getMean()), spread(medians[i], Units::nanos),
                    ratio(p50 / floor), i == n ? "-" : ratio(p50 / plain));
        }
        return t.note("Checksums add a CRC32C of the block on the memory node and another on the client; TLS adds a"
                + " record's encryption and decryption each way and one more copy on the client (the JDK's SSLSocket).");
    }

    private static Table writeBackTable(Config c, double[][] mbps) {
        Table t = new Table(String.format(Locale.ROOT, "Write-back throughput: %s dirtied (every 64-byte line) and flushed"
                + " per round, one copy; %d rounds per setup, taken in turn", Units.bytes(c.writeBackBytes()), c.rounds()),
                "setup", "median MB/s", "spread over rounds", "vs plain TCP");
        double plain = median(mbps[0]);
        DoubleFunction<String> whole = v -> String.format(Locale.ROOT, "%.0f", v);
        for (int i = 0; i < SETUPS.size(); i++) {
            double m = median(mbps[i]);
            t.row(SETUPS.get(i).name(), whole.apply(m), spread(mbps[i], whole), ratio(m / plain));
        }
        return t.note("A write-back run carries the CRC32C of its bytes, computed once by the client for every replica"
                + " and checked by the memory node before anything is applied.");
    }
}
