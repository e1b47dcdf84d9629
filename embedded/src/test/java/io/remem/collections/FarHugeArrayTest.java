package io.remem.collections;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Arrays longer than any Java array: a 2 GiB + FarByteArray and a FarLongArray of more than 2^31 elements (16 GiB
 * of far memory). Memory nodes back slabs lazily in 64 KiB chunks and the cache zero-fills never-written blocks
 * locally, so only the few blocks written here cost memory; the nodes' capacity is only bookkeeping.
 */
class FarHugeArrayTest {
    static final long TWO_31 = 1L << 31;
    // One copy: two copies of the 16 GiB array would not fit the nodes' 24 GiB of (sparse) capacity.
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(3).nodeCapacity(8L << 30))
            .withSession(RememOptions.builder().tenant("far-huge").replication(1).cacheBytes(256 << 10)
                    .blockSize(16 << 10).build());

    private static RememSession session() {
        return cluster.session();
    }

    @Test
    void byteArrayBeyondTwoGibibytes() throws IOException {
        long n = TWO_31 + 1_000_003;
        try (FarByteArray a = FarByteArray.allocate(session().memory(), n)) {
            assertThat(a.length()).isEqualTo(n);
            long[] probes = {0, 1, 4095, TWO_31 - 2, TWO_31 - 1, TWO_31, TWO_31 + 1, TWO_31 + 9, n - 2, n - 1};
            for (long i : probes) {
                a.set(i, (byte) (i * 7 + 3));
            }
            session().memory().flush();
            for (long i : probes) {
                assertThat(a.get(i)).as("byte %d", i).isEqualTo((byte) (i * 7 + 3));
            }
            assertThat(a.get(TWO_31 + 100)).isZero();

            byte[] block = new byte[100_000];
            for (int i = 0; i < block.length; i++) {
                block[i] = (byte) (i % 251);
            }
            long across = TWO_31 - 50_000; // straddles index 2^31
            a.copyFrom(block, 0, across, block.length);
            a.copyFrom(block, 0, n - block.length, block.length);
            byte[] back = new byte[block.length];
            a.copyTo(across, back, 0, back.length);
            assertThat(back).isEqualTo(block);
            a.copyTo(n - block.length, back, 0, back.length);
            assertThat(back).isEqualTo(block);

            int[] unsigned = IntStream.range(0, block.length).map(i -> block[i] & 0xFF).toArray();
            assertThat(a.stream(across, across + block.length).toArray()).isEqualTo(unsigned);
            assertThat(a.stream(n - block.length, n).parallel().toArray()).isEqualTo(unsigned);
            try (InputStream in = a.inputStream(n - block.length, n)) {
                assertThat(in.readAllBytes()).isEqualTo(block);
            }
            assertThatThrownBy(() -> a.get(n)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining(Long.toString(n));
        }
    }

    @Test
    void longArrayOfMoreThanTwoToThe31Elements() {
        long n = TWO_31 + 20_000;
        try (FarLongArray a = FarLongArray.allocate(session().memory(), n)) {
            assertThat(a.segment().byteSize()).isEqualTo(n * 8);
            long[] probes = {0, 1, TWO_31 - 1, TWO_31, TWO_31 + 1, n - 1};
            for (long i : probes) {
                a.set(i, ~i);
            }
            session().memory().flush();
            for (long i : probes) {
                assertThat(a.get(i)).as("element %d", i).isEqualTo(~i);
            }
            long[] run = LongStream.range(0, 5000).map(i -> i * i).toArray();
            a.copyFrom(run, 0, TWO_31 - 2500, run.length);
            a.copyFrom(run, 0, n - run.length, run.length);
            long[] back = new long[run.length];
            a.copyTo(TWO_31 - 2500, back, 0, back.length);
            assertThat(back).isEqualTo(run);
            assertThat(a.stream(n - run.length, n).toArray()).isEqualTo(run);
            assertThat(a.stream(TWO_31 - 2500, TWO_31 + 2500).parallel().sum()).isEqualTo(LongStream.of(run).sum());
            assertThat(a.stream(TWO_31 + 2500, TWO_31 + 10_000).allMatch(v -> v == 0)).isTrue();
        }
    }
}
