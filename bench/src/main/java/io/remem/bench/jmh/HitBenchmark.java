package io.remem.bench.jmh;

import io.remem.client.FarSegment;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The hit path: an 8-byte read and write of far memory that is in the local cache, next to the same access to
 * a plain off-heap {@link MemorySegment}. Both walk the same shuffled offsets over 1 MiB, so both pay the same
 * CPU-cache misses. Target (issue 2): a cached access at most 10x the plain one.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Thread)
public class HitBenchmark {
    private static final long BYTES = 1 << 20;
    private static final int OFFSETS = 1 << 14;

    private EmbeddedCluster cluster;
    private RememSession session;
    private FarSegment far;
    private Arena arena;
    private MemorySegment plain;
    private final long[] offsets = new long[OFFSETS];
    private int next;
    private long value;

    @Setup(Level.Trial)
    public void setUp() {
        cluster = EmbeddedCluster.builder().nodes(1).nodeCapacity(64L << 20).slabShift(20).start();
        session = cluster.connect(RememOptions.builder().tenant("jmh").cacheBytes(8L << 20).build());
        far = session.memory().allocate(BYTES);
        arena = Arena.ofShared();
        plain = arena.allocate(BYTES, 4096);
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < OFFSETS; i++) {
            offsets[i] = random.nextLong(BYTES / 8) * 8;
        }
        for (long off = 0; off < BYTES; off += 8) { // every block resident before measuring
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

    private long nextOffset() {
        long off = offsets[next];
        next = (next + 1) & (OFFSETS - 1);
        return off;
    }

    @Benchmark
    public long plainRead() {
        return plain.get(ValueLayout.JAVA_LONG, nextOffset());
    }

    @Benchmark
    public long farRead() {
        return far.get(ValueLayout.JAVA_LONG, nextOffset());
    }

    @Benchmark
    public void plainWrite() {
        plain.set(ValueLayout.JAVA_LONG, nextOffset(), value++);
    }

    @Benchmark
    public void farWrite() {
        far.set(ValueLayout.JAVA_LONG, nextOffset(), value++);
    }
}
