package io.remem.collections;

import io.remem.client.CacheStats;
import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.OffloadMode;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import io.remem.protocol.Filter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Spliterator;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link FarLongArray} against a plain {@code long[]} through a 128 KiB cache, so data really goes to the memory
 * nodes and back over TCP; plus bounds, close, spliterator contract, and whether scans tell the prefetcher.
 */
class FarLongArrayTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(256L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("far-longs").cacheBytes(128 << 10).build());

    private static RememSession session() {
        return cluster.session();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3})
    void randomOperationsAgreeWithAPlainArray(int seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int n = 60_000 + random.nextInt(20_000); // about 0.5 MiB: four times the cache
        long[] model = new long[n];
        try (FarLongArray a = FarLongArray.allocate(session().memory(), n)) {
            assertThat(a.length()).isEqualTo(n);
            assertThat(a.segment().byteSize()).isEqualTo(n * 8L);
            for (int step = 0; step < 1500; step++) {
                int op = random.nextInt(100);
                if (op < 30) {
                    int i = random.nextInt(n);
                    long v = random.nextLong();
                    a.set(i, v);
                    model[i] = v;
                } else if (op < 60) {
                    int i = random.nextInt(n);
                    assertThat(a.get(i)).as("step %d: element %d", step, i).isEqualTo(model[i]);
                } else if (op < 75) {
                    int count = random.nextInt(8000);
                    int to = random.nextInt(n - count + 1);
                    long[] src = random.longs(count + 3).toArray();
                    a.copyFrom(src, 3, to, count);
                    System.arraycopy(src, 3, model, to, count);
                } else if (op < 90) {
                    int count = random.nextInt(8000);
                    int from = random.nextInt(n - count + 1);
                    long[] dst = new long[count + 2];
                    a.copyTo(from, dst, 1, count);
                    assertThat(Arrays.copyOfRange(dst, 1, count + 1)).as("step %d: copy of %d at %d", step, count, from)
                            .isEqualTo(Arrays.copyOfRange(model, from, from + count));
                } else if (op < 96) {
                    int from = random.nextInt(n);
                    int to = from + random.nextInt(n - from + 1);
                    assertThat(a.stream(from, to).toArray()).as("step %d: stream [%d, %d)", step, from, to)
                            .isEqualTo(Arrays.copyOfRange(model, from, to));
                } else if (op < 97) {
                    long v = random.nextLong();
                    a.fill(v);
                    Arrays.fill(model, v);
                } else {
                    session().memory().flush();
                }
            }
            assertThat(a.stream().toArray()).isEqualTo(model);
            assertThat(a.stream().parallel().toArray()).isEqualTo(model);
            assertThat(a.stream().parallel().sum()).isEqualTo(LongStream.of(model).sum());
            long[] seen = new long[n];
            int[] next = {100};
            a.forEach(100, n - 7, v -> seen[next[0]++] = v);
            assertThat(next[0]).isEqualTo(n - 7);
            assertThat(Arrays.copyOfRange(seen, 100, n - 7)).isEqualTo(Arrays.copyOfRange(model, 100, n - 7));
        }
    }

    @Test
    void fillWithAByteRepeatingValueAndAnEmptyArray() {
        try (FarLongArray a = FarLongArray.allocate(session().memory(), 1000);
             FarLongArray empty = FarLongArray.allocate(session().memory(), 0)) {
            a.fill(-1L);
            assertThat(a.stream().allMatch(v -> v == -1L)).isTrue();
            a.fill(0x0102030405060708L);
            assertThat(a.get(999)).isEqualTo(0x0102030405060708L);
            assertThat(a.segment().get(ValueLayout.JAVA_BYTE, 999 * 8)).as("little-endian")
                    .isEqualTo((byte) 0x08);
            assertThat(empty.length()).isZero();
            assertThat(empty.segment().byteSize()).isZero();
            assertThat(empty.stream().count()).isZero();
            empty.fill(5);
            assertThatThrownBy(() -> empty.get(0)).isInstanceOf(IndexOutOfBoundsException.class);
        }
        assertThatThrownBy(() -> FarLongArray.allocate(session().memory(), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void outOfRangeIndexesThrowNamingIndexAndLength() {
        try (FarLongArray a = FarLongArray.allocate(session().memory(), 1234)) {
            assertThatThrownBy(() -> a.get(1234)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("1234");
            assertThatThrownBy(() -> a.get(-1)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("-1");
            assertThatThrownBy(() -> a.set(5_000_000_000L, 1)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("5000000000").hasMessageContaining("1234");
            assertThatThrownBy(() -> a.copyTo(1230, new long[10], 0, 5)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> a.copyTo(0, new long[10], 8, 5)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> a.copyFrom(new long[10], 0, 1230, 5))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> a.copyFrom(new long[10], -1, 0, 5)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> a.stream(10, 5)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> a.stream(0, 1235)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> a.forEach(-1, 3, v -> {})).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void everyUseAfterCloseThrowsAndCloseIsIdempotent() {
        FarLongArray a = FarLongArray.allocate(session().memory(), 100_000);
        a.set(99_999, 7);
        LongStream pending = a.stream();
        a.close();
        a.close();
        assertThatThrownBy(() -> a.get(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.set(0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.fill(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.copyTo(0, new long[1], 0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.copyFrom(new long[1], 0, 0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(a::stream).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(pending::sum).isInstanceOf(IllegalStateException.class);
        assertThat(a.toString()).contains("closed");
    }

    @Test
    void spliteratorIsSizedOrderedAndSplitsIntoPiecesThatCoverTheRange() {
        int n = 50_000;
        long[] model = LongStream.range(0, n).map(i -> i * 31 + 7).toArray();
        try (FarLongArray a = FarLongArray.allocate(session().memory(), n)) {
            a.copyFrom(model, 0, 0, n);
            Spliterator.OfLong s = a.spliterator(3, n - 3);
            assertThat(s.hasCharacteristics(Spliterator.SIZED | Spliterator.SUBSIZED | Spliterator.ORDERED
                    | Spliterator.NONNULL)).isTrue();
            assertThat(s.getExactSizeIfKnown()).isEqualTo(n - 6);
            List<Spliterator.OfLong> pieces = new ArrayList<>(List.of(s));
            for (int round = 0; round < 4; round++) { // split every piece, prefixes first: order is kept
                List<Spliterator.OfLong> split = new ArrayList<>();
                for (Spliterator.OfLong p : pieces) {
                    long before = p.estimateSize();
                    Spliterator.OfLong prefix = p.trySplit();
                    if (prefix != null) {
                        assertThat(prefix.estimateSize() + p.estimateSize()).isEqualTo(before);
                        split.add(prefix);
                    }
                    split.add(p);
                }
                pieces = split;
            }
            assertThat(pieces).hasSizeGreaterThan(4);
            LongStream.Builder all = LongStream.builder();
            Spliterator.OfLong first = pieces.getFirst();
            assertThat(first.tryAdvance((long v) -> all.add(v))).isTrue();
            for (Spliterator.OfLong p : pieces) {
                p.forEachRemaining((long v) -> all.add(v));
                assertThat(p.tryAdvance((long v) -> all.add(v))).isFalse();
                assertThat(p.estimateSize()).isZero();
            }
            assertThat(all.build().toArray()).isEqualTo(Arrays.copyOfRange(model, 3, n - 3));
        }
    }

    /**
     * A scan tells the prefetcher: with trend prefetching off (window 0), only explicit hints prefetch, so every
     * prefetch below comes from the stream's hints; a plain get loop over the same data issues none.
     */
    @Test
    void streamsHintThePrefetcherAndUseWhatItFetched() {
        RememOptions hintsOnly = RememOptions.builder().tenant("far-longs-prefetch").cacheBytes(256 << 10)
                .prefetchWindow(0).build();
        try (RememSession s = cluster.connect(hintsOnly);
             FarLongArray a = FarLongArray.allocate(s.memory(), 512 << 10)) { // 4 MiB: 16 times the cache
            long[] chunk = LongStream.range(0, 4096).toArray();
            for (long at = 0; at < a.length(); at += chunk.length) {
                a.copyFrom(chunk, 0, at, chunk.length);
            }
            s.memory().flush();
            long expected = (a.length() / chunk.length) * LongStream.of(chunk).sum();

            CacheStats before = s.memory().stats();
            long sum = 0;
            for (long i = 0; i < a.length(); i++) {
                sum += a.get(i);
            }
            CacheStats plain = s.memory().stats().minus(before);
            assertThat(sum).isEqualTo(expected);
            assertThat(plain.prefetchesIssued()).as("element gets give no hints").isZero();

            before = s.memory().stats();
            assertThat(a.stream().sum()).isEqualTo(expected);
            CacheStats streamed = s.memory().stats().minus(before);
            // Typically every one of the 1024 blocks arrives on a hint, and a few dozen accesses wait for one.
            long blocks = a.segment().byteSize() / s.memory().blockSize();
            assertThat(streamed.prefetchesIssued()).as("blocks prefetched on the stream's hints").isPositive();
            assertThat(streamed.prefetchesUsed()).as("prefetched blocks the stream then read (late ones too)")
                    .isGreaterThanOrEqualTo(streamed.prefetchesIssued() / 2);
            assertThat(streamed.accesses()).as("one cache lookup per block, not per element").isLessThan(4 * blocks);
        }
    }

    @Test
    void aDatasetOpenedAsAnArrayIsSharedWithAnotherSessionAndOutlivesTheArray() {
        int n = 100_000; // 800 KiB, far more than either cache
        try (Dataset d = session().memory().dataset("longs",
                DatasetOptions.create((long) n * 8).exclusive());
             FarLongArray a = FarLongArray.open(session().memory(), d)) {
            assertThat(a.length()).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                a.set(i, (long) i * i);
            }
        } // closing the array frees nothing; closing the dataset writes it back
        try (RememSession other = cluster.connect(RememOptions.builder().tenant("far-longs").cacheBytes(128 << 10).build());
             Dataset d = other.memory().dataset("longs", DatasetOptions.open());
             FarLongArray a = FarLongArray.open(other.memory(), d)) {
            for (int i = 0; i < n; i += 997) {
                assertThat(a.get(i)).isEqualTo((long) i * i);
            }
            long expected = LongStream.range(0, n).map(i -> i * i).sum();
            assertThat(a.aggregate(0, n, Filter.all(), OffloadMode.NEAR).longSum())
                    .as("scanned at the memory nodes").isEqualTo(expected);
            a.close();
            assertThat(d.segment().get(ValueLayout.JAVA_LONG, 8)).as("the dataset outlives its view")
                    .isEqualTo(1);
            other.memory().deleteDataset("longs", false);
        }
    }
}
