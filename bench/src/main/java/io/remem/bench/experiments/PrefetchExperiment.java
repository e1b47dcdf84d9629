package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.bench.Units;
import io.remem.client.CacheStats;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prefetching on and off (issue 4): sequential, strided and random scans of a far array with a small part of it
 * cached, against the same scans of a plain local {@link MemorySegment} and of a remem cache that holds the whole
 * array. One thread; every scan sums what it reads, and the sums are checked against the local run.
 */
public final class PrefetchExperiment {
    /**
     * @param footprint     bytes of the array
     * @param cacheFraction the part of it the small cache holds
     */
    public record Config(long footprint, double cacheFraction, int blockSize) {}

    private enum Pattern {
        SEQUENTIAL("sequential, whole blocks"),
        STRIDED("strided, one line every 3rd block"),
        RANDOM("random whole blocks");

        final String label;

        Pattern(String label) {
            this.label = label;
        }
    }

    private PrefetchExperiment() {}

    public static Table run(Config c, Progress progress) {
        int block = c.blockSize();
        long blocks = c.footprint() / block;
        long[] order = shuffled(blocks);
        Table t = new Table(String.format(Locale.ROOT, "Prefetching: scans of %s with %s of it cached (%s blocks)",
                Units.bytes(c.footprint()), Units.percent(c.cacheFraction()), Units.bytes(block)),
                "pattern", "setup", "time", "MB/s", "x local", "x remem all-cached", "hit rate", "accuracy", "coverage");
        try (Arena arena = Arena.ofShared(); BenchCluster cluster = new BenchCluster(3, c.footprint())) {
            MemorySegment local = arena.allocate(c.footprint(), 4096);
            fill(local);
            RememOptions base = RememOptions.builder().tenant("prefetch").blockSize(block).build();
            long small = Math.max(64L * block, (long) (c.footprint() * c.cacheFraction()));
            try (RememSession all = cluster.connect(base.toBuilder().cacheBytes(c.footprint() + 64L * block).build());
                 RememSession on = cluster.connect(base.toBuilder().tenant("prefetch-on").cacheBytes(small).build());
                 RememSession off = cluster.connect(base.toBuilder().tenant("prefetch-off").cacheBytes(small)
                         .prefetchWindow(0).build());
                 Progress.Step step = progress.start("prefetch", 3 * 4 + 3, "steps")) {
                FarSegment allSeg = populate(all, c.footprint(), step);
                FarSegment onSeg = populate(on, c.footprint(), step);
                FarSegment offSeg = populate(off, c.footprint(), step);
                int done = 3;
                for (Pattern p : Pattern.values()) {
                    MemorySegment buf = MemorySegment.ofArray(new long[block / 8]);
                    Run local0 = timeLocal(local, p, block, order);
                    step.stepTo(++done);
                    scanFar(allSeg, p, block, order, buf); // warm: everything cached
                    Run allRun = timeFar(all, allSeg, p, block, order, buf);
                    step.stepTo(++done);
                    Run onRun = timeFar(on, onSeg, p, block, order, buf);
                    step.stepTo(++done);
                    Run offRun = timeFar(off, offSeg, p, block, order, buf);
                    step.stepTo(++done);
                    for (Run r : new Run[] {allRun, onRun, offRun}) {
                        if (r.sum != local0.sum) {
                            throw new IllegalStateException(p + ": far scan summed " + r.sum + ", local " + local0.sum);
                        }
                    }
                    row(t, p, "local MemorySegment", local0, local0, allRun);
                    row(t, p, "remem, everything cached", allRun, local0, allRun);
                    row(t, p, "remem, " + Units.percent(c.cacheFraction()) + " cached, prefetch on", onRun, local0, allRun);
                    row(t, p, "remem, " + Units.percent(c.cacheFraction()) + " cached, prefetch off", offRun, local0, allRun);
                }
            }
        }
        t.note("Sums checked against the local scan. 'x local' is time over the plain MemorySegment's; 'x remem"
                + " all-cached' over remem with the whole array in its cache, which isolates the cost of fetching.");
        return t;
    }

    private record Run(long nanos, long bytes, long sum, CacheStats stats) {}

    private static void row(Table t, Pattern p, String setup, Run r, Run local, Run allCached) {
        CacheStats s = r.stats;
        t.row(p.label, setup, Units.nanos(r.nanos),
                String.format(Locale.ROOT, "%.0f", r.bytes / (r.nanos / 1e9) / 1e6),
                String.format(Locale.ROOT, "%.2f", (double) r.nanos / local.nanos),
                String.format(Locale.ROOT, "%.2f", (double) r.nanos / allCached.nanos),
                s == null ? "-" : Units.percent(s.hitRate()),
                s == null || s.prefetchesIssued() == 0 ? "-" : Units.percent(s.prefetchAccuracy()),
                s == null || s.prefetchesIssued() == 0 ? "-" : Units.percent(s.prefetchCoverage()));
    }

    private static void fill(MemorySegment local) {
        for (long off = 0; off < local.byteSize(); off += 8) {
            local.set(ValueLayout.JAVA_LONG, off, off * 31);
        }
    }

    private static FarSegment populate(RememSession s, long bytes, Progress.Step step) {
        FarSegment seg = s.memory().allocate(bytes);
        MemorySegment chunk = MemorySegment.ofArray(new long[(1 << 16) / 8]);
        for (long off = 0; off < bytes; off += chunk.byteSize()) {
            for (long i = 0; i < chunk.byteSize(); i += 8) {
                chunk.set(ValueLayout.JAVA_LONG, i, (off + i) * 31);
            }
            FarSegment.copy(chunk, 0, seg, off, Math.min(chunk.byteSize(), bytes - off));
        }
        s.memory().flush();
        return seg;
    }

    private static long[] shuffled(long n) {
        long[] order = new long[(int) n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(42);
        for (int i = order.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            long x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        return order;
    }

    private static Run timeLocal(MemorySegment local, Pattern p, int block, long[] order) {
        long t0 = System.nanoTime();
        long sum = 0;
        long bytes = 0;
        long blocks = local.byteSize() / block;
        switch (p) {
            case SEQUENTIAL -> {
                for (long off = 0; off < local.byteSize(); off += 8) {
                    sum += local.get(ValueLayout.JAVA_LONG, off);
                }
                bytes = local.byteSize();
            }
            case STRIDED -> {
                for (long b = 0; b < blocks; b += 3) {
                    for (long i = 0; i < 64; i += 8) {
                        sum += local.get(ValueLayout.JAVA_LONG, b * block + i);
                    }
                    bytes += 64;
                }
            }
            case RANDOM -> {
                for (long b : order) {
                    for (long i = 0; i < block; i += 8) {
                        sum += local.get(ValueLayout.JAVA_LONG, b * block + i);
                    }
                }
                bytes = local.byteSize();
            }
        }
        return new Run(System.nanoTime() - t0, bytes, sum, null);
    }

    private static Run timeFar(RememSession s, FarSegment seg, Pattern p, int block, long[] order, MemorySegment buf) {
        CacheStats before = s.memory().stats();
        long t0 = System.nanoTime();
        long[] out = scanFar(seg, p, block, order, buf);
        long nanos = System.nanoTime() - t0;
        return new Run(nanos, out[1], out[0], s.memory().stats().minus(before));
    }

    /** Returns {sum, bytes read}. Whole blocks are copied out in one call, as an analytics scan would. */
    private static long[] scanFar(FarSegment seg, Pattern p, int block, long[] order, MemorySegment buf) {
        long sum = 0;
        long bytes = 0;
        long blocks = seg.byteSize() / block;
        switch (p) {
            case SEQUENTIAL -> {
                for (long b = 0; b < blocks; b++) {
                    FarSegment.copy(seg, b * block, buf, 0, block);
                    sum += sum(buf, block);
                }
                bytes = seg.byteSize();
            }
            case STRIDED -> {
                for (long b = 0; b < blocks; b += 3) {
                    FarSegment.copy(seg, b * block, buf, 0, 64);
                    sum += sum(buf, 64);
                    bytes += 64;
                }
            }
            case RANDOM -> {
                for (long b : order) {
                    FarSegment.copy(seg, b * block, buf, 0, block);
                    sum += sum(buf, block);
                }
                bytes = seg.byteSize();
            }
        }
        return new long[] {sum, bytes};
    }

    private static long sum(MemorySegment buf, int bytes) {
        long s = 0;
        for (long i = 0; i < bytes; i += 8) {
            s += buf.get(ValueLayout.JAVA_LONG, i);
        }
        return s;
    }
}
