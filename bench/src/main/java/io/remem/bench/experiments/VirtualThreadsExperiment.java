package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.cli.Units;
import io.remem.client.CacheStats;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Latency hidden by virtual threads (AIFM's green threads): 1 to 1024 virtual threads doing random 8-byte reads
 * over a far array sixteen times the cache, nearly all misses. Throughput should rise with threads until the
 * network or the memory nodes saturate. JFR watches for virtual threads that pin their carrier while they wait.
 */
public final class VirtualThreadsExperiment {
    public record Config(long footprint, int blockSize, int[] threads, long nanosPerPoint) {}

    private VirtualThreadsExperiment() {}

    public static Table run(Config c, Progress progress) {
        Table t = new Table(String.format(Locale.ROOT, "Virtual threads hiding miss latency: random reads over %s,"
                        + " %s cached", Units.bytes(c.footprint()), Units.bytes(c.footprint() / 16)),
                "virtual threads", "reads/s", "mean read", "miss rate", "misses/s", "x 1 thread", "carrier pinnings");
        try (BenchCluster cluster = new BenchCluster(3, c.footprint());
             RememSession s = cluster.connect(RememOptions.builder().tenant("vthreads").blockSize(c.blockSize())
                     .cacheBytes(c.footprint() / 16).prefetchWindow(0).build());
             Progress.Step step = progress.start("vthreads", c.threads().length, "points")) {
            FarSegment seg = s.memory().allocate(c.footprint());
            long words = c.footprint() / 8;
            for (long w = 0; w < words; w += c.blockSize() / 8) {
                seg.set(ValueLayout.JAVA_LONG, w * 8, w);
            }
            s.memory().flush();
            double single = 0;
            int done = 0;
            for (int n : c.threads()) {
                LongAdder reads = new LongAdder();
                CacheStats before = s.memory().stats();
                Path jfr = tempFile();
                long nanos;
                int pinned;
                try (Recording recording = new Recording()) {
                    recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
                    recording.start();
                    long deadline = System.nanoTime() + c.nanosPerPoint();
                    long t0 = System.nanoTime();
                    List<Thread> threads = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        // Made here: a JDK class's first use, racing in many virtual threads, pins them on its
                        // initializer, which would be counted against remem.
                        SplittableRandom r = new SplittableRandom(i);
                        threads.add(Thread.ofVirtual().start(() -> {
                            long local = 0;
                            while (System.nanoTime() < deadline) {
                                long w = r.nextLong(words / (c.blockSize() / 8)) * (c.blockSize() / 8);
                                if (seg.get(ValueLayout.JAVA_LONG, w * 8) != w) {
                                    throw new IllegalStateException("word " + w + " read back wrong");
                                }
                                local++;
                            }
                            reads.add(local);
                        }));
                    }
                    Set<Long> ids = new HashSet<>();
                    for (Thread th : threads) {
                        ids.add(th.threadId());
                        th.join();
                    }
                    nanos = System.nanoTime() - t0;
                    recording.stop();
                    recording.dump(jfr);
                    pinned = countPinned(jfr, ids);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                CacheStats st = s.memory().stats().minus(before);
                double perSecond = reads.sum() / (nanos / 1e9);
                if (n == c.threads()[0]) {
                    single = perSecond;
                }
                t.row(n, Units.count(perSecond), Units.nanos(n * 1e9 / perSecond), Units.percent(1 - st.hitRate()),
                        Units.count(st.misses() / (nanos / 1e9)), String.format(Locale.ROOT, "%.1f", perSecond / single),
                        pinned);
                step.stepTo(++done);
            }
            seg.free();
        }
        t.note("'mean read' is threads divided by throughput: the time one read takes from a thread's point of view."
                + " 'carrier pinnings' counts JFR jdk.VirtualThreadPinned events from the workload's threads.");
        return t;
    }

    private static Path tempFile() {
        try {
            Path p = Files.createTempFile("remem-vthreads", ".jfr");
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int countPinned(Path jfr, Set<Long> threads) throws IOException {
        int pinned = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (e.getThread() != null && threads.contains(e.getThread().getJavaThreadId())) {
                if (pinned++ == 0) {
                    System.err.println("a virtual thread pinned its carrier: " + e.getString("pinnedReason") + ", at");
                    e.getStackTrace().getFrames().stream().limit(40).forEach(f -> System.err.println("    "
                            + f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber()));
                }
            }
        }
        Files.deleteIfExists(jfr);
        return pinned;
    }
}
