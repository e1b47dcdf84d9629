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

import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The miss path: a read that must fetch a 4 KiB block from a memory node over loopback TCP, next to the network
 * floor, a raw Java socket ping-pong of 4 KiB with a plain echo thread, measured in the same run. Target
 * (issue 2): a miss at most 1.3x the ping-pong.
 *
 * <p>The far array is written and flushed first, so every miss really fetches (a block never written would be
 * zero-filled locally, which is not what this measures). Reads walk the array block by block, and the cache
 * holds a small fraction of it, so every read misses.
 */
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
@State(Scope.Thread)
public class MissBenchmark {
    private static final int BLOCK = 4096;
    private static final long BYTES = 256L << 20;

    private EmbeddedCluster cluster;
    private RememSession session;
    private FarSegment far;
    private PingPong pingPong;
    private long next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        cluster = EmbeddedCluster.builder().nodes(1).nodeCapacity(512L << 20).slabShift(26).start();
        // No trend prefetching: the walk is sequential, and prefetched blocks would turn the misses into hits.
        session = cluster.connect(RememOptions.builder().tenant("jmh").cacheBytes(16L << 20).blockSize(BLOCK)
                .prefetchWindow(0).build());
        far = session.memory().allocate(BYTES);
        for (long off = 0; off < BYTES; off += BLOCK) {
            far.set(ValueLayout.JAVA_LONG, off, off);
        }
        session.memory().flush();
        pingPong = PingPong.start(BLOCK);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        pingPong.close();
        session.close();
        cluster.close();
    }

    @Benchmark
    public long rawSocketPingPong4k() throws Exception {
        return pingPong.roundTrip();
    }

    @Benchmark
    public long rememMiss4k() {
        long off = next;
        next = off + BLOCK == BYTES ? 0 : off + BLOCK;
        return far.get(ValueLayout.JAVA_LONG, off);
    }
}
