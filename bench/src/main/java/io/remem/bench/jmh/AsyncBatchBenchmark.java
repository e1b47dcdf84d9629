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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * 64 reads of blocks that are not cached, one after the other, against the same 64 started with
 * {@code readAsync} and waited for with {@code release()}: Clio's case for asynchronous calls. Prefetching is off, so
 * every read misses.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Thread)
public class AsyncBatchBenchmark {
    private static final int BLOCK = 4096;
    private static final long BYTES = 256L << 20;
    private static final int BATCH = 64;

    private EmbeddedCluster cluster;
    private RememSession session;
    private FarSegment far;
    private final MemorySegment[] results = new MemorySegment[BATCH];
    private final SplittableRandom random = new SplittableRandom(5);

    @Setup(Level.Trial)
    public void setUp() {
        cluster = EmbeddedCluster.builder().nodes(1).nodeCapacity(512L << 20).start();
        session = cluster.connect(RememOptions.builder().tenant("jmh").cacheBytes(4L << 20).prefetchWindow(0).build());
        far = session.memory().allocate(BYTES);
        for (long off = 0; off < BYTES; off += BLOCK) {
            far.set(ValueLayout.JAVA_LONG, off, off);
        }
        session.memory().flush();
        for (int i = 0; i < BATCH; i++) {
            results[i] = MemorySegment.ofArray(new long[1]);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        cluster.close();
    }

    private long randomBlock() {
        return random.nextLong(BYTES / BLOCK) * BLOCK; // 64 random blocks of 65,536: nearly always a miss
    }

    @Benchmark
    public long sync64() {
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum += far.get(ValueLayout.JAVA_LONG, randomBlock());
        }
        return sum;
    }

    @Benchmark
    public long async64() {
        for (int i = 0; i < BATCH; i++) {
            far.readAsync(randomBlock(), results[i], 0, 8);
        }
        session.memory().release();
        long sum = 0;
        for (MemorySegment r : results) {
            sum += r.get(ValueLayout.JAVA_LONG, 0);
        }
        return sum;
    }
}
