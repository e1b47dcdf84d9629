package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import io.remem.cli.Units;
import io.remem.bench.jmh.PingPong;
import io.remem.client.Acquisition;
import io.remem.client.CommitConflictException;
import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.protocol.DatasetMode;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import static io.remem.bench.Repeats.median;
import static io.remem.bench.Repeats.spread;
import static io.remem.cli.Units.ratio;

/**
 * What a commit to a coherent dataset costs (Hotpot's Figure 2.13 workload: one thread committing random 4 KiB-aligned
 * areas), MRSW and MRMW, at each replication factor and commit size, against two baselines measured in the same run: a
 * raw socket ping-pong (the floor of one round trip) and a plain replicated write-back of the same bytes ({@link
 * FarSegment#force} after a cached write, at the same number of copies). Also a validated 4 KiB {@link Dataset#read}
 * against a plain 4 KiB cache miss. Every cell is measured once per repeat, all cells in turn, so that drift and the
 * loopback's two latency regimes fall on all of them alike; the spread over repeats shows how much they did.
 */
public final class CommitExperiment {
    /** The memory nodes: three, so that three copies fit. */
    public static final int NODES = 3;
    private static final int PAGE = 4096;
    private static final int READ_BYTES = 4096;
    private static final List<DatasetMode> MODES = List.of(DatasetMode.MRSW, DatasetMode.MRMW);

    /**
     * @param datasetBytes bytes of each dataset (and of each write-back segment) the random areas fall in
     * @param replicas     copies of every slab, one set of cells per factor, each at most {@link #NODES}
     * @param commitSizes  bytes per commit, multiples of 4 KiB
     * @param repeats      times every cell is measured, in turn
     * @param cellNanos    how long one cell is measured per repeat
     * @param warmupNanos  how long every cell runs, untimed, once before the first repeat
     * @param blockSize    the cache's block size, for the write-back and miss baselines
     */
    public record Config(long datasetBytes, List<Integer> replicas, List<Integer> commitSizes, int repeats,
                         long cellNanos, long warmupNanos, int blockSize) {
        /**
         * Cells measured per repeat: the ping-pong, then per factor a far atomic, write-back and both modes per size,
         * and two reads.
         */
        public int cellsPerRepeat() {
            return 1 + replicas.size() * (1 + commitSizes.size() * (1 + MODES.size()) + 2);
        }

        /** Roughly how long a run takes, setup aside. */
        public long estimatedNanos() {
            return cellsPerRepeat() * (warmupNanos + repeats * cellNanos);
        }
    }

    /** One cell's figures: latencies pooled over repeats, each repeat's median and rate. */
    private static final class Cell {
        final Histogram latency = new Histogram(3);
        final Histogram acquire = new Histogram(3);
        final double[] medians;
        final double[] rates;
        long conflicts;

        Cell(int repeats) {
            medians = new double[repeats];
            rates = new double[repeats];
        }

        /** Pools one repeat's latencies and rate; a warm-up (repeat -1) is dropped. */
        void record(int repeat, Histogram h, Histogram acq, double rate) {
            if (repeat < 0) {
                return;
            }
            latency.add(h);
            if (acq != null) {
                acquire.add(acq);
            }
            medians[repeat] = h.getValueAtPercentile(50);
            rates[repeat] = rate;
        }

        double p50() {
            return latency.getValueAtPercentile(50);
        }
    }

    /** What one replication factor has: a dataset per mode, a plain segment for the baselines, a word for atomics. */
    private record Copies(Dataset[] datasets, FarSegment segment, FarSegment word) {}

    private CommitExperiment() {}

    public static List<Table> run(Config c, Progress progress) {
        int nr = c.replicas().size();
        int ns = c.commitSizes().size();
        Cell pingPong = new Cell(c.repeats());
        Cell[] atomics = new Cell[nr];
        Cell[][] writeBack = new Cell[nr][ns];
        Cell[][][] commits = new Cell[nr][ns][MODES.size()];
        Cell[][] reads = new Cell[nr][2]; // [0]: a plain cache miss, [1]: a validated dataset read
        for (int i = 0; i < nr; i++) {
            for (int j = 0; j < ns; j++) {
                writeBack[i][j] = new Cell(c.repeats());
                for (int m = 0; m < MODES.size(); m++) {
                    commits[i][j][m] = new Cell(c.repeats());
                }
            }
            atomics[i] = new Cell(c.repeats());
            reads[i][0] = new Cell(c.repeats());
            reads[i][1] = new Cell(c.repeats());
        }
        int maxCommit = c.commitSizes().stream().mapToInt(Integer::intValue).max().orElseThrow();
        // Room on each node for every dataset and segment at once, in default (64 MiB) slabs, as if placement put them
        // all on one node; a node touches slab memory only where written, so this is a limit, not a footprint.
        long slabbed = (c.datasetBytes() + (2L << 20) + (64L << 20)) & -(64L << 20);
        long capacity = (long) nr * (MODES.size() + 1) * slabbed + (256L << 20);
        List<Copies> copies = new ArrayList<>();
        // The cache holds every write-back segment whole, so the baseline's writes hit and force() is all it times;
        // trend prefetching is off so that a miss read is one fetch.
        RememOptions o = RememOptions.builder().tenant("commit").blockSize(c.blockSize())
                .cacheBytes(nr * c.datasetBytes() + (32L << 20)).prefetchWindow(0).build();
        try (EmbeddedCluster cluster = EmbeddedCluster.builder().nodes(NODES).nodeCapacity(capacity).start();
             RememSession session = cluster.connect(o);
             PingPong pp = PingPong.start(READ_BYTES);
             Arena arena = Arena.ofConfined()) {
            try (Progress.Step setup = progress.start("create datasets, fill baseline segments", nr, "factors")) {
                for (int r : c.replicas()) {
                    Dataset[] ds = new Dataset[MODES.size()];
                    for (int m = 0; m < MODES.size(); m++) {
                        ds[m] = session.memory().dataset(MODES.get(m).name().toLowerCase(Locale.ROOT) + "-" + r,
                                DatasetOptions.create(c.datasetBytes()).mode(MODES.get(m)).replication(r).exclusive());
                    }
                    FarSegment seg = session.memory().allocate(c.datasetBytes(), r);
                    seg.fill((byte) 1).force(); // every block cached, and on the nodes so that a miss read fetches
                    copies.add(new Copies(ds, seg, session.memory().allocate(PAGE, r)));
                    setup.stepTo(copies.size());
                }
            }
            // The bytes each write or commit puts in place: the same for both, the first word a stamp to check.
            MemorySegment src = arena.allocate(maxCommit, 8).fill((byte) 7);
            MemorySegment dst = arena.allocate(READ_BYTES, 8);
            SplittableRandom random = new SplittableRandom(2_13);
            long total = (long) (c.repeats() + (c.warmupNanos() > 0 ? 1 : 0)) * c.cellsPerRepeat();
            try (Progress.Step step = progress.start("commit latency", total, "cells")) {
                long done = 0;
                for (int repeat = c.warmupNanos() > 0 ? -1 : 0; repeat < c.repeats(); repeat++) {
                    long nanos = repeat < 0 ? c.warmupNanos() : c.cellNanos();
                    pingPong(pp, nanos, repeat, pingPong);
                    step.stepTo(++done);
                    for (int i = 0; i < nr; i++) {
                        Copies k = copies.get(i);
                        atomic(k.word(), nanos, repeat, atomics[i]);
                        step.stepTo(++done);
                        for (int j = 0; j < ns; j++) {
                            int size = c.commitSizes().get(j);
                            writeBack(k.segment(), size, src, random, nanos, repeat, writeBack[i][j]);
                            step.stepTo(++done);
                            for (int m = 0; m < MODES.size(); m++) {
                                commits(k.datasets()[m], size, src, random, nanos, repeat, commits[i][j][m]);
                                step.stepTo(++done);
                            }
                        }
                        missRead(k.segment(), dst, random, nanos, repeat, reads[i][0]);
                        step.stepTo(++done);
                        validatedRead(k.datasets()[0], dst, random, nanos, repeat, reads[i][1]);
                        step.stepTo(++done);
                    }
                }
            }
            for (Copies k : copies) {
                for (Dataset d : k.datasets()) {
                    d.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.of(commitTable(c, pingPong, atomics, writeBack, commits), readTable(c, pingPong, reads));
    }

    // ------------------------------------------------------------------ the cells

    private static void pingPong(PingPong pp, long nanos, int repeat, Cell cell) throws IOException {
        Histogram h = new Histogram(3);
        long start = System.nanoTime();
        long end = start + nanos;
        long n = 0;
        long t0;
        while ((t0 = System.nanoTime()) < end) {
            pp.roundTrip();
            h.recordValue(System.nanoTime() - t0);
            n++;
        }
        cell.record(repeat, h, null, n / ((System.nanoTime() - start) / 1e9));
    }

    /**
     * A far fetch-and-add that changes its word, as a commit's sequence steps do (a lock's CAS costs the same): one
     * round trip to the primary copy, and at 2+ copies a second that writes the result to the others.
     */
    private static void atomic(FarSegment word, long nanos, int repeat, Cell cell) {
        Histogram h = new Histogram(3);
        long start = System.nanoTime();
        long end = start + nanos;
        long n = 0;
        long t0;
        while ((t0 = System.nanoTime()) < end) {
            word.getAndAddAtNode(0, 1);
            h.recordValue(System.nanoTime() - t0);
            n++;
        }
        cell.record(repeat, h, null, n / ((System.nanoTime() - start) / 1e9));
    }

    /** A cached write of every byte of a random area, then {@code force()} of it: one write-back to every copy. */
    private static void writeBack(FarSegment seg, int size, MemorySegment src, SplittableRandom random, long nanos,
                                  int repeat, Cell cell) {
        Histogram h = new Histogram(3);
        long start = System.nanoTime();
        long end = start + nanos;
        long n = 0;
        while (System.nanoTime() < end) {
            long off = area(random, seg.byteSize(), size);
            src.set(ValueLayout.JAVA_LONG, 0, n);
            FarSegment.copy(src, 0, seg, off, size);
            long t0 = System.nanoTime();
            seg.force(off, size);
            h.recordValue(System.nanoTime() - t0);
            n++;
        }
        cell.record(repeat, h, null, n / ((System.nanoTime() - start) / 1e9));
    }

    /**
     * Acquire a random area, change every byte of it, commit; a conflict (none is expected with one thread) acquires
     * again. The commit latency is {@code commit()} alone, the rate counts whole cycles. The last commit is read back.
     */
    private static void commits(Dataset d, int size, MemorySegment src, SplittableRandom random, long nanos,
                                int repeat, Cell cell) {
        Histogram h = new Histogram(3);
        Histogram acq = new Histogram(3);
        long start = System.nanoTime();
        long end = start + nanos;
        long n = 0;
        long stamp = (long) (repeat + 1) << 40; // distinct across repeats, which commit to the same areas
        long lastOffset = -1;
        long lastStamp = 0;
        while (System.nanoTime() < end) {
            long off = area(random, d.byteSize(), size);
            long t0 = System.nanoTime();
            Acquisition a = d.acquire(off, size);
            long t1 = System.nanoTime();
            src.set(ValueLayout.JAVA_LONG, 0, ++stamp);
            MemorySegment.copy(src, 0, a.buffer(), 0, size);
            long t2 = System.nanoTime();
            try {
                a.commit();
            } catch (CommitConflictException e) {
                cell.conflicts++;
                continue;
            }
            h.recordValue(System.nanoTime() - t2);
            acq.recordValue(t1 - t0);
            lastOffset = off;
            lastStamp = stamp;
            n++;
        }
        double rate = n / ((System.nanoTime() - start) / 1e9);
        if (lastOffset >= 0 && d.readLong(lastOffset) != lastStamp) {
            throw new IllegalStateException(d + ": the last commit at " + lastOffset + " does not read back");
        }
        cell.record(repeat, h, acq, rate);
    }

    /** A 4 KiB read of a random area just dropped from the cache ({@code refresh}, untimed): one fetch. */
    private static void missRead(FarSegment seg, MemorySegment dst, SplittableRandom random, long nanos, int repeat,
                                 Cell cell) {
        Histogram h = new Histogram(3);
        long start = System.nanoTime();
        long end = start + nanos;
        long n = 0;
        while (System.nanoTime() < end) {
            long off = area(random, seg.byteSize(), READ_BYTES);
            seg.refresh(off, READ_BYTES);
            long t0 = System.nanoTime();
            FarSegment.copy(seg, off, dst, 0, READ_BYTES);
            h.recordValue(System.nanoTime() - t0);
            n++;
        }
        cell.record(repeat, h, null, n / ((System.nanoTime() - start) / 1e9));
    }

    /** A validated 4 KiB {@link Dataset#read} of a random area: fresh from a memory node, whole commits only. */
    private static void validatedRead(Dataset d, MemorySegment dst, SplittableRandom random, long nanos, int repeat,
                                      Cell cell) {
        Histogram h = new Histogram(3);
        long start = System.nanoTime();
        long end = start + nanos;
        long n = 0;
        long t0;
        while ((t0 = System.nanoTime()) < end) {
            d.read(area(random, d.byteSize(), READ_BYTES), dst);
            h.recordValue(System.nanoTime() - t0);
            n++;
        }
        cell.record(repeat, h, null, n / ((System.nanoTime() - start) / 1e9));
    }

    /** A random 4 KiB-aligned offset where {@code size} bytes fit in {@code bytes}. */
    private static long area(SplittableRandom random, long bytes, int size) {
        return random.nextLong((bytes - size) / PAGE + 1) * PAGE;
    }

    // ------------------------------------------------------------------ the tables

    private static Table commitTable(Config c, Cell pingPong, Cell[] atomics, Cell[][] writeBack, Cell[][][] commits) {
        Table t = new Table(String.format(Locale.ROOT, "Commit latency and throughput: one thread, random 4 KiB-aligned"
                        + " areas of a %s dataset; %d repeats of %s per cell, all cells in turn",
                Units.bytes(c.datasetBytes()), c.repeats(), Units.nanos(c.cellNanos())),
                "copies", "bytes", "operation", "p50", "p99", "p50 over repeats", "p50 vs ping-pong",
                "p50 vs write-back", "p99 vs write-back", "per second", "per second over repeats", "rate vs write-back",
                "acquire p50");
        double floor = pingPong.p50();
        t.row("-", Units.bytes(READ_BYTES), "raw socket ping-pong (the floor)", Units.nanos(floor),
                Units.nanos(pingPong.latency.getValueAtPercentile(99)), spread(pingPong.medians, Units::nanos), "1.00x",
                "-", "-", Units.count(median(pingPong.rates)), spread(pingPong.rates, Units::count), "-", "-");
        long conflicts = 0;
        for (int i = 0; i < c.replicas().size(); i++) {
            Cell a = atomics[i];
            t.row(c.replicas().get(i), "8 B", "far atomic (FAA at the node)", Units.nanos(a.p50()),
                    Units.nanos(a.latency.getValueAtPercentile(99)), spread(a.medians, Units::nanos),
                    ratio(a.p50() / floor), "-", "-", Units.count(median(a.rates)), spread(a.rates, Units::count), "-",
                    "-");
            for (int j = 0; j < c.commitSizes().size(); j++) {
                Cell wb = writeBack[i][j];
                List<Cell> cells = new ArrayList<>();
                cells.add(wb);
                cells.addAll(Arrays.asList(commits[i][j]));
                for (int k = 0; k < cells.size(); k++) {
                    Cell x = cells.get(k);
                    conflicts += x.conflicts;
                    double p99 = x.latency.getValueAtPercentile(99);
                    t.row(c.replicas().get(i), Units.bytes(c.commitSizes().get(j)),
                            k == 0 ? "write-back (cached write + force)" : MODES.get(k - 1) + " commit",
                            Units.nanos(x.p50()), Units.nanos(p99), spread(x.medians, Units::nanos),
                            ratio(x.p50() / floor), ratio(x.p50() / wb.p50()),
                            ratio(p99 / wb.latency.getValueAtPercentile(99)), Units.count(median(x.rates)),
                            spread(x.rates, Units::count), ratio(median(x.rates) / median(wb.rates)),
                            k == 0 ? "-" : Units.nanos(x.acquire.getValueAtPercentile(50)));
                }
            }
        }
        String byRepeat = Arrays.stream(pingPong.medians).mapToObj(Units::nanos)
                .collect(Collectors.joining(", "));
        return t.note("Latency is force() alone for a write-back and commit() alone for a commit, after the bytes"
                        + " were written to the cache or the acquisition's buffer. Per second counts whole cycles: a"
                        + " cached write and force(), or acquire(), the change and commit(). Each step of commit() waits"
                        + " for a round trip: (MRMW only: stripe lock CAS, header read), log lock CAS, header read, log"
                        + " write to every copy, sequence words odd (a write to every copy), data write to every copy, sequence"
                        + " words even and log clear (one write to every copy), log and stripe unlock CAS; at 2+ copies an atomic that changes its word"
                        + " takes a second round trip to copy it to the other copies. A force() is one write to every"
                        + " copy.")
                .note("MRMW conflicts (one thread: none expected): " + conflicts + ". The controller, " + NODES
                        + " memory nodes and the client share this process and the machine's cores. Ping-pong p50 by"
                        + " repeat (which loopback regime each repeat ran in): " + byRepeat + ".");
    }

    private static Table readTable(Config c, Cell pingPong, Cell[][] reads) {
        Table t = new Table(String.format(Locale.ROOT, "Validated 4 KiB dataset read against a plain 4 KiB cache miss:"
                        + " one thread, random 4 KiB-aligned areas; %d repeats of %s per cell, in turn with the commits",
                c.repeats(), Units.nanos(c.cellNanos())),
                "copies", "read", "p50", "p99", "p50 over repeats", "p50 vs ping-pong", "p50 vs miss");
        double floor = pingPong.p50();
        for (int i = 0; i < c.replicas().size(); i++) {
            Cell miss = reads[i][0];
            for (int k = 0; k < 2; k++) {
                Cell x = reads[i][k];
                String what = k == 0 ? "cache miss (FarSegment, " + Units.bytes(c.blockSize()) + " blocks)"
                        : "validated read (Dataset.read, MRSW)";
                t.row(c.replicas().get(i), what, Units.nanos(x.p50()), Units.nanos(x.latency.getValueAtPercentile(99)),
                        spread(x.medians, Units::nanos), ratio(x.p50() / floor), ratio(x.p50() / miss.p50()));
            }
        }
        return t.note("A validated read reads the stripes' sequence words, the bytes, and the sequence words again, all"
                + " from one copy and past the cache: three round trips where a miss takes one.");
    }
}
