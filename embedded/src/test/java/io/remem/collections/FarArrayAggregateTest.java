package io.remem.collections;

import io.remem.client.Aggregate;
import io.remem.client.OffloadMode;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import io.remem.protocol.Filter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scan-filter-aggregate and select on far arrays, run at the memory nodes and over the cache, against Java streams
 * over plain arrays holding the same random data.
 */
class FarArrayAggregateTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(256L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("far-aggregates").cacheBytes(128 << 10).build());

    private static RememSession session() {
        return cluster.session();
    }

    @Test
    void longArraysAggregateAndSelectLikeStreams() {
        SplittableRandom random = new SplittableRandom(5);
        int n = 300_000; // 2.3 MiB over 1 MiB slabs on two nodes
        long[] model = random.longs(n, -5000, 5000).toArray();
        try (FarLongArray a = FarLongArray.allocate(session().memory(), n)) {
            a.copyFrom(model, 0, 0, n);
            for (int round = 0; round < 10; round++) {
                int from = random.nextInt(n);
                int to = from + random.nextInt(n - from + 1);
                long low = random.nextLong(-5000, 5000);
                long high = low + random.nextLong(0, 3000);
                Filter f = Filter.betweenLongs(low, high);
                long[] in = Arrays.stream(model, from, to).filter(v -> v >= low && v <= high).toArray();
                long[] where = IntStream.range(from, to).filter(i -> model[i] >= low && model[i] <= high)
                        .mapToLong(i -> i).toArray();
                for (OffloadMode mode : OffloadMode.values()) {
                    Aggregate got = a.aggregate(from, to, f, mode);
                    assertThat(got.count()).as("%s", mode).isEqualTo(in.length);
                    assertThat(got.longSum()).as("%s", mode).isEqualTo(Arrays.stream(in).sum());
                    assertThat(got.longMin()).as("%s", mode).isEqualTo(Arrays.stream(in).min());
                    assertThat(got.longMax()).as("%s", mode).isEqualTo(Arrays.stream(in).max());
                    assertThat(a.select(from, to, f, mode)).as("%s", mode).isEqualTo(where);
                }
            }
        }
    }

    @Test
    void doubleArraysAggregateAndSelectLikeStreams() {
        SplittableRandom random = new SplittableRandom(6);
        int n = 200_000;
        double[] model = random.doubles(n, -1e3, 1e3).toArray();
        try (FarDoubleArray a = FarDoubleArray.allocate(session().memory(), n)) {
            a.copyFrom(model, 0, 0, n);
            for (int round = 0; round < 10; round++) {
                int from = random.nextInt(n);
                int to = from + random.nextInt(n - from + 1);
                double bound = random.nextDouble(-1e3, 1e3);
                Filter f = Filter.ofDouble(Filter.Comparison.LT, bound);
                double[] in = Arrays.stream(model, from, to).filter(v -> v < bound).toArray();
                // Sums in blocks of 65,536 elements from the array's start, as documented: the same double every run.
                double sum = 0;
                for (int b = from; b < to; ) {
                    int end = Math.min(to, (b / 65_536 + 1) * 65_536);
                    double block = 0;
                    for (int i = b; i < end; i++) {
                        block += model[i] < bound ? model[i] : 0.0;
                    }
                    sum += block;
                    b = end;
                }
                for (OffloadMode mode : OffloadMode.values()) {
                    Aggregate got = a.aggregate(from, to, f, mode);
                    assertThat(got.count()).as("%s", mode).isEqualTo(in.length);
                    assertThat(Double.doubleToRawLongBits(got.doubleSum())).as("%s sum", mode)
                            .isEqualTo(Double.doubleToRawLongBits(sum));
                    assertThat(got.doubleMin()).as("%s", mode).isEqualTo(Arrays.stream(in).min());
                    assertThat(got.doubleMax()).as("%s", mode).isEqualTo(Arrays.stream(in).max());
                    assertThat(a.select(from, to, f, mode).length).as("%s", mode).isEqualTo(in.length);
                }
            }
            assertThat(a.aggregate(Filter.all()).count()).isEqualTo(n);
        }
    }
}
