package io.remem.collections;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random programs on a {@link FarMap} checked, operation by operation, against a {@link HashMap}: puts, gets,
 * removes, the conditional ConcurrentMap operations, iterator removes, entry writes and clears, on enough data (tens
 * of thousands of entries, values up to a few KiB and some of 100 KiB out of line) through a cache far smaller than
 * the data, so that shards grow, split and compact many times and the data really lives on the memory nodes. At
 * checkpoints, the size and the whole iteration (order included) must equal the model's, sorted as documented.
 */
class FarMapModelTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(3).nodeCapacity(256L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("farmap-model")
                    .cacheBytes(1 << 20).blockSize(4096).build());

    private static RememSession session() {
        return cluster.session();
    }

    /** Byte-array values, compared by content; the model holds them by content too. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void stringKeysAndByteValuesAgreeWithTheModel() {
        SplittableRandom random = new SplittableRandom(42);
        try (FarMap<String, byte[]> map = FarMap.create(session().memory(), Codec.utf8(), Codec.bytes())) {
            new Program<>(map, Codec.utf8(), Codec.bytes(), random, 30_000,
                    r -> "key-" + r.nextInt(30_000) + "/".repeat(r.nextInt(4)),
                    r -> {
                        int n = r.nextInt(1000) == 0 ? 100_000 + r.nextInt(10_000)
                                : r.nextInt(8) == 0 ? r.nextInt(4096) : r.nextInt(600);
                        byte[] v = new byte[n];
                        r.nextBytes(v);
                        return v;
                    }).run(90_000, 15_000);
            assertThat(map.splits.sum()).as("splits").isGreaterThan(50);
            assertThat(map.compactions.sum()).as("compactions").isPositive();
            assertThat(map.growths.sum()).as("growths").isPositive();
        }
    }

    /** Small regions: thousands of tiny shards, a deep directory, and short strings some of which go out of line. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void longKeysInSmallRegionsAgreeWithTheModel() {
        SplittableRandom random = new SplittableRandom(7);
        try (FarMap<Long, String> map = FarMap.builder(session().memory(), Codec.int64(), Codec.utf8())
                .regionBytes(4096).build()) {
            new Program<>(map, Codec.int64(), Codec.utf8(), random, 50_000,
                    r -> r.nextLong(50_000) * 0x9E3779B97F4A7C15L,
                    r -> "v".repeat(r.nextInt(20) == 0 ? 500 + r.nextInt(200) : r.nextInt(120)))
                    .run(100_000, 25_000);
            assertThat(map.depth()).as("directory depth").isGreaterThanOrEqualTo(10);
            assertThat(map.shardCount()).as("shards").isGreaterThan(500);
            assertThat(map.compactions.sum()).as("compactions").isPositive();
        }
    }

    /** One random program: the map, its model (by encoded bytes), and how to make keys and values. */
    private static final class Program<K, V> {
        final FarMap<K, V> map;
        final Codec<K> keys;
        final Codec<V> values;
        final SplittableRandom random;
        final int keySpace;
        final Function<SplittableRandom, K> newKey;
        final Function<SplittableRandom, V> newValue;
        /** Encoded key (as a string of ISO-8859-1 chars, so it has equals) to encoded value. */
        final Map<String, byte[]> model = new HashMap<>();

        Program(FarMap<K, V> map, Codec<K> keys, Codec<V> values, SplittableRandom random, int keySpace,
                Function<SplittableRandom, K> newKey, Function<SplittableRandom, V> newValue) {
            this.map = map;
            this.keys = keys;
            this.values = values;
            this.random = random;
            this.keySpace = keySpace;
            this.newKey = newKey;
            this.newValue = newValue;
        }

        String id(K key) {
            return new String(keys.encode(key), StandardCharsets.ISO_8859_1);
        }

        byte[] enc(V value) {
            return value == null ? null : values.encode(value);
        }

        void run(int steps, int checkEvery) {
            for (int step = 0; step < steps; step++) {
                K k = newKey.apply(random);
                String id = id(k);
                byte[] expected = model.get(id);
                int op = random.nextInt(100);
                String what = "step " + step + " op " + op + " key " + k;
                if (op < 35) {
                    V v = newValue.apply(random);
                    if (random.nextBoolean()) {
                        assertThat(enc(map.put(k, v))).as(what).isEqualTo(expected);
                    } else {
                        map.set(k, v);
                    }
                    model.put(id, enc(v));
                } else if (op < 55) {
                    assertThat(enc(map.get(k))).as(what).isEqualTo(expected);
                } else if (op < 60) {
                    assertThat(map.containsKey(k)).as(what).isEqualTo(expected != null);
                } else if (op < 68) {
                    if (random.nextBoolean()) {
                        assertThat(enc(map.remove(k))).as(what).isEqualTo(expected);
                    } else {
                        assertThat(map.delete(k)).as(what).isEqualTo(expected != null);
                    }
                    model.remove(id);
                } else if (op < 76) {
                    V v = newValue.apply(random);
                    assertThat(enc(map.putIfAbsent(k, v))).as(what).isEqualTo(expected);
                    model.putIfAbsent(id, enc(v));
                } else if (op < 82) {
                    V v = newValue.apply(random);
                    assertThat(enc(map.replace(k, v))).as(what).isEqualTo(expected);
                    if (expected != null) {
                        model.put(id, enc(v));
                    }
                } else if (op < 90) {
                    // replace(k, old, new) with the right old value half the time
                    V v = newValue.apply(random);
                    boolean right = expected != null && random.nextBoolean();
                    V old = right ? values.decode(expected, 0, expected.length) : newValue.apply(random);
                    boolean equal = expected != null && Arrays.equals(expected, enc(old));
                    assertThat(map.replace(k, old, v)).as(what).isEqualTo(equal);
                    if (equal) {
                        model.put(id, enc(v));
                    }
                } else if (op < 96) {
                    boolean right = expected != null && random.nextBoolean();
                    V old = right ? values.decode(expected, 0, expected.length) : newValue.apply(random);
                    boolean equal = expected != null && Arrays.equals(expected, enc(old));
                    assertThat(map.remove(k, old)).as(what).isEqualTo(equal);
                    if (equal) {
                        model.remove(id);
                    }
                } else if (random.nextInt(16) == 0) {
                    partialIteration(what);
                } else {
                    assertThat(enc(map.getOrDefault(k, null))).as(what).isEqualTo(expected);
                }
                if (step == steps / 3) { // once: the map then fills up again in the regions it kept
                    checkAll("before clear", true);
                    map.clear();
                    model.clear();
                    checkAll("after clear");
                }
                if (step % checkEvery == checkEvery - 1) {
                    checkAll("after step " + step);
                }
            }
            checkAll("at the end", true);
            System.out.printf("%d entries in %d shards, directory depth %d; %d splits, %d growths, %d compactions; %s%n",
                    model.size(), map.shardCount(), map.depth(), map.splits.sum(), map.growths.sum(),
                    map.compactions.sum(), session().memory().stats());
            assertThat(model.size()).as("the model grew big enough").isGreaterThan(keySpace / 3);
        }

        /** Walks part of the map from the start, removing or rewriting some entries through the iterator. */
        void partialIteration(String what) {
            List<Map.Entry<String, byte[]>> expected = sortedModel();
            Iterator<Map.Entry<K, V>> it = map.entrySet().iterator();
            int n = random.nextInt(Math.min(200, expected.size() + 1));
            for (int i = 0; i < n; i++) {
                assertThat(it.hasNext()).as(what + ": entry %d of %d", i, expected.size()).isTrue();
                Map.Entry<K, V> e = it.next();
                String id = id(e.getKey());
                assertThat(id).as(what + ": key %d", i).isEqualTo(expected.get(i).getKey());
                assertThat(enc(e.getValue())).as(what + ": value %d", i).isEqualTo(expected.get(i).getValue());
                int r = random.nextInt(20);
                if (r == 0) {
                    it.remove();
                    model.remove(id);
                } else if (r == 1) {
                    V v = newValue.apply(random);
                    assertThat(enc(e.setValue(v))).isEqualTo(expected.get(i).getValue());
                    model.put(id, enc(v));
                }
            }
        }

        List<Map.Entry<String, byte[]>> sortedModel() {
            List<Map.Entry<String, byte[]>> sorted = new ArrayList<>(model.entrySet());
            sorted.sort((a, b) -> {
                byte[] ka = a.getKey().getBytes(StandardCharsets.ISO_8859_1);
                byte[] kb = b.getKey().getBytes(StandardCharsets.ISO_8859_1);
                return KeyHash.compare(KeyHash.hash(ka), ka, KeyHash.hash(kb), kb);
            });
            return sorted;
        }

        /** Size, and every entry in the documented order; through all three views if {@code views}. */
        void checkAll(String when) {
            checkAll(when, false);
        }

        void checkAll(String when, boolean views) {
            List<Map.Entry<String, byte[]>> expected = sortedModel();
            assertThat(map.size()).as(when + ": size").isEqualTo(expected.size());
            assertThat(map.mappingCount()).as(when + ": mappingCount").isEqualTo(expected.size());
            int i = 0;
            for (Map.Entry<K, V> e : map.entrySet()) {
                assertThat(i).as(when + ": more entries than the model").isLessThan(expected.size());
                assertThat(id(e.getKey())).as(when + ": key %d", i).isEqualTo(expected.get(i).getKey());
                assertThat(enc(e.getValue())).as(when + ": value %d", i).isEqualTo(expected.get(i).getValue());
                i++;
            }
            assertThat(i).as(when + ": entries iterated").isEqualTo(expected.size());
            if (!views) {
                return;
            }
            i = 0;
            for (K k : map.keySet()) {
                assertThat(id(k)).as(when + ": keySet %d", i).isEqualTo(expected.get(i++).getKey());
            }
            assertThat(i).as(when + ": keys iterated").isEqualTo(expected.size());
            i = 0;
            for (V v : map.values()) {
                assertThat(enc(v)).as(when + ": values %d", i).isEqualTo(expected.get(i++).getValue());
            }
            assertThat(i).as(when + ": values iterated").isEqualTo(expected.size());
        }
    }
}
