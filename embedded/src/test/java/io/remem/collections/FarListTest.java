package io.remem.collections;

import io.remem.client.CacheStats;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;
import java.util.SplittableRandom;
import java.util.Spliterator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link FarList} against an {@link ArrayList} through a 128 KiB cache over real TCP: random programs of every
 * operation with elements from empty to 300 KiB (those get allocations of their own), the {@code List} contract
 * the model can check, fail-fast iteration, compaction, and prefetching scans.
 */
class FarListTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(512L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("far-list").cacheBytes(128 << 10).build());

    private static RememSession session() {
        return cluster.session();
    }

    /** Mostly short strings, some of a few KiB, and now and then (at most {@code bigLeft[0]} times) one of 300 KiB. */
    private static String element(SplittableRandom random, int[] bigLeft) {
        int kind = random.nextInt(1000);
        int len;
        if (kind < 4 && bigLeft[0] > 0) {
            bigLeft[0]--;
            len = 300_000 + random.nextInt(10_000);
        } else if (kind < 9) {
            len = 60_000 + random.nextInt(10_000); // around the 64 KiB limit of chunk entries, both sides
        } else if (kind < 40) {
            len = 100 + random.nextInt(8000);
        } else {
            len = random.nextInt(60);
        }
        StringBuilder b = new StringBuilder(len);
        char base = (char) ('a' + random.nextInt(20));
        for (int i = 0; i < len; i++) {
            b.append((char) (base + (i % 7)));
        }
        if (len > 0 && random.nextBoolean()) {
            b.setCharAt(0, 'é'); // two bytes in UTF-8
        }
        return b.toString();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2})
    void randomProgramsAgreeWithArrayList(int seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] bigLeft = {2};
        List<String> model = new ArrayList<>();
        try (FarList<String> list = FarList.create(session().memory(), Codec.utf8())) {
            for (int i = 0; i < 5000; i++) { // more refs than one index chunk holds, so shifts cross chunks
                model.add(Integer.toString(i));
            }
            assertThat(list.addAll(model)).isTrue();
            for (int step = 0; step < 2500; step++) {
                int op = random.nextInt(1000);
                int n = model.size();
                if (op < 300 || n == 0) {
                    String e = element(random, bigLeft);
                    assertThat(list.add(e)).isTrue();
                    model.add(e);
                } else if (op < 420) {
                    int i = random.nextInt(n + 1);
                    String e = element(random, bigLeft);
                    list.add(i, e);
                    model.add(i, e);
                } else if (op < 570) {
                    int i = random.nextInt(n);
                    String e = element(random, bigLeft);
                    assertThat(list.set(i, e)).as("step %d: set(%d) returns the old element", step, i)
                            .isEqualTo(model.set(i, e));
                } else if (op < 680) {
                    int i = random.nextInt(n);
                    assertThat(list.remove(i)).as("step %d: remove(%d)", step, i).isEqualTo(model.remove(i));
                } else if (op < 920) {
                    int i = random.nextInt(n);
                    assertThat(list.get(i)).as("step %d: get(%d)", step, i).isEqualTo(model.get(i));
                } else if (op < 945) {
                    int from = random.nextInt(n + 1);
                    int to = from + random.nextInt(Math.min(n - from, 50) + 1);
                    list.subList(from, to).clear();
                    model.subList(from, to).clear();
                } else if (op < 948) {
                    char c = (char) ('a' + random.nextInt(26));
                    assertThat(list.removeIf(e -> e.indexOf(c) == 1)).isEqualTo(model.removeIf(e -> e.indexOf(c) == 1));
                } else if (op < 951) { // through the iterator: a shift per removal, as in ArrayList
                    removeEveryThird(list.iterator(), 300);
                    removeEveryThird(model.iterator(), 300);
                } else if (op < 953) {
                    ListIterator<String> it = list.listIterator(random.nextInt(n + 1));
                    ListIterator<String> mit = model.listIterator(it.nextIndex());
                    while (it.hasNext()) {
                        assertThat(it.next()).isEqualTo(mit.next());
                        if (random.nextInt(4) == 0) {
                            String e = element(random, bigLeft);
                            it.set(e);
                            mit.set(e);
                        }
                    }
                } else if (op < 955) {
                    if (random.nextBoolean()) {
                        assertThat(list).as("step %d: iteration", step).containsExactlyElementsOf(model);
                    } else {
                        assertThat(list.stream().toList()).as("step %d: stream", step).isEqualTo(model);
                    }
                } else if (op < 999 || step < 2000) {
                    session().memory().flush();
                } else {
                    list.clear();
                    model.clear();
                }
                assertThat(list.size()).isEqualTo(model.size());
            }
            assertThat(bigLeft[0]).as("elements of 300 KiB were in the program").isZero();
            assertThat(list).isEqualTo(model);
            assertThat(model).isEqualTo(list);
            assertThat(list.hashCode()).isEqualTo(model.hashCode());
            assertThat(list.stream().parallel().toList()).isEqualTo(model);
            List<String> seen = new ArrayList<>();
            list.forEach(seen::add);
            assertThat(seen).isEqualTo(model);
            if (!model.isEmpty()) {
                String last = model.getLast();
                assertThat(list.indexOf(last)).isEqualTo(model.indexOf(last));
                assertThat(list.contains(last)).isTrue();
            }
            assertThat(list.garbageBytes()).as("compaction keeps garbage at most half the heap, give or take one entry")
                    .isLessThanOrEqualTo(Math.max(FarHeap.COMPACT_MIN, list.heapBytes() / 2 + FarHeap.BIG));
        }
    }

    private static void removeEveryThird(Iterator<String> it, int limit) {
        for (int i = 0; i < limit && it.hasNext(); i++) {
            it.next();
            if (i % 3 == 0) {
                it.remove();
            }
        }
    }

    @Test
    void iteratorsAndSpliteratorsAreFailFast() {
        try (FarList<Long> list = FarList.create(session().memory(), Codec.int64())) {
            for (long i = 0; i < 1000; i++) {
                list.add(i);
            }
            Iterator<Long> it = list.iterator();
            it.next();
            list.add(5L);
            assertThatThrownBy(it::next).isInstanceOf(ConcurrentModificationException.class);

            Iterator<Long> beforeRemove = list.iterator();
            list.remove(0);
            assertThatThrownBy(beforeRemove::next).isInstanceOf(ConcurrentModificationException.class);

            Iterator<Long> fresh = list.iterator();
            assertThatThrownBy(fresh::remove).isInstanceOf(IllegalStateException.class);

            Spliterator<Long> split = list.spliterator();
            list.add(6L);
            assertThatThrownBy(() -> split.tryAdvance(x -> {})).isInstanceOf(ConcurrentModificationException.class);
            assertThatThrownBy(() -> list.stream().forEach(x -> list.add(7L)))
                    .isInstanceOf(ConcurrentModificationException.class);

            Iterator<Long> sees = list.iterator();
            assertThat(sees.next()).isEqualTo(1L);
            list.set(1, 99L); // not structural: the iterator carries on and sees the new value, as ArrayList's does
            assertThat(sees.next()).isEqualTo(99L);
        }
    }

    @Test
    void spliteratorReportsItsCharacteristicsAndSplitsInOrder() {
        try (FarList<Long> list = FarList.create(session().memory(), Codec.int64())) {
            for (long i = 0; i < 5000; i++) {
                list.add(i);
            }
            Spliterator<Long> s = list.spliterator();
            assertThat(s.hasCharacteristics(Spliterator.ORDERED | Spliterator.SIZED | Spliterator.SUBSIZED
                    | Spliterator.NONNULL)).isTrue();
            Spliterator<Long> prefix = s.trySplit();
            assertThat(prefix).isNotNull();
            assertThat(prefix.estimateSize() + s.estimateSize()).isEqualTo(5000);
            List<Long> all = new ArrayList<>();
            prefix.forEachRemaining(all::add);
            s.forEachRemaining(all::add);
            assertThat(all).isEqualTo(list.stream().toList());
            assertThat(list.stream().parallel().mapToLong(Long::longValue).sum()).isEqualTo(4999L * 5000 / 2);
        }
    }

    @Test
    void nullsAreRejectedAndIndexesChecked() {
        try (FarList<String> list = FarList.create(session().memory(), Codec.utf8())) {
            assertThatThrownBy(() -> list.add(null)).isInstanceOf(NullPointerException.class);
            list.add("a");
            assertThatThrownBy(() -> list.set(0, null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> list.add(0, null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> list.get(1)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("1");
            assertThatThrownBy(() -> list.add(3, "x")).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> list.remove(-1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(list).containsExactly("a");
            list.add("");
            assertThat(list.get(1)).isEmpty();
        }
    }

    @Test
    void closeFreesEverythingAndIsFinal() {
        FarList<String> list = FarList.create(session().memory(), Codec.utf8());
        list.add("x".repeat(300_000));
        list.add("small");
        list.close();
        list.close();
        assertThatThrownBy(list::size).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> list.get(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> list.add("y")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(list::iterator).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(list::stream).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void updatesCompactTheHeapWhenMoreThanHalfIsGarbage() {
        try (FarList<String> list = FarList.create(session().memory(), Codec.utf8())) {
            for (int i = 0; i < 1000; i++) {
                list.add("element " + i + " " + "z".repeat(100));
            }
            long live = list.heapBytes();
            long maxHeap = 0;
            for (int round = 0; round < 10; round++) {
                for (int i = 0; i < 1000; i++) {
                    list.set(i, "element " + i + " round " + round + " " + "z".repeat(100));
                }
                maxHeap = Math.max(maxHeap, list.heapBytes());
                assertThat(list.garbageBytes()).isLessThanOrEqualTo(list.heapBytes() / 2 + 200);
            }
            assertThat(maxHeap).as("ten rewrites of the whole list, but the heap stays near twice the live bytes")
                    .isLessThan(3 * live);
            for (int i = 0; i < 1000; i++) {
                assertThat(list.get(i)).isEqualTo("element " + i + " round 9 " + "z".repeat(100));
            }
            for (int i = 999; i >= 10; i--) {
                list.remove(i);
            }
            assertThat(list).hasSize(10);
            assertThat(list.heapBytes()).as("removals compact too").isLessThan(live);
            assertThat(list.getLast()).isEqualTo("element 9 round 9 " + "z".repeat(100));
        }
    }

    /** As for arrays: with trend prefetching off, only the scan's hints prefetch; a get loop issues none. */
    @Test
    void streamsHintThePrefetcher() {
        RememOptions hintsOnly = RememOptions.builder().tenant("far-list-prefetch").cacheBytes(128 << 10)
                .prefetchWindow(0).build();
        try (RememSession s = cluster.connect(hintsOnly);
             FarList<String> list = FarList.create(s.memory(), Codec.utf8())) {
            for (int i = 0; i < 10_000; i++) {
                list.add(i + ":" + "p".repeat(150)); // about 1.6 MiB of entries
            }
            s.memory().flush();
            CacheStats before = s.memory().stats();
            long plainLength = 0;
            for (int i = 0; i < list.size(); i++) {
                plainLength += list.get(i).length();
            }
            CacheStats plain = s.memory().stats().minus(before);
            assertThat(plain.prefetchesIssued()).isZero();

            before = s.memory().stats();
            assertThat(list.stream().mapToLong(String::length).sum()).isEqualTo(plainLength);
            CacheStats streamed = s.memory().stats().minus(before);
            assertThat(streamed.prefetchesIssued()).as("blocks prefetched on the scan's hints").isPositive();
            assertThat(streamed.prefetchesUsed()).as("prefetched blocks the scan then read")
                    .isGreaterThanOrEqualTo(streamed.prefetchesIssued() / 2);

            before = s.memory().stats();
            long iterated = 0;
            for (String e : list) {
                iterated += e.length();
            }
            assertThat(iterated).isEqualTo(plainLength);
            assertThat(s.memory().stats().minus(before).prefetchesUsed()).as("the iterator reads ahead too")
                    .isPositive();
        }
    }
}
