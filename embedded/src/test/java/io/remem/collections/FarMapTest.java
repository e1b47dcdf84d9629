package io.remem.collections;

import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import io.remem.protocol.MapLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link FarMap}'s edges: null keys and values, use after close, the fixed hash, the far layout a memory node will
 * read ({@link MapLayout}), values too big for a small-object slab, and the iteration order's independence from
 * history.
 */
class FarMapTest {
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(128L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("farmap").cacheBytes(256 << 10).blockSize(1024)
                    .build());

    private static RememSession session() {
        return cluster.session();
    }

    private static FarMap<String, String> strings() {
        return FarMap.create(session().memory(), Codec.utf8(), Codec.utf8());
    }

    @Test
    void nullKeysAndValuesAreRefused() {
        try (FarMap<String, String> map = strings()) {
            map.put("k", "v");
            List<Runnable> calls = List.of(
                    () -> map.get(null), () -> map.containsKey(null), () -> map.containsValue(null),
                    () -> map.put(null, "v"), () -> map.put("k", null), () -> map.set(null, "v"),
                    () -> map.set("k", null), () -> map.putIfAbsent(null, "v"), () -> map.putIfAbsent("x", null),
                    () -> map.remove(null), () -> map.remove(null, "v"), () -> map.delete(null),
                    () -> map.replace(null, "v"), () -> map.replace("k", null), () -> map.replace(null, "v", "w"),
                    () -> map.replace("k", null, "w"), () -> map.replace("k", "v", null),
                    () -> map.putAll(Collections.singletonMap(null, "v")),
                    () -> map.putAll(Collections.singletonMap("y", null)),
                    () -> map.getOrDefault(null, "d"), () -> map.keySet().contains(null),
                    () -> map.keySet().remove(null), () -> map.values().contains(null),
                    () -> map.entrySet().iterator().next().setValue(null));
            for (int i = 0; i < calls.size(); i++) {
                assertThatThrownBy(calls.get(i)::run).as("call %d", i).isInstanceOf(NullPointerException.class);
            }
            assertThat(map.remove("k", null)).as("as ConcurrentHashMap: no null value is there").isFalse();
            assertThat(map.entrySet().contains(new AbstractMap.SimpleEntry<>("k", null))).isFalse();
            assertThat(map).containsExactly(Map.entry("k", "v"));
        }
    }

    @Test
    void everyOperationAfterCloseThrows() {
        FarMap<String, String> map = strings();
        map.put("a", "1");
        map.put("b", "2".repeat(100_000)); // out of line, freed too
        Iterator<String> open = map.keySet().iterator();
        map.close();
        map.close(); // again: nothing happens
        List<Runnable> calls = List.of(
                () -> map.get("a"), () -> map.containsKey("a"), () -> map.containsValue("1"), map::size,
                map::mappingCount, map::isEmpty, () -> map.put("a", "2"), () -> map.set("a", "2"),
                () -> map.putIfAbsent("c", "3"), () -> map.remove("a"), () -> map.remove("a", "1"),
                () -> map.delete("a"), () -> map.replace("a", "2"), () -> map.replace("a", "1", "2"),
                map::clear, () -> map.keySet().iterator(), () -> map.values().iterator(),
                () -> map.entrySet().iterator(), open::hasNext, () -> map.putAll(Map.of("d", "4")),
                () -> map.computeIfAbsent("e", k -> "5"), () -> map.merge("a", "x", String::concat));
        for (int i = 0; i < calls.size(); i++) {
            assertThatThrownBy(calls.get(i)::run).as("call %d", i).isInstanceOf(IllegalStateException.class);
        }
        assertThat(map.toString()).isEqualTo("FarMap{closed}");
    }

    @Test
    void theHashIsFixed() {
        // FNV-1a 64 then murmur3 fmix64, computed independently
        assertThat(KeyHash.hash(new byte[0])).isEqualTo(0xefd01f60ba992926L);
        assertThat(KeyHash.hash("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(0x82a2a958a9bece5bL);
        assertThat(KeyHash.hash("hello".getBytes(StandardCharsets.UTF_8))).isEqualTo(0xe9c562c0fdb23244L);
        assertThat(KeyHash.hash("héllo wörld".getBytes(StandardCharsets.UTF_8))).isEqualTo(0xc9908fbae14ae724L);
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        assertThat(KeyHash.hash(all)).isEqualTo(0x2067db6dbd4efa06L);
        byte[] framed = new byte[260];
        System.arraycopy(all, 0, framed, 2, 256);
        assertThat(KeyHash.hash(framed, 2, 256)).isEqualTo(0x2067db6dbd4efa06L);
    }

    /**
     * Looks every key up the way a memory node would, from the raw bytes of the regions (MapLayout, little-endian),
     * and checks each shard's invariants: a free slot, refs inside the heap or out of line, sizes in the slots.
     */
    @Test
    void regionsFollowTheSharedLayout() {
        SplittableRandom random = new SplittableRandom(3);
        try (FarMap<String, byte[]> map = FarMap.builder(session().memory(), Codec.utf8(), Codec.bytes())
                .regionBytes(16 << 10).build()) {
            TreeMap<String, byte[]> model = new TreeMap<>();
            for (int i = 0; i < 3000; i++) {
                String k = "key" + random.nextInt(2000);
                byte[] v = new byte[random.nextInt(10) == 0 ? 3000 : random.nextInt(300)]; // > 2 KiB: out of line
                random.nextBytes(v);
                if (random.nextInt(5) == 0) {
                    map.remove(k);
                    model.remove(k);
                } else {
                    map.put(k, v);
                    model.put(k, v);
                }
            }
            assertThat(map.shardCount()).isGreaterThan(8);
            for (Map.Entry<String, byte[]> e : model.entrySet()) {
                byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
                long hash = KeyHash.hash(key);
                Shard shard = map.shardFor(hash);
                assertThat(nodeStyleGet(shard, key, hash)).as(e.getKey()).isEqualTo(e.getValue());
            }
            assertThat(nodeStyleGet(map.shardFor(KeyHash.hash(new byte[] {1})), new byte[] {1},
                    KeyHash.hash(new byte[] {1}))).isNull();
            int inline = 0;
            int outOfLine = 0;
            for (Shard shard : distinctShards(map)) {
                byte[] region = shard.region().toArray();
                MemorySegment r = MemorySegment.ofArray(region);
                int capacity = shard.capacity();
                assertThat(Integer.bitCount(capacity)).isEqualTo(1);
                int live = 0;
                for (int slot = 0; slot < capacity; slot++) {
                    long ref = r.get(LONG, (long) slot * MapLayout.SLOT_BYTES);
                    int entryBytes = r.get(INT, (long) slot * MapLayout.SLOT_BYTES + MapLayout.SLOT_ENTRY_BYTES);
                    if (ref == 0) {
                        continue;
                    }
                    live++;
                    if (ref < 0) {
                        outOfLine++;
                        FarSegment entry = shard.outOfLine(ref).segment();
                        assertThat(entry.address()).isEqualTo(ref & ~MapLayout.OUT_OF_LINE);
                        assertThat(8 + entry.get(INT, 0) + entry.get(INT, 4)).isEqualTo(entryBytes);
                    } else {
                        inline++;
                        assertThat(ref).isBetween((long) capacity * MapLayout.SLOT_BYTES, (long) shard.heapTop - 8);
                        assertThat(ref % 8).as("entries are 8-aligned").isZero();
                        assertThat(8 + r.get(INT, ref) + r.get(INT, ref + 4)).isEqualTo(entryBytes);
                    }
                }
                assertThat(live).isEqualTo(shard.count).isLessThan(capacity);
            }
            assertThat(inline).isPositive();
            assertThat(outOfLine).isPositive();
            assertThat(inline + outOfLine).isEqualTo(model.size());
        }
    }

    /** The value of {@code key} read as a memory node would: from its home slot on, tags first, then bytes. */
    private static byte[] nodeStyleGet(Shard shard, byte[] key, long hash) {
        FarSegment region = shard.region();
        int capacity = shard.capacity();
        int tag = MapLayout.tag(hash);
        for (int slot = MapLayout.homeSlot(hash, capacity); ; slot = (slot + 1) & (capacity - 1)) {
            long ref = region.get(LONG, (long) slot * MapLayout.SLOT_BYTES + MapLayout.SLOT_REF);
            if (ref == 0) {
                return null;
            }
            if (region.get(INT, (long) slot * MapLayout.SLOT_BYTES + MapLayout.SLOT_TAG) != tag) {
                continue;
            }
            FarSegment seg = ref < 0 ? shard.outOfLine(ref).segment() : region;
            long at = ref < 0 ? 0 : ref;
            int entryBytes = region.get(INT, (long) slot * MapLayout.SLOT_BYTES + MapLayout.SLOT_ENTRY_BYTES);
            byte[] entry = new byte[entryBytes];
            FarSegment.copy(seg, at, entry, 0, entryBytes);
            MemorySegment e = MemorySegment.ofArray(entry);
            int keyBytes = e.get(INT, MapLayout.ENTRY_KEY_BYTES);
            int valueBytes = e.get(INT, MapLayout.ENTRY_VALUE_BYTES);
            if (Arrays.equals(entry, 8, 8 + keyBytes, key, 0, key.length)) {
                return Arrays.copyOfRange(entry, 8 + keyBytes, 8 + keyBytes + valueBytes);
            }
        }
    }

    private static List<Shard> distinctShards(FarMap<?, ?> map) {
        List<Shard> shards = new ArrayList<>();
        long cursor = 0;
        do {
            Shard s = map.shardFor(cursor);
            shards.add(s);
            cursor = s.rangeEnd();
        } while (cursor != 0);
        assertThat(shards).hasSize(map.shardCount());
        return shards;
    }

    /** The near path's hint: a shard is dirty after any write to it, and reads leave it clean. */
    @Test
    void shardsAreDirtyAfterWritesOnly() {
        try (FarMap<String, String> map = strings()) {
            map.put("a", "1");
            long hash = KeyHash.hash("a".getBytes(StandardCharsets.UTF_8));
            Shard shard = map.shardFor(hash);
            assertThat(shard.isDirty()).isTrue();
            shard.markClean();
            assertThat(map.get("a")).isEqualTo("1");
            assertThat(map.containsKey("b")).isFalse();
            assertThat(map.putIfAbsent("a", "2")).isEqualTo("1");
            assertThat(map.replace("a", "x", "y")).isFalse();
            assertThat(map.remove("a", "x")).isFalse();
            assertThat(map.replace("b", "2")).isNull();
            assertThat(map.keySet()).containsExactly("a");
            assertThat(shard.isDirty()).as("after reads and failed writes").isFalse();
            map.put("a", "3");
            assertThat(shard.isDirty()).as("after a put").isTrue();
            shard.markClean();
            map.remove("a");
            assertThat(shard.isDirty()).as("after a remove").isTrue();
            assertThat(map.shardFor(hash)).as("no rebuild meanwhile").isSameAs(shard);
        }
    }

    @Test
    void valuesBiggerThanASmallObjectSlabGetSlabsOfTheirOwn() {
        try (FarMap<Long, byte[]> map = FarMap.create(session().memory(), Codec.int64(), Codec.bytes())) {
            byte[] big = new byte[(1 << 20) + 5];
            new SplittableRandom(1).nextBytes(big);
            map.put(1L, big);
            map.put(2L, new byte[] {7});
            assertThat(map.get(1L)).isEqualTo(big);
            assertThat(map.replace(1L, big, new byte[300_000])).isTrue();
            assertThat(map.get(1L)).hasSize(300_000);
            assertThat(map.remove(1L)).hasSize(300_000);
            assertThat(map.get(2L)).containsExactly(7);
            assertThat(map).hasSize(1);
        }
    }

    @Test
    void iterationOrderDependsOnContentsOnly() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            keys.add("k" + i);
        }
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort((a, b) -> {
            byte[] x = a.getBytes(StandardCharsets.UTF_8);
            byte[] y = b.getBytes(StandardCharsets.UTF_8);
            return KeyHash.compare(KeyHash.hash(x), x, KeyHash.hash(y), y);
        });
        try (FarMap<String, String> grown = strings();
             FarMap<String, String> presized = FarMap.builder(session().memory(), Codec.utf8(), Codec.utf8())
                     .expectedSize(5000).regionBytes(4096).build()) {
            for (String k : keys) {
                grown.put(k, k);
                grown.put(k + "-gone", k);
            }
            for (String k : keys) {
                grown.remove(k + "-gone");
            }
            Collections.shuffle(keys, new Random(5));
            for (String k : keys) {
                presized.put(k, k);
            }
            assertThat(new ArrayList<>(grown.keySet())).isEqualTo(sorted);
            assertThat(new ArrayList<>(presized.keySet())).isEqualTo(sorted);
            assertThat(grown).isEqualTo(presized);
            assertThat(grown.hashCode()).isEqualTo(presized.hashCode());
        }
    }
}
