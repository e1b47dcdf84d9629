package io.remem.bench.suite;

import io.remem.client.RememOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every workload on a tiny configuration: it runs and checks itself on local memory and on remem with a cache far
 * smaller than its footprint, and its check catches a store that loses a write.
 */
class WorkloadsTest {
    private static final RunSettings SETTINGS = new RunSettings(3, Duration.ZERO, Duration.ofMillis(300));
    private static RememCluster cluster;

    @BeforeAll
    static void start() {
        cluster = RememCluster.inProcess(2, 64L << 20);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    static List<Workload> workloads() {
        RecordShape shape = new RecordShape(10, 100);
        return List.of(
                new RandomWorkload(1L << 20, 8, false, 0.5, 1),
                new RandomWorkload(1L << 20, 4096, true, 0.5, 2),
                new RandomWorkload(1L << 20, 64, true, 0.0, 3),
                new ScanWorkload(1L << 20, false),
                new ScanWorkload(2L << 20, true),
                new YcsbWorkload('A', 2000, shape),
                new YcsbWorkload('D', 2000, shape),
                new YcsbWorkload('E', 2000, shape),
                new YcsbWorkload('F', 2000, shape),
                new PageRankWorkload(10, 8, 2, 5));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void runsAndChecksOnLocalMemory(Workload w) throws Exception {
        RunResult r = w.run(new LocalTarget(), SETTINGS);
        assertThat(r.ops()).isPositive();
        assertThat(r.check()).isNotBlank();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void runsAndChecksOnRememWithASmallCache(Workload w) throws Exception {
        long cache = Math.max(16 * 4096, w.footprint() / 10);
        try (RememTarget t = cluster.target("remem 10%", RememOptions.builder().cacheBytes(cache).build())) {
            RunResult r = w.run(t, SETTINGS);
            assertThat(r.ops()).isPositive();
            assertThat(t.stats().misses()).as("the cache is smaller than the data, so it must miss").isPositive();
        }
    }

    /** Only YCSB keeps records in a map. */
    static List<Workload> ycsbWorkloads() {
        return workloads().stream().filter(w -> w.family().equals("ycsb")).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ycsbWorkloads")
    void ycsbRunsAndChecksOnAFarMap(Workload w) throws Exception {
        long cache = Math.max(16 * 4096, w.footprint() / 10);
        try (RememTarget t = cluster.farMapTarget("remem FarMap 10%", RememOptions.builder().cacheBytes(cache).build())) {
            RunResult r = w.run(t, SETTINGS);
            assertThat(r.ops()).isPositive();
            assertThat(t.stats().misses()).as("the cache is smaller than the data, so it must miss").isPositive();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void catchesAStoreThatLosesWrites(Workload w) {
        assertThatThrownBy(() -> w.run(new LossyTarget(), SETTINGS)).isInstanceOf(WorkloadCheckException.class);
    }

    /** Local memory that silently drops one write in seven. */
    private static final class LossyTarget implements Target {
        private final LocalTarget local = new LocalTarget();

        @Override
        public String name() {
            return "lossy";
        }

        @Override
        public ArrayStore newArray(long bytes) {
            ArrayStore a = local.newArray(bytes);
            AtomicLong writes = new AtomicLong();
            return new ArrayStore() {
                private boolean drop() {
                    long n = writes.incrementAndGet();
                    return n % 7 == 3;
                }

                @Override
                public long byteSize() {
                    return a.byteSize();
                }

                @Override
                public void read(long offset, MemorySegment dst, long dstOffset, int length) {
                    a.read(offset, dst, dstOffset, length);
                }

                @Override
                public void write(long offset, MemorySegment src, long srcOffset, int length) {
                    if (!drop()) {
                        a.write(offset, src, srcOffset, length);
                    }
                }

                @Override
                public long getLong(long offset) {
                    return a.getLong(offset);
                }

                @Override
                public void setLong(long offset, long value) {
                    if (!drop()) {
                        a.setLong(offset, value);
                    }
                }

                @Override
                public void close() {
                    a.close();
                }
            };
        }

        @Override
        public RecordStore newRecords(RecordShape shape, long capacity) {
            return FarHashTable.create(this::newArray, shape, capacity);
        }

        @Override
        public void close() {}
    }
}
