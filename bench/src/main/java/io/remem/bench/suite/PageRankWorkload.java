package io.remem.bench.suite;

import io.remem.cli.Units;
import org.HdrHistogram.Histogram;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;
import java.util.TreeMap;

/**
 * PageRank, pull style, over an R-MAT graph held in CSR form in the store: in-edge offsets, in-edge sources,
 * out-degrees, ranks and contributions, each a region of the one array. Per iteration every vertex gathers the
 * contributions of its in-neighbours, the random reads that make graphs hard for far memory. Vertices go in blocks
 * of 512, blocks split evenly over the threads. Iterations run for the warm-up time (at least one), then at least
 * {@code iterations} more and on until the duration is up. The final ranks must equal, bit for bit, those of the
 * same number of iterations on plain Java arrays.
 */
public final class PageRankWorkload implements Workload {
    private static final double DAMPING = 0.85;
    private static final int BLOCK = 512;
    private static final int PIECE = 8192;
    private static final long PAGE = 4096;

    private final int scale;
    private final int edgeFactor;
    private final int iterations;
    private final long seed;
    private RmatGraph graph;
    private final TreeMap<Integer, double[]> references = new TreeMap<>();

    public PageRankWorkload(int scale, int edgeFactor, int iterations, long seed) {
        if (iterations < 1 || iterations > 1000) {
            throw new IllegalArgumentException("iterations " + iterations + ": must be from 1 to 1000");
        }
        this.scale = scale;
        this.edgeFactor = edgeFactor;
        this.iterations = iterations;
        this.seed = seed;
        RmatGraph.checkSize(scale, edgeFactor);
    }

    private synchronized RmatGraph graph() {
        if (graph == null) {
            graph = RmatGraph.generate(scale, edgeFactor, seed);
        }
        return graph;
    }

    /** Plain-array ranks after {@code n} iterations, carried forward from the nearest count computed before. */
    private synchronized double[] reference(int n) {
        var known = references.floorEntry(n);
        double[] rank = known == null ? null : known.getValue().clone();
        int from = known == null ? 0 : known.getKey();
        double[] result = graph().pageRank(rank, n - from, DAMPING);
        references.put(n, result.clone());
        return result;
    }

    @Override
    public String name() {
        return "pagerank R-MAT scale " + scale;
    }

    @Override
    public String family() {
        return "pagerank";
    }

    private record Layout(long offsets, long edges, long outDegree, long rank, long contrib, long end) {
        static Layout of(long vertices, long edges) {
            long o = 0;
            long e = align(o + 8 * (vertices + 1));
            long d = align(e + 4 * edges);
            long r = align(d + 8 * vertices);
            long c = align(r + 8 * vertices);
            return new Layout(o, e, d, r, c, align(c + 8 * vertices));
        }

        private static long align(long n) {
            return (n + PAGE - 1) / PAGE * PAGE;
        }
    }

    private Layout layout() {
        RmatGraph g = graph();
        return Layout.of(g.vertices(), g.edges());
    }

    @Override
    public long footprint() {
        return layout().end();
    }

    @Override
    public String footprintNote() {
        RmatGraph g = graph();
        return String.format(Locale.ROOT, "%s: %s vertices, %s edges (edge factor %d); offsets, edges, degrees,"
                        + " ranks and contributions in one array", Units.bytes(footprint()), Units.count(g.vertices()),
                Units.count(g.edges()), edgeFactor);
    }

    @Override
    public String unit() {
        return "edges";
    }

    @Override
    public RunResult run(Target target, RunSettings s) throws WorkloadCheckException {
        RmatGraph g = graph();
        Layout l = layout();
        int blocks = (g.vertices() + BLOCK - 1) / BLOCK;
        int threads = Math.min(s.threads(), blocks);
        try (ArrayStore store = target.newArray(l.end())) {
            load(store, g, l);
            Histogram[] hist = Latencies.perThread(threads);
            int done = 0;
            long warmEnd = System.nanoTime() + s.warmup().toNanos();
            do {
                iterate(store, g, l, threads, null);
                done++;
            } while (System.nanoTime() < warmEnd);
            target.measuring(true);
            long t0 = System.nanoTime();
            long end = t0 + s.duration().toNanos();
            int measured = 0;
            do {
                iterate(store, g, l, threads, hist);
                measured++;
            } while (measured < iterations || System.nanoTime() < end);
            long nanos = System.nanoTime() - t0;
            target.measuring(false);
            check(store, g, l, done + measured);
            return new RunResult(g.edges() * measured, nanos, Latencies.merged(hist), "ranks after " + (done + measured)
                    + " iterations equal plain arrays' bit for bit");
        }
    }

    private static void load(ArrayStore store, RmatGraph g, Layout l) {
        writeAll(store, l.offsets(), MemorySegment.ofArray(g.inOffsets()));
        writeAll(store, l.edges(), MemorySegment.ofArray(g.sources()));
        writeAll(store, l.outDegree(), MemorySegment.ofArray(g.outDegree()));
        double[] rank = new double[g.vertices()];
        Arrays.fill(rank, 1.0 / g.vertices());
        writeAll(store, l.rank(), MemorySegment.ofArray(rank));
        store.flush();
    }

    private static void writeAll(ArrayStore store, long at, MemorySegment src) {
        for (long off = 0; off < src.byteSize(); off += 65536) {
            store.write(at + off, src, off, (int) Math.min(65536, src.byteSize() - off));
        }
    }

    private void iterate(ArrayStore store, RmatGraph g, Layout l, int threads, Histogram[] hist)
            throws WorkloadCheckException {
        int blocks = (g.vertices() + BLOCK - 1) / BLOCK;
        Driver.parallel(threads, t -> {
            Kernel k = new Kernel(store, g.vertices(), l);
            for (int b = blocks * t / threads; b < blocks * (t + 1) / threads; b++) {
                k.contributions(b);
            }
        });
        Driver.parallel(threads, t -> {
            Kernel k = new Kernel(store, g.vertices(), l);
            for (int b = blocks * t / threads; b < blocks * (t + 1) / threads; b++) {
                long t0 = System.nanoTime();
                k.ranks(b);
                if (hist != null) {
                    hist[t].recordValue(System.nanoTime() - t0);
                }
            }
        });
    }

    private void check(ArrayStore store, RmatGraph g, Layout l, int iterationsRun) throws WorkloadCheckException {
        double[] reference = reference(iterationsRun);
        MemorySegment got = MemorySegment.ofArray(new double[g.vertices()]);
        for (long off = 0; off < got.byteSize(); off += 65536) {
            store.read(l.rank() + off, got, off, (int) Math.min(65536, got.byteSize() - off));
        }
        for (int v = 0; v < g.vertices(); v++) {
            double r = got.getAtIndex(ValueLayout.JAVA_DOUBLE, v);
            if (Double.doubleToRawLongBits(r) != Double.doubleToRawLongBits(reference[v])) {
                throw new WorkloadCheckException(String.format(Locale.ROOT,
                        "%s: vertex %d ranked %.17g, plain arrays %.17g", name(), v, r, reference[v]));
            }
        }
    }

    /** One thread's buffers; the same arithmetic, in the same order, as {@link RmatGraph#pageRank}. */
    private static final class Kernel {
        private final ArrayStore store;
        private final int vertices;
        private final Layout l;
        private final MemorySegment a = MemorySegment.ofArray(new long[BLOCK + 1]);
        private final MemorySegment b = MemorySegment.ofArray(new long[BLOCK]);
        private final MemorySegment sources = MemorySegment.ofArray(new int[PIECE]);
        private final long[] gatherAt = new long[PIECE];
        private final long[] contrib = new long[PIECE];

        Kernel(ArrayStore store, int vertices, Layout l) {
            this.store = store;
            this.vertices = vertices;
            this.l = l;
        }

        void contributions(int block) {
            int v0 = block * BLOCK;
            int n = Math.min(BLOCK, vertices - v0);
            store.read(l.rank() + 8L * v0, a, 0, 8 * n);
            store.read(l.outDegree() + 8L * v0, b, 0, 8 * n);
            for (int i = 0; i < n; i++) {
                long deg = b.getAtIndex(ValueLayout.JAVA_LONG, i);
                double r = a.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
                b.setAtIndex(ValueLayout.JAVA_DOUBLE, i, deg == 0 ? 0 : r / deg);
            }
            store.write(l.contrib() + 8L * v0, b, 0, 8 * n);
        }

        void ranks(int block) {
            int v0 = block * BLOCK;
            int n = Math.min(BLOCK, vertices - v0);
            store.read(l.offsets() + 8L * v0, a, 0, 8 * (n + 1));
            double base = (1 - DAMPING) / vertices;
            long pieceStart = 0;
            long pieceEnd = 0;
            for (int i = 0; i < n; i++) {
                long from = a.getAtIndex(ValueLayout.JAVA_LONG, i);
                long to = a.getAtIndex(ValueLayout.JAVA_LONG, i + 1);
                double sum = 0;
                for (long e = from; e < to; e++) {
                    if (e >= pieceEnd) {
                        pieceStart = e;
                        pieceEnd = Math.min(e + PIECE, a.getAtIndex(ValueLayout.JAVA_LONG, n));
                        fetch(pieceStart, (int) (pieceEnd - pieceStart));
                    }
                    sum += Double.longBitsToDouble(contrib[(int) (e - pieceStart)]);
                }
                b.setAtIndex(ValueLayout.JAVA_DOUBLE, i, base + DAMPING * sum);
            }
            store.write(l.rank() + 8L * v0, b, 0, 8 * n);
        }

        /** Reads the sources of edges {@code [first, first+count)} and gathers their contributions. */
        private void fetch(long first, int count) {
            store.read(l.edges() + 4 * first, sources, 0, 4 * count);
            for (int i = 0; i < count; i++) {
                gatherAt[i] = l.contrib() + 8L * sources.getAtIndex(ValueLayout.JAVA_INT, i);
            }
            store.gather(gatherAt, count, contrib);
        }
    }
}
