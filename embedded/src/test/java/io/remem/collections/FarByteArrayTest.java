package io.remem.collections;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link FarByteArray} against a plain {@code byte[]} through a 64 KiB cache of 1 KiB blocks, over real TCP. */
class FarByteArrayTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(256L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("far-bytes").cacheBytes(64 << 10).blockSize(1024)
                    .build());

    private static RememSession session() {
        return cluster.session();
    }

    @Test
    void randomOperationsAgreeWithAPlainArray() throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        int n = 300_000 + 3; // not a multiple of anything
        byte[] model = new byte[n];
        try (FarByteArray a = FarByteArray.allocate(session().memory(), n)) {
            for (int step = 0; step < 1500; step++) {
                int op = random.nextInt(100);
                if (op < 30) {
                    int i = random.nextInt(n);
                    byte v = (byte) random.nextInt();
                    a.set(i, v);
                    model[i] = v;
                } else if (op < 60) {
                    int i = random.nextInt(n);
                    assertThat(a.get(i)).as("step %d: byte %d", step, i).isEqualTo(model[i]);
                } else if (op < 75) {
                    int count = random.nextInt(40_000);
                    int to = random.nextInt(n - count + 1);
                    byte[] src = new byte[count + 1];
                    random.nextBytes(src);
                    a.copyFrom(src, 1, to, count);
                    System.arraycopy(src, 1, model, to, count);
                } else if (op < 88) {
                    int count = random.nextInt(40_000);
                    int from = random.nextInt(n - count + 1);
                    byte[] dst = new byte[count];
                    a.copyTo(from, dst, 0, count);
                    assertThat(dst).as("step %d: copy of %d at %d", step, count, from)
                            .isEqualTo(Arrays.copyOfRange(model, from, from + count));
                } else if (op < 92) {
                    int from = random.nextInt(n);
                    int to = from + random.nextInt(Math.min(n - from, 50_000) + 1);
                    assertThat(a.stream(from, to).toArray()).isEqualTo(unsigned(model, from, to));
                } else if (op < 96) {
                    int from = random.nextInt(n);
                    int to = from + random.nextInt(n - from + 1);
                    try (InputStream in = a.inputStream(from, to)) {
                        assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(model, from, to));
                    }
                } else if (op < 97) {
                    byte v = (byte) random.nextInt();
                    a.fill(v);
                    Arrays.fill(model, v);
                } else {
                    session().memory().flush();
                }
            }
            assertThat(a.stream().toArray()).isEqualTo(unsigned(model, 0, n));
            assertThat(a.stream().parallel().toArray()).isEqualTo(unsigned(model, 0, n));
            long[] sum = {0};
            a.forEach(0, n, b -> sum[0] += b);
            assertThat(sum[0]).isEqualTo(IntStream.of(unsigned(model, 0, n)).asLongStream().sum());
        }
    }

    private static int[] unsigned(byte[] model, int from, int to) {
        return IntStream.range(from, to).map(i -> model[i] & 0xFF).toArray();
    }

    @Test
    void inputStreamReadsSkipsAndTransfers() throws IOException {
        byte[] model = new byte[200_000];
        new SplittableRandom(3).nextBytes(model);
        try (FarByteArray a = FarByteArray.allocate(session().memory(), model.length)) {
            a.copyFrom(model, 0, 0, model.length);
            try (InputStream in = a.inputStream(10, 150_000)) {
                assertThat(in.read()).isEqualTo(model[10] & 0xFF);
                byte[] buf = new byte[100];
                assertThat(in.read(buf, 0, 0)).isZero();
                assertThat(in.readNBytes(buf, 0, 100)).isEqualTo(100);
                assertThat(buf).isEqualTo(Arrays.copyOfRange(model, 11, 111));
                assertThat(in.skip(50_000)).isEqualTo(50_000);
                ByteArrayOutputStream rest = new ByteArrayOutputStream();
                assertThat(in.transferTo(rest)).isEqualTo(150_000 - 50_111);
                assertThat(rest.toByteArray()).isEqualTo(Arrays.copyOfRange(model, 50_111, 150_000));
                assertThat(in.read()).isEqualTo(-1);
                assertThat(in.read(buf, 0, 10)).isEqualTo(-1);
                assertThat(in.skip(10)).isZero();
            }
        }
    }

    @Test
    void boundsAndClose() {
        FarByteArray a = FarByteArray.allocate(session().memory(), 10);
        assertThatThrownBy(() -> a.get(10)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("10");
        assertThatThrownBy(() -> a.set(-3, (byte) 1)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("-3");
        assertThatThrownBy(() -> a.copyFrom(new byte[10], 5, 0, 6)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> a.inputStream(3, 11)).isInstanceOf(IndexOutOfBoundsException.class);
        InputStream pending = a.inputStream(0, 10);
        a.close();
        a.close();
        assertThatThrownBy(() -> a.get(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.inputStream(0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(pending::read).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.copyTo(0, new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
    }
}
