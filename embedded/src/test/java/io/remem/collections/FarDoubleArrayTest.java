package io.remem.collections;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.DoubleStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link FarDoubleArray} against a plain {@code double[]} through a 64 KiB cache, over real TCP. */
class FarDoubleArrayTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(256L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("far-doubles").cacheBytes(64 << 10).build());

    private static RememSession session() {
        return cluster.session();
    }

    @Test
    void randomOperationsAgreeWithAPlainArray() {
        SplittableRandom random = new SplittableRandom(42);
        int n = 40_000; // 320 KiB: five times the cache
        double[] model = new double[n];
        try (FarDoubleArray a = FarDoubleArray.allocate(session().memory(), n)) {
            for (int step = 0; step < 1500; step++) {
                int op = random.nextInt(100);
                if (op < 30) {
                    int i = random.nextInt(n);
                    double v = special(random);
                    a.set(i, v);
                    model[i] = v;
                } else if (op < 60) {
                    int i = random.nextInt(n);
                    assertThat(Double.doubleToRawLongBits(a.get(i))).as("step %d: element %d", step, i)
                            .isEqualTo(Double.doubleToRawLongBits(model[i]));
                } else if (op < 75) {
                    int count = random.nextInt(6000);
                    int to = random.nextInt(n - count + 1);
                    double[] src = random.doubles(count).toArray();
                    a.copyFrom(src, 0, to, count);
                    System.arraycopy(src, 0, model, to, count);
                } else if (op < 90) {
                    int count = random.nextInt(6000);
                    int from = random.nextInt(n - count + 1);
                    double[] dst = new double[count];
                    a.copyTo(from, dst, 0, count);
                    assertThat(dst).as("step %d", step).isEqualTo(Arrays.copyOfRange(model, from, from + count));
                } else if (op < 96) {
                    int from = random.nextInt(n);
                    int to = from + random.nextInt(n - from + 1);
                    assertThat(a.stream(from, to).toArray()).isEqualTo(Arrays.copyOfRange(model, from, to));
                } else if (op < 97) {
                    a.fill(Math.PI);
                    Arrays.fill(model, Math.PI);
                } else {
                    session().memory().flush();
                }
            }
            assertThat(a.stream().toArray()).isEqualTo(model);
            assertThat(a.stream().parallel().toArray()).isEqualTo(model);
            double[] sum = {0};
            a.forEach(0, n, v -> sum[0] += v);
            assertThat(sum[0]).isEqualTo(DoubleStream.of(model).sum());
        }
    }

    private static double special(SplittableRandom random) {
        return switch (random.nextInt(8)) {
            case 0 -> Double.NaN;
            case 1 -> -0.0;
            case 2 -> Double.NEGATIVE_INFINITY;
            case 3 -> Double.MIN_VALUE;
            default -> random.nextDouble() * 1e6 - 5e5;
        };
    }

    @Test
    void layoutIsLittleEndianIeeeBitsAtEightTimesTheIndex() {
        try (FarDoubleArray a = FarDoubleArray.allocate(session().memory(), 10)) {
            a.set(3, 1.5);
            long bits = a.segment().get(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), 24);
            assertThat(bits).isEqualTo(Double.doubleToRawLongBits(1.5));
        }
    }

    @Test
    void boundsAndClose() {
        FarDoubleArray a = FarDoubleArray.allocate(session().memory(), 10);
        assertThatThrownBy(() -> a.get(10)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("10");
        assertThatThrownBy(() -> a.copyTo(5, new double[10], 0, 6)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> a.stream(0, 11)).isInstanceOf(IndexOutOfBoundsException.class);
        a.close();
        a.close();
        assertThatThrownBy(() -> a.get(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.set(0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(a::stream).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.fill(1)).isInstanceOf(IllegalStateException.class);
    }
}
