package io.remem.bench.jmh;

import io.remem.client.FarSegment;
import io.remem.client.PinnedView;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Whole-block work on cached far memory: copying a 4 KiB block out, summing it through a pinned view, and summing
 * it word by word through the far segment (and summing 64 KiB through one view), each next to the same work on a plain {@link MemorySegment}. Target
 * (issue 4): pinned-view access at most 1.5x the plain segment.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Thread)
public class BulkBenchmark {
    private static final int BLOCK = 4096;
    private static final int RUN = 16 * BLOCK;
    private static final long BYTES = 4L << 20;
    private static final int GATHER = 512;
    private static final int ROW = 256;
    private final long[] gatherAt = new long[GATHER];
    private final long[] gathered = new long[GATHER];

    private EmbeddedCluster cluster;
    private RememSession session;
    private FarSegment far;
    private Arena arena;
    private MemorySegment plain;
    private MemorySegment buffer;
    private long next;
    private long nextRun;

    @Setup(Level.Trial)
    public void setUp() {
        cluster = EmbeddedCluster.builder().nodes(1).nodeCapacity(64L << 20).slabShift(22).start();
        session = cluster.connect(RememOptions.builder().tenant("jmh").cacheBytes(16L << 20).build());
        far = session.memory().allocate(BYTES);
        arena = Arena.ofShared();
        plain = arena.allocate(BYTES, 4096);
        buffer = MemorySegment.ofArray(new long[BLOCK / 8]);
        for (long off = 0; off < BYTES; off += 8) {
            far.set(ValueLayout.JAVA_LONG, off, off);
            plain.set(ValueLayout.JAVA_LONG, off, off);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        cluster.close();
        arena.close();
    }

    private long nextRun() {
        long off = nextRun;
        nextRun = off + RUN == BYTES ? 0 : off + RUN;
        return off;
    }

    private long nextBlock() {
        long off = next;
        next = off + BLOCK == BYTES ? 0 : off + BLOCK;
        return off;
    }

    private static long sum(MemorySegment s, long from, long bytes) {
        long sum = 0;
        for (long i = from; i < from + bytes; i += 8) {
            sum += s.get(ValueLayout.JAVA_LONG, i);
        }
        return sum;
    }

    @Benchmark
    public long plainCopy4k() {
        MemorySegment.copy(plain, nextBlock(), buffer, 0, BLOCK);
        return buffer.get(ValueLayout.JAVA_LONG, 0);
    }

    @Benchmark
    public long farCopy4k() {
        FarSegment.copy(far, nextBlock(), buffer, 0, BLOCK);
        return buffer.get(ValueLayout.JAVA_LONG, 0);
    }

    @Benchmark
    public long plainSum4k() {
        return sum(plain, nextBlock(), BLOCK);
    }

    @Benchmark
    public long pinnedSum4k() {
        try (PinnedView view = far.pinReadOnly(nextBlock(), BLOCK)) {
            return sum(view.segment(), 0, BLOCK);
        }
    }

    /** A view over 16 blocks: the pin's fixed cost spread over 64 KiB. */
    @Benchmark
    public long plainSum64k() {
        return sum(plain, nextRun(), RUN);
    }

    @Benchmark
    public long pinnedSum64k() {
        try (PinnedView view = far.pinReadOnly(nextRun(), RUN)) {
            return sum(view.segment(), 0, RUN);
        }
    }

    /** A strided scan's step, as the suite's scan does it: one long of each of 512 rows of 256 bytes. */
    @Benchmark
    public long farGather512() {
        long off = nextRun() % (BYTES - GATHER * ROW);
        for (int i = 0; i < GATHER; i++) {
            gatherAt[i] = off + (long) i * ROW;
        }
        far.gather(ValueLayout.JAVA_LONG, gatherAt, GATHER, gathered);
        return gathered[GATHER - 1];
    }

    /** The same longs read one {@code get} at a time. */
    @Benchmark
    public long farGetLoop512() {
        long off = nextRun() % (BYTES - GATHER * ROW);
        long sum = 0;
        for (int i = 0; i < GATHER; i++) {
            sum += far.get(ValueLayout.JAVA_LONG, off + (long) i * ROW);
        }
        return sum;
    }

    @Benchmark
    public long farWordSum4k() {
        long off = nextBlock();
        long sum = 0;
        for (long i = off; i < off + BLOCK; i += 8) {
            sum += far.get(ValueLayout.JAVA_LONG, i);
        }
        return sum;
    }
}
