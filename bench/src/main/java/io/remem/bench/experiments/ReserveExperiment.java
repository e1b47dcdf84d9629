package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.cli.Units;
import io.remem.client.CacheStats;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import org.HdrHistogram.Histogram;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Miss latency with and without the free-frame reserve (Fastswap): random 64-byte read-modify-writes over a far
 * array four times the cache, so most misses need a victim and most victims are dirty. With the background
 * reclaimer a miss finds a free frame waiting; without it the miss evicts a victim itself, sending a dirty one
 * back in the same request as its fetch (LegoOS's piggyback). A third run reads, and writes only one op in ten, so
 * most victims are clean: there a miss must never wait for the reclaimer (an eviction stall).
 */
public final class ReserveExperiment {
    public record Config(long footprint, int blockSize, long nanos) {}

    /** One run: with or without the reclaimer, and how many ops also write. */
    private record Variant(String name, boolean background, int writeEvery) {}

    private static final Variant[] VARIANTS = {
            new Variant("background reclaimer (reserve of 1/64-1/32)", true, 1),
            new Variant("inline, no reserve", false, 1),
            new Variant("background reclaimer, 1 op in 10 writes", true, 10),
    };

    private ReserveExperiment() {}

    public static Table run(Config c, Progress progress) {
        Table t = new Table(String.format(Locale.ROOT, "Miss latency with and without a free-frame reserve: 64-byte"
                        + " read-modify-writes over %s, %s cached", Units.bytes(c.footprint()), Units.bytes(c.footprint() / 4)),
                "reclaim", "ops/s", "miss rate", "op p50", "op p99", "op p99.9", "mean miss", "stalls", "piggybacked");
        try (BenchCluster cluster = new BenchCluster(3, c.footprint());
             Progress.Step step = progress.start("reserve", VARIANTS.length, "runs")) {
            int done = 0;
            for (Variant v : VARIANTS) {
                RememOptions o = RememOptions.builder().tenant("reserve").blockSize(c.blockSize())
                        .cacheBytes(c.footprint() / 4).backgroundReclaim(v.background()).prefetchWindow(0).build();
                try (RememSession s = cluster.connect(o)) {
                    FarSegment seg = s.memory().allocate(c.footprint());
                    MemorySegment buf = MemorySegment.ofArray(new byte[64]);
                    for (long off = 0; off < c.footprint(); off += c.blockSize()) {
                        FarSegment.copy(buf, 0, seg, off, 64); // every block written once, so misses fetch
                    }
                    s.memory().flush();
                    SplittableRandom r = new SplittableRandom(3);
                    Histogram latency = new Histogram(3);
                    CacheStats before = s.memory().stats();
                    long ops = 0;
                    long t0 = System.nanoTime();
                    while (System.nanoTime() - t0 < c.nanos()) {
                        long off = r.nextLong(c.footprint() / 64) * 64;
                        long a = System.nanoTime();
                        FarSegment.copy(seg, off, buf, 0, 64);
                        if (ops % v.writeEvery() == 0) {
                            buf.set(ValueLayout.JAVA_BYTE, 0, (byte) ops);
                            FarSegment.copy(buf, 0, seg, off, 64);
                        }
                        latency.recordValue(System.nanoTime() - a);
                        ops++;
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    CacheStats st = s.memory().stats().minus(before);
                    t.row(v.name(),
                            Units.count(ops / seconds),
                            Units.percent(1 - st.hitRate()),
                            Units.nanos(latency.getValueAtPercentile(50)), Units.nanos(latency.getValueAtPercentile(99)),
                            Units.nanos(latency.getValueAtPercentile(99.9)), Units.nanos(st.meanMissNanos()),
                            Units.count(st.evictionStalls()), Units.count(st.piggybacks()));
                    seg.free();
                }
                step.stepTo(++done);
            }
        }
        t.note("An op is a 64-byte read and write of the same record (in the last run, a read, and a write one op in"
                + " ten); its latency includes the miss, if any. 'stalls' counts misses that found no free frame and"
                + " waited (background: no clean victim at hand) or evicted inline.");
        return t;
    }
}
