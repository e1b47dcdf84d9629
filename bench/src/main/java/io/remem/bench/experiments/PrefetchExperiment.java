package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.cli.Units;
import io.remem.bench.ZipfGenerator;
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
        COMPUTE("sequential, 16 hash rounds per word"),
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
            // "Everything cached": room for the whole array on top of the free frames the reclaimer keeps.
            long allBytes = (long) (c.footprint() * 1.1) + 64L * block;
            try (RememSession all = cluster.connect(base.toBuilder().cacheBytes(allBytes).build());
                 RememSession on = cluster.connect(base.toBuilder().tenant("prefetch-on").cacheBytes(small).build());
                 RememSession off = cluster.connect(base.toBuilder().tenant("prefetch-off").cacheBytes(small)
                         .prefetchWindow(0).build());
                 Progress.Step step = progress.start("prefetch", Pattern.values().length * 4L + 3, "steps")) {
                FarSegment allSeg = populate(all, c.footprint(), step);
                FarSegment onSeg = populate(on, c.footprint(), step);
                FarSegment offSeg = populate(off, c.footprint(), step);
                int done = 3;
                for (Pattern p : Pattern.values()) {
                    MemorySegment buf = MemorySegment.ofArray(new long[block / 8]);
                    // Each setup runs twice and keeps the faster run: the first also pays for JIT warm-up.
                    Run local0 = faster(timeLocal(local, p, block, order), timeLocal(local, p, block, order));
                    step.stepTo(++done);
                    scanFar(allSeg, p, block, order, buf); // warm: everything cached
                    Run allRun = faster(timeFar(all, allSeg, p, block, order, buf), timeFar(all, allSeg, p, block, order, buf));
                    step.stepTo(++done);
                    Run onRun = faster(timeFar(on, onSeg, p, block, order, buf), timeFar(on, onSeg, p, block, order, buf));
                    step.stepTo(++done);
                    Run offRun = faster(timeFar(off, offSeg, p, block, order, buf), timeFar(off, offSeg, p, block, order, buf));
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

    private static Run faster(Run a, Run b) {
        return a.nanos <= b.nanos ? a : b;
    }

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

    /** The local baseline runs the very same kernel as the far scans, copying from a plain segment instead. */
    private static Run timeLocal(MemorySegment local, Pattern p, int block, long[] order) {
        MemorySegment buf = MemorySegment.ofArray(new long[block / 8]);
        long t0 = System.nanoTime();
        long[] out = scan(p, block, local.byteSize(), order, buf, (off, len) -> MemorySegment.copy(local, off, buf, 0, len));
        return new Run(System.nanoTime() - t0, out[1], out[0], null);
    }

    private static Run timeFar(RememSession s, FarSegment seg, Pattern p, int block, long[] order, MemorySegment buf) {
        CacheStats before = s.memory().stats();
        long t0 = System.nanoTime();
        long[] out = scanFar(seg, p, block, order, buf);
        long nanos = System.nanoTime() - t0;
        return new Run(nanos, out[1], out[0], s.memory().stats().minus(before));
    }

    private static long[] scanFar(FarSegment seg, Pattern p, int block, long[] order, MemorySegment buf) {
        return scan(p, block, seg.byteSize(), order, buf, (off, len) -> FarSegment.copy(seg, off, buf, 0, len));
    }

    /** Copies {@code len} bytes at {@code off} of the scanned array into the scan's buffer. */
    private interface Source {
        void copy(long off, int len);
    }

    /**
     * Returns {sum, bytes read}. Whole blocks (or, strided, one line) are copied out in one call and summed, as an
     * analytics scan would; local and far scans run this same code.
     */
    private static long[] scan(Pattern p, int block, long size, long[] order, MemorySegment buf, Source src) {
        long sum = 0;
        long bytes = 0;
        long blocks = size / block;
        switch (p) {
            case SEQUENTIAL -> {
                for (long b = 0; b < blocks; b++) {
                    src.copy(b * block, block);
                    sum += sum(buf, block);
                }
                bytes = size;
            }
            case COMPUTE -> {
                for (long b = 0; b < blocks; b++) {
                    src.copy(b * block, block);
                    sum += hash(buf, block);
                }
                bytes = size;
            }
            case STRIDED -> {
                for (long b = 0; b < blocks; b += 3) {
                    src.copy(b * block, 64);
                    sum += sum(buf, 64);
                    bytes += 64;
                }
            }
            case RANDOM -> {
                for (long b : order) {
                    src.copy(b * block, block);
                    sum += sum(buf, block);
                }
                bytes = size;
            }
        }
        return new long[] {sum, bytes};
    }

    /** Work worth doing per word: 16 rounds of a 64-bit mixer, a few nanoseconds, as a real analytics kernel. */
    private static long hash(MemorySegment buf, int bytes) {
        long s = 0;
        for (long i = 0; i < bytes; i += 8) {
            long z = buf.get(ValueLayout.JAVA_LONG, i);
            for (int r = 0; r < 16; r++) {
                z = ZipfGenerator.mix(z + r);
            }
            s += z;
        }
        return s;
    }

    private static long sum(MemorySegment buf, int bytes) {
        long s = 0;
        for (long i = 0; i < bytes; i += 8) {
            s += buf.get(ValueLayout.JAVA_LONG, i);
        }
        return s;
    }
}
