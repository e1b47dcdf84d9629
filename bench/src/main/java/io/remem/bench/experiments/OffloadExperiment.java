package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.cli.Units;
import io.remem.bench.suite.PeerUnavailableException;
import io.remem.bench.suite.RememCluster;
import io.remem.client.Aggregate;
import io.remem.client.CacheStats;
import io.remem.client.Chased;
import io.remem.client.FarSegment;
import io.remem.client.NodeLayout;
import io.remem.client.Offload;
import io.remem.client.OffloadMode;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.collections.Codec;
import io.remem.collections.FarMap;
import io.remem.protocol.AggregateRequest;
import io.remem.protocol.AggregateResult;
import io.remem.protocol.Aggregator;
import io.remem.protocol.ElementType;
import io.remem.protocol.Filter;
import org.HdrHistogram.Histogram;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * Offloaded against pulled into the cache (Clio-DF, Clio's pointer chasing): the same operation run at the memory
 * node and run here over the local cache, against a memory node in its own JVM, with a local cache of a tenth of the
 * data so pulling really moves it. Every answer is checked against a plain run over local memory, which is also
 * the all-local baseline.
 */
public final class OffloadExperiment {
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Values are uniform in [0, RANGE), so "value < ratio * RANGE" selects that ratio of the elements. */
    private static final long RANGE = 1_000_000;
    private static final double[] RATIOS = {0.001, 0.01, 0.1, 0.5, 1.0};

    /**
     * @param footprint   bytes of the scanned array
     * @param repetitions timed runs per cell
     * @param chases      timed chases per cell
     * @param childJvm    the memory node in a JVM of its own (false: in this one, for tests)
     * @param blockSize   the cache's block size
     */
    public record Config(long footprint, int repetitions, int chases, boolean childJvm, int blockSize) {}

    private OffloadExperiment() {}

    public static List<Table> run(Config c, Progress progress) {
        RememCluster cluster;
        try {
            cluster = c.childJvm() ? RememCluster.childJvm(1, 2 * c.footprint() + (256L << 20))
                    : RememCluster.inProcess(1, 2 * c.footprint() + (256L << 20));
        } catch (PeerUnavailableException e) {
            throw new IllegalStateException("cannot start the remem cluster: " + e.getMessage(), e);
        }
        RememOptions options = RememOptions.builder().tenant("offload").cacheBytes(c.footprint() / 10)
                .blockSize(c.blockSize()).build();
        try (cluster; RememSession s = cluster.connect(options)) {
            List<Table> tables = new ArrayList<>();
            tables.add(scans(s, c, progress));
            tables.add(chases(s, c, progress));
            tables.add(mapGets(s, c, progress));
            return tables;
        }
    }

    // ============================================================================== scan-filter-aggregate

    private static Table scans(RememSession s, Config c, Progress progress) {
        long n = c.footprint() / 8;
        Table t = new Table(String.format(Locale.ROOT, "Scan-filter-aggregate and select over %s of longs (%s elements),"
                        + " %s cached: milliseconds per scan, median and p99 of %d", Units.bytes(c.footprint()),
                Units.count(n), Units.bytes(c.footprint() / 10), c.repetitions()),
                "select ratio", "operation", "all-local", "near", "pulled", "near p99", "pulled p99", "pulled / near");
        Offload offload = s.memory().offload();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment local = arena.allocate(c.footprint(), 8);
            FarSegment far = s.memory().allocate(c.footprint());
            SplittableRandom random = new SplittableRandom(42);
            for (long i = 0; i < n; i++) {
                local.set(LE_LONG, 8 * i, random.nextLong(RANGE));
            }
            for (long off = 0; off < c.footprint(); off += 1 << 20) {
                FarSegment.copy(local, off, far, off, Math.min(1 << 20, c.footprint() - off));
            }
            s.memory().flush();
            try (Progress.Step step = progress.start("offload scans", RATIOS.length, "ratios")) {
                int done = 0;
                for (double ratio : RATIOS) {
                    Filter f = new Filter(Filter.Comparison.LT, (long) (ratio * RANGE), 0);
                    Aggregate expected = localAggregate(local, n, f);
                    long[] expectedSelect = localSelect(local, n, f);
                    for (String op : new String[] {"count+sum+min+max", "select"}) {
                        boolean select = op.equals("select");
                        LongSupplier localRun = select ? () -> localSelect(local, n, f).length
                                : () -> localAggregate(local, n, f).count();
                        Histogram hl = time(c.repetitions(), localRun);
                        Histogram[] modes = new Histogram[2];
                        int m = 0;
                        for (OffloadMode mode : new OffloadMode[] {OffloadMode.NEAR, OffloadMode.PULL}) {
                            modes[m++] = time(c.repetitions(), () -> {
                                if (select) {
                                    long[] got = offload.select(far, 0, n, ElementType.I64, f, mode);
                                    check(Arrays.equals(got, expectedSelect), "select", mode);
                                    return got.length;
                                }
                                Aggregate got = offload.aggregate(far, 0, n, ElementType.I64, f, mode);
                                check(got.equals(expected), "aggregate", mode);
                                return got.count();
                            });
                        }
                        t.row(Units.percent(ratio), op, ms(hl.getValueAtPercentile(50)),
                                ms(modes[0].getValueAtPercentile(50)), ms(modes[1].getValueAtPercentile(50)),
                                ms(modes[0].getValueAtPercentile(99)), ms(modes[1].getValueAtPercentile(99)),
                                String.format(Locale.ROOT, "%.1fx", (double) modes[1].getValueAtPercentile(50)
                                        / modes[0].getValueAtPercentile(50)));
                    }
                    step.stepTo(++done);
                }
            }
            warm(s, c, far, local, t);
            far.free();
        }
        t.note("near: the memory node scans and returns the answer (select: 4 bytes per match); pulled: the range"
                + " streams through the local cache with prefetching and is scanned here; all-local: the same scan over"
                + " a plain MemorySegment. Every answer is checked against the all-local one.");
        return t;
    }

    /**
     * Ranges that are all cached, where AUTO pulls: a small one, where the round trip is most of a near run, and half
     * the cache.
     */
    private static void warm(RememSession s, Config c, FarSegment far, MemorySegment local, Table t) {
        warm(s, c, far, local, t, 64 << 10);
        warm(s, c, far, local, t, c.footprint() / 10 / 2);
    }

    private static void warm(RememSession s, Config c, FarSegment far, MemorySegment local, Table t, long bytes) {
        long n = bytes / 8;
        Filter f = Filter.all();
        Offload offload = s.memory().offload();
        offload.aggregate(far, 0, n, ElementType.I64, f, OffloadMode.PULL); // bring it in
        Aggregate expected = localAggregate(local, n, f);
        Histogram hl = time(c.repetitions(), () -> localAggregate(local, n, f).count());
        Histogram[] modes = new Histogram[3];
        int m = 0;
        for (OffloadMode mode : new OffloadMode[] {OffloadMode.NEAR, OffloadMode.PULL, OffloadMode.AUTO}) {
            modes[m++] = time(c.repetitions(), () -> {
                Aggregate got = offload.aggregate(far, 0, n, ElementType.I64, f, mode);
                check(got.equals(expected), "aggregate", mode);
                return got.count();
            });
        }
        t.row("100% (cached range of " + Units.bytes(8 * n) + ")", "count+sum+min+max", ms(hl.getValueAtPercentile(50)),
                ms(modes[0].getValueAtPercentile(50)), ms(modes[1].getValueAtPercentile(50)),
                ms(modes[0].getValueAtPercentile(99)), ms(modes[1].getValueAtPercentile(99)),
                String.format(Locale.ROOT, "%.2fx (auto %s)", (double) modes[1].getValueAtPercentile(50)
                        / modes[0].getValueAtPercentile(50), ms(modes[2].getValueAtPercentile(50))));
    }

    private static Aggregate localAggregate(MemorySegment local, long n, Filter f) {
        List<AggregateResult> parts = new ArrayList<>();
        long count = 0;
        long min = 0;
        long max = 0;
        long sum = 0;
        for (long from = 0; from < n; from += AggregateRequest.MAX_ELEMENTS) {
            int len = (int) Math.min(AggregateRequest.MAX_ELEMENTS, n - from);
            Aggregator a = new Aggregator(new AggregateRequest(ElementType.I64, f, false, 0), len);
            for (long i = 0; i < len; i++) {
                a.accept(local.get(LE_LONG, 8 * (from + i)));
            }
            var r = a.result();
            if (r.count() > 0) {
                min = count == 0 ? r.min() : Math.min(min, r.min());
                max = count == 0 ? r.max() : Math.max(max, r.max());
            }
            count += r.count();
            for (long b : r.blockSums()) {
                sum += b;
            }
            parts.add(r);
        }
        return new Aggregate(ElementType.I64, count, min, max, sum);
    }

    private static long[] localSelect(MemorySegment local, long n, Filter f) {
        long[] out = new long[1024];
        int k = 0;
        for (long i = 0; i < n; i++) {
            if (f.test(ElementType.I64, local.get(LE_LONG, 8 * i))) {
                if (k == out.length) {
                    out = Arrays.copyOf(out, out.length * 2);
                }
                out[k++] = i;
            }
        }
        return Arrays.copyOf(out, k);
    }

    // ============================================================================== pointer chase

    /** Node: key, next, 48 bytes of payload: 64 bytes, one line. */
    private static final int NODE = 64;

    private static Table chases(RememSession s, Config c, Progress progress) {
        int[] lengths = {4, 16, 64, 256};
        long nodes = c.footprint() / NODE;
        Table t = new Table(String.format(Locale.ROOT, "Pointer chase: find the last key of a linked list whose %s nodes"
                        + " of 64 bytes lie scattered over %s, %s cached: microseconds per search, median and p99 of %d",
                "N", Units.bytes(c.footprint()), Units.bytes(c.footprint() / 10), c.chases()),
                "list length", "near", "pulled", "auto", "near p99", "pulled p99", "auto p99", "pulled / near");
        FarSegment heap = s.memory().allocate(nodes * NODE);
        SplittableRandom random = new SplittableRandom(7);
        // A random permutation of node slots, cut into lists: consecutive hops land on unrelated blocks.
        long[] order = new long[(int) nodes];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        NodeLayout layout = NodeLayout.list(0, 8, NODE);
        Offload offload = s.memory().offload();
        try (Progress.Step step = progress.start("offload chases", lengths.length, "lengths")) {
            int done = 0;
            int cursor = 0;
            for (int length : lengths) {
                int lists = Math.min(order.length / lengths.length / length, 4096); // a quarter of the nodes each
                long[] heads = new long[lists];
                long[] lastKeys = new long[lists];
                for (int l = 0; l < lists; l++) {
                    long next = 0;
                    for (int k = length - 1; k >= 0; k--) {
                        long slot = order[cursor + l * length + k];
                        long key = (long) length << 32 | (long) l * length + k;
                        heap.set(LE_LONG, slot * NODE, key);
                        heap.set(LE_LONG, slot * NODE + 8, next);
                        next = heap.address() + slot * NODE;
                        if (k == length - 1) {
                            lastKeys[l] = key;
                        }
                    }
                    heads[l] = next;
                }
                cursor += lists * length;
                s.memory().flush();
                Histogram[] modes = new Histogram[3];
                int m = 0;
                for (OffloadMode mode : new OffloadMode[] {OffloadMode.NEAR, OffloadMode.PULL, OffloadMode.AUTO}) {
                    for (int i = 0; i < c.chases() / 4; i++) { // warm-up: the JIT on both sides
                        int l = random.nextInt(lists);
                        offload.chase(heads[l], layout, lastKeys[l], mode);
                    }
                    modes[m] = new Histogram(3_600_000_000_000L, 3);
                    for (int i = 0; i < c.chases(); i++) {
                        int l = random.nextInt(lists);
                        long t0 = System.nanoTime();
                        Chased found = offload.chase(heads[l], layout, lastKeys[l], mode);
                        modes[m].recordValue(System.nanoTime() - t0);
                        check(found.found() && found.hops() == length, "chase", mode);
                    }
                    m++;
                }
                t.row(length, us(modes[0].getValueAtPercentile(50)), us(modes[1].getValueAtPercentile(50)),
                        us(modes[2].getValueAtPercentile(50)), us(modes[0].getValueAtPercentile(99)),
                        us(modes[1].getValueAtPercentile(99)), us(modes[2].getValueAtPercentile(99)),
                        String.format(Locale.ROOT, "%.1fx", (double) modes[1].getValueAtPercentile(50)
                                / modes[0].getValueAtPercentile(50)));
                step.stepTo(++done);
            }
        }
        heap.free();
        t.note("near: the memory node follows the pointers, one round trip; pulled: each node is read through the cache,"
                + " a round trip for every node not cached; auto: pulls while nodes are cached, then goes near."
                + " Every search must find its key after exactly 'length' nodes.");
        return t;
    }

    // ============================================================================== map get

    private static final int VALUE = 1000;

    private static Table mapGets(RememSession s, Config c, Progress progress) {
        int entries = (int) (c.footprint() / (VALUE + 64));
        int gets = c.chases() * 10;
        Table t = new Table(String.format(Locale.ROOT, "FarMap get of a random key: %s entries of %d-byte values (%s),"
                        + " %s cached: microseconds per get, median and p99 of %s", Units.count(entries), VALUE,
                Units.bytes((double) entries * VALUE), Units.bytes(c.footprint() / 10), Units.count(gets)),
                "mode", "median", "p99", "cache misses per get", "cache bytes fetched per get");
        try (FarMap<Long, byte[]> map = FarMap.create(s.memory(), Codec.int64(), Codec.bytes(), entries);
             Progress.Step step = progress.start("offload map gets", 3, "modes")) {
            for (long k = 0; k < entries; k++) {
                map.set(k, value(k));
            }
            s.memory().flush();
            SplittableRandom random = new SplittableRandom(9);
            int done = 0;
            for (OffloadMode mode : new OffloadMode[] {OffloadMode.NEAR, OffloadMode.PULL, OffloadMode.AUTO}) {
                for (int i = 0; i < gets / 4; i++) { // warm-up: the JIT, and the cache's steady state for this mode
                    map.get(random.nextLong(entries), mode);
                }
                Histogram h = new Histogram(3_600_000_000_000L, 3);
                CacheStats before = s.memory().stats();
                for (int i = 0; i < gets; i++) {
                    long k = random.nextLong(entries);
                    long t0 = System.nanoTime();
                    byte[] v = map.get(k, mode);
                    h.recordValue(System.nanoTime() - t0);
                    check(v != null && v.length == VALUE && v[0] == (byte) k && v[VALUE - 1] == (byte) (k >>> 8), "map get", mode);
                }
                CacheStats st = s.memory().stats().minus(before);
                t.row(mode.name().toLowerCase(Locale.ROOT), us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(99)),
                        String.format(Locale.ROOT, "%.2f", (double) st.misses() / gets),
                        Units.bytes((double) st.bytesFetched() / gets));
                step.stepTo(++done);
            }
        }
        t.note("near: the memory node probes the shard and returns the value, one round trip whatever is cached, and"
                + " nothing is cached; pulled: slots and entry are read through the cache; auto: here when every slot"
                + " and entry the probe reads is cached, near otherwise. A near get moves the value and about 60 bytes, outside the cache's"
                + " counts. Every value is checked.");
        return t;
    }

    private static byte[] value(long k) {
        byte[] v = new byte[VALUE];
        Arrays.fill(v, (byte) 0x5A);
        v[0] = (byte) k;
        v[VALUE - 1] = (byte) (k >>> 8);
        return v;
    }

    // ============================================================================== helpers

    private static Histogram time(int repetitions, LongSupplier run) {
        Histogram h = new Histogram(3_600_000_000_000L, 3);
        run.getAsLong(); // once unmeasured: the JIT, and the first touch
        for (int i = 0; i < repetitions; i++) {
            long t0 = System.nanoTime();
            run.getAsLong();
            h.recordValue(System.nanoTime() - t0);
        }
        return h;
    }

    private static void check(boolean ok, String what, OffloadMode mode) {
        if (!ok) {
            throw new IllegalStateException(what + " " + mode + " gave a wrong answer");
        }
    }

    private static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    private static String us(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e3);
    }
}
