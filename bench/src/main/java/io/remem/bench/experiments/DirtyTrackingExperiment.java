package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.cli.Units;
import io.remem.client.CacheStats;
import io.remem.client.DirtyTracking;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;

import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Dirty amplification (Kona): random small writes over a far array four times the cache, tracked per 64-byte line
 * and per block; bytes written back (through eviction and a final flush) over bytes the application wrote.
 */
public final class DirtyTrackingExperiment {
    public record Config(long footprint, int blockSize, int writes) {}

    private DirtyTrackingExperiment() {}

    public static Table run(Config c, Progress progress) {
        Table t = new Table(String.format(Locale.ROOT, "Dirty amplification: %,d random writes over %s, %s cached, %s blocks",
                c.writes(), Units.bytes(c.footprint()), Units.bytes(c.footprint() / 4), Units.bytes(c.blockSize())),
                "write size", "tracking", "ops/s", "bytes written", "bytes written back", "amplification");
        int[] sizes = {8, 64, 256};
        try (BenchCluster cluster = new BenchCluster(3, c.footprint());
             Progress.Step step = progress.start("dirty", sizes.length * 2L, "runs")) {
            int done = 0;
            for (int size : sizes) {
                for (DirtyTracking tracking : DirtyTracking.values()) {
                    RememOptions o = RememOptions.builder().tenant("dirty").blockSize(c.blockSize())
                            .cacheBytes(c.footprint() / 4).dirtyTracking(tracking).prefetchWindow(0).build();
                    try (RememSession s = cluster.connect(o)) {
                        FarSegment seg = s.memory().allocate(c.footprint());
                        CacheStats before = s.memory().stats();
                        SplittableRandom r = new SplittableRandom(7);
                        MemorySegment data = MemorySegment.ofArray(new byte[size]);
                        long t0 = System.nanoTime();
                        for (int i = 0; i < c.writes(); i++) {
                            long off = r.nextLong(c.footprint() / size) * size; // aligned to its size
                            FarSegment.copy(data, 0, seg, off, size);
                        }
                        s.memory().flush();
                        long nanos = System.nanoTime() - t0;
                        CacheStats st = s.memory().stats().minus(before);
                        t.row(size + " B", tracking.name().toLowerCase(Locale.ROOT),
                                Units.count(c.writes() / (nanos / 1e9)), Units.bytes(st.bytesDirtied()),
                                Units.bytes(st.bytesWrittenBack()),
                                String.format(Locale.ROOT, "%.2f", st.dirtyAmplification()));
                        seg.free();
                    }
                    step.stepTo(++done);
                }
            }
        }
        t.note("Per-line tracking sends back only 64-byte lines that were written: an 8-byte write still costs a line"
                + " (8x), a 64-byte or larger aligned write costs exactly itself (1.0x). Per-block tracking sends the"
                + " whole block, as page-based remote paging does.");
        return t;
    }
}
