package io.remem.bench.suite;

import io.remem.cli.Units;
import org.HdrHistogram.Histogram;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An analytics scan with a light computation, a sum: {@code sequential} reads the array 4 KiB at a time,
 * {@code strided} reads one 8-byte column of 256-byte rows, 512 rows per gather. Both move 4 KiB of useful data
 * per operation. Each thread scans its own contiguous part: passes for the warm-up time (at least one), then passes
 * until the duration is up (at least one). Every pass's sum must equal the sum of what was loaded, and the first
 * word of every operation must be valid for its place, so that data from the wrong place fails even where a sum
 * would not notice.
 */
public final class ScanWorkload implements Workload {
    private static final int CHUNK = 4096;
    private static final int ROW = 256;
    private static final int GATHER = 512;

    private final long footprint;
    private final boolean strided;

    public ScanWorkload(long footprint, boolean strided) {
        long span = strided ? (long) ROW * GATHER : CHUNK;
        if (footprint < 16 * span) {
            throw new IllegalArgumentException("scan footprint " + Units.bytes(footprint) + ": need at least " + Units.bytes(16 * span));
        }
        this.footprint = footprint / span * span;
        this.strided = strided;
    }

    @Override
    public String name() {
        return strided ? "scan strided 8 B of 256 B rows" : "scan sequential";
    }

    @Override
    public String family() {
        return "scan";
    }

    @Override
    public long footprint() {
        return footprint;
    }

    @Override
    public String footprintNote() {
        return Units.bytes(footprint) + ": one array of 8-byte words, " + (strided ? Units.count(footprint / ROW)
                + " rows of 256 B" : Units.count(footprint / CHUNK) + " chunks of 4 KiB");
    }

    @Override
    public String unit() {
        return "ops";
    }

    private long span() {
        return strided ? (long) ROW * GATHER : CHUNK;
    }

    @Override
    public RunResult run(Target target, RunSettings s) throws WorkloadCheckException {
        int threads = s.threads();
        long spans = footprint / span();
        if (spans < threads) {
            throw new IllegalArgumentException(name() + ": " + spans + " spans for " + threads + " threads");
        }
        Histogram[] hist = Latencies.perThread(threads);
        long[] ops = new long[threads];
        AtomicLong firstStart = new AtomicLong(Long.MAX_VALUE);
        AtomicLong lastEnd = new AtomicLong();
        // Every thread finishes its warm-up pass before any is measured; the last to arrive starts the count.
        Phaser warmedUp = new Phaser(threads) {
            @Override
            protected boolean onAdvance(int phase, int parties) {
                target.measuring(true);
                return true;
            }
        };
        try (ArrayStore store = target.newArray(footprint)) {
            WordPattern.load(store);
            Driver.parallel(threads, id -> {
                long from = spans * id / threads * span();
                long to = spans * (id + 1) / threads * span();
                long expected = expectedSum(from, to);
                Pass pass = new Pass(store, from, to);
                try {
                    long warmEnd = System.nanoTime() + s.warmup().toNanos();
                    do {
                        check(pass.run(null), expected, id);
                    } while (System.nanoTime() < warmEnd);
                } catch (Throwable e) {
                    warmedUp.arriveAndDeregister(); // the others must not wait for this thread forever
                    throw e;
                }
                warmedUp.arriveAndAwaitAdvance();
                long t0 = System.nanoTime();
                long end = t0 + s.duration().toNanos();
                long passes = 0;
                do {
                    check(pass.run(hist[id]), expected, id);
                    passes++;
                } while (System.nanoTime() < end);
                ops[id] = passes * ((to - from) / span());
                firstStart.accumulateAndGet(t0, Math::min);
                lastEnd.accumulateAndGet(System.nanoTime(), Math::max);
            });
            target.measuring(false);
            return new RunResult(Arrays.stream(ops).sum(), lastEnd.get() - firstStart.get(),
                    Latencies.merged(hist), "every pass's sum exact");
        }
    }

    private void check(long sum, long expected, int thread) throws WorkloadCheckException {
        if (sum != expected) {
            throw new WorkloadCheckException(name() + ": thread " + thread + " summed " + sum + ", loaded " + expected);
        }
    }

    private long expectedSum(long from, long to) {
        long sum = 0;
        long step = strided ? ROW : 8;
        for (long off = from; off < to; off += step) {
            sum += WordPattern.encode(off / 8, 0);
        }
        return sum;
    }

    /** One pass over a thread's part; records one latency sample per operation when given a histogram. */
    private final class Pass {
        private final ArrayStore store;
        private final long from;
        private final long to;
        private final MemorySegment buf = MemorySegment.ofArray(new long[CHUNK / 8]);
        private final long[] offsets = new long[GATHER];
        private final long[] words = new long[GATHER];

        Pass(ArrayStore store, long from, long to) {
            this.store = store;
            this.from = from;
            this.to = to;
        }

        /** Set when an operation's first word was not valid for its place; read and cleared by the pass's check. */
        boolean misplaced;

        long run(Histogram h) {
            long sum = 0;
            for (long off = from; off < to; ) {
                long t0 = System.nanoTime();
                if (strided) {
                    for (int i = 0; i < GATHER; i++) {
                        offsets[i] = off + (long) i * ROW;
                    }
                    store.gather(offsets, GATHER, words);
                    misplaced |= !WordPattern.valid(off / 8, words[0]);
                    for (int i = 0; i < GATHER; i++) {
                        sum += words[i];
                    }
                    off += (long) ROW * GATHER;
                } else {
                    store.read(off, buf, 0, CHUNK);
                    misplaced |= !WordPattern.valid(off / 8, buf.get(ValueLayout.JAVA_LONG, 0));
                    for (int i = 0; i < CHUNK; i += 8) {
                        sum += buf.get(ValueLayout.JAVA_LONG, i);
                    }
                    off += CHUNK;
                }
                if (h != null) {
                    h.recordValue(System.nanoTime() - t0);
                }
            }
            if (misplaced) {
                misplaced = false;
                return ~sum; // fails the check whatever the sum was
            }
            return sum;
        }
    }
}
