package io.remem.embedded;

import io.remem.client.Aggregate;
import io.remem.client.Chased;
import io.remem.client.FarSegment;
import io.remem.client.NodeLayout;
import io.remem.client.Offload;
import io.remem.client.OffloadMode;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.AggregateRequest;
import io.remem.protocol.ElementType;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Filter;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Offloaded operations against plain-Java references on random data, over a real cluster of three memory nodes
 * with 1 MiB slabs, so ranges and linked structures cross slabs and nodes. Every mode (near, pulled, auto) must
 * give the reference's answer bit for bit, including for data still dirty in the cache.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OffloadTest {
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(3).nodeCapacity(256L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("offload").cacheBytes(256 << 10).build());

    private static RememSession session() {
        return cluster.session();
    }

    /** Random words, doubles with NaN, -0.0 and infinities mixed in, and stretches never written (zeros). */
    private static long[] fill(FarSegment seg, SplittableRandom random, ElementType type) {
        long[] words = new long[(int) (seg.byteSize() / 8)];
        for (int i = 0; i < words.length; i++) {
            if ((i / 20_000) % 7 == 3) {
                continue; // a stretch left unwritten: it reads as zeros
            }
            words[i] = type == ElementType.I64 ? random.nextLong(-1000, 1000) : switch (random.nextInt(50)) {
                case 0 -> Double.doubleToRawLongBits(Double.NaN);
                case 1 -> Double.doubleToRawLongBits(-0.0);
                case 2 -> Double.doubleToRawLongBits(Double.POSITIVE_INFINITY);
                default -> Double.doubleToRawLongBits(random.nextDouble(-1e6, 1e6));
            };
            seg.set(LE_LONG, 8L * i, words[i]);
        }
        return words;
    }

    private static Filter randomFilter(SplittableRandom random, ElementType type) {
        Filter.Comparison c = Filter.Comparison.values()[random.nextInt(Filter.Comparison.values().length)];
        if (type == ElementType.I64) {
            long a = random.nextLong(-1000, 1000);
            return new Filter(c, a, a + random.nextLong(0, 1000));
        }
        double a = random.nextInt(10) == 0 ? 0.0 : random.nextDouble(-1e6, 1e6);
        return new Filter(c, Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(a + random.nextDouble(0, 1e6)));
    }

    private static boolean passes(Filter f, ElementType type, long bits) {
        if (type == ElementType.I64) {
            long v = bits;
            return switch (f.comparison()) {
                case ALL -> true;
                case EQ -> v == f.a();
                case NE -> v != f.a();
                case LT -> v < f.a();
                case LE -> v <= f.a();
                case GT -> v > f.a();
                case GE -> v >= f.a();
                case BETWEEN -> f.a() <= v && v <= f.b();
            };
        }
        double v = Double.longBitsToDouble(bits);
        double a = Double.longBitsToDouble(f.a());
        return switch (f.comparison()) {
            case ALL -> true;
            case EQ -> v == a;
            case NE -> v != a;
            case LT -> v < a;
            case LE -> v <= a;
            case GT -> v > a;
            case GE -> v >= a;
            case BETWEEN -> a <= v && v <= Double.longBitsToDouble(f.b());
        };
    }

    /** The documented answer, computed the plain way: blocks of 65,536 elements from the segment's start. */
    private static Aggregate reference(long[] words, int from, int to, ElementType type, Filter f) {
        long count = 0;
        long min = 0;
        long max = 0;
        long longSum = 0;
        double total = 0.0;
        double block = 0.0;
        for (int i = from; i < to; i++) {
            if (i > from && i % AggregateRequest.BLOCK_ELEMENTS == 0) {
                total += block;
                block = 0.0;
            }
            long w = words[i];
            if (!passes(f, type, w)) {
                continue;
            }
            if (type == ElementType.I64) {
                min = count == 0 ? w : Math.min(min, w);
                max = count == 0 ? w : Math.max(max, w);
                longSum += w;
            } else {
                double d = Double.longBitsToDouble(w);
                min = Double.doubleToRawLongBits(count == 0 ? d : Math.min(Double.longBitsToDouble(min), d));
                max = Double.doubleToRawLongBits(count == 0 ? d : Math.max(Double.longBitsToDouble(max), d));
                block += d;
            }
            count++;
        }
        total += block;
        return new Aggregate(type, count, count == 0 ? 0 : min, count == 0 ? 0 : max,
                type == ElementType.I64 ? longSum : Double.doubleToRawLongBits(total));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"I64", "F64"})
    void aggregatesAndSelectsEqualThePlainComputationInEveryMode(String typeName) {
        ElementType type = ElementType.valueOf(typeName);
        SplittableRandom random = new SplittableRandom(typeName.hashCode());
        Offload offload = session().memory().offload();
        int elements = 700_000; // 5.3 MiB: six 1 MiB slabs on three nodes
        FarSegment seg = session().memory().allocate(8L * elements);
        try {
            long[] words = fill(seg, random, type);
            for (int round = 0; round < 12; round++) {
                int from = round == 0 ? 0 : random.nextInt(elements);
                int to = round == 0 ? elements : from + random.nextInt(elements - from + 1);
                Filter f = randomFilter(random, type);
                Aggregate expected = reference(words, from, to, type, f);
                long[] selected = IntStream.range(from, to).filter(i -> passes(f, type, words[i]))
                        .mapToLong(i -> i - from).toArray();
                for (OffloadMode mode : OffloadMode.values()) {
                    assertThat(offload.aggregate(seg, 8L * from, to - from, type, f, mode))
                            .as("round %d [%d, %d) %s %s", round, from, to, f, mode).isEqualTo(expected);
                    assertThat(offload.select(seg, 8L * from, to - from, type, f, mode))
                            .as("select round %d %s", round, mode).isEqualTo(selected);
                }
                // Writes still dirty in the cache must be seen by the memory node's run.
                int at = from + (to - from) / 2;
                if (at < elements) {
                    words[at] = type == ElementType.I64 ? 12345 : Double.doubleToRawLongBits(0.5);
                    seg.set(LE_LONG, 8L * at, words[at]);
                    assertThat(offload.aggregate(seg, 8L * from, to - from, type, f, OffloadMode.NEAR))
                            .as("after a cached write").isEqualTo(reference(words, from, to, type, f));
                }
            }
        } finally {
            seg.free();
        }
    }

    @Test
    void rangesAreChecked() {
        Offload offload = session().memory().offload();
        FarSegment seg = session().memory().allocate(1024);
        try {
            assertThat(catchThrowableOfType(IllegalArgumentException.class,
                    () -> offload.aggregate(seg, 4, 2, ElementType.I64, Filter.all(), OffloadMode.NEAR))).hasMessageContaining("aligned");
            assertThat(catchThrowableOfType(IndexOutOfBoundsException.class,
                    () -> offload.aggregate(seg, 8, 128, ElementType.I64, Filter.all(), OffloadMode.NEAR))).isNotNull();
            assertThat(offload.aggregate(seg, 0, 0, ElementType.I64, Filter.all(), OffloadMode.NEAR).count()).isZero();
        } finally {
            seg.free();
        }
    }

    // ============================================================================== pointer chase

    /** Node: key at 0, next/left at 8, right at 16, payload at 24. */
    private static final int NODE_BYTES = 32;

    private record Structure(List<FarSegment> nodes, long head) {
        void free() {
            nodes.forEach(FarSegment::free);
        }
    }

    private static Structure list(long[] keys) {
        List<FarSegment> nodes = new ArrayList<>();
        long next = 0;
        for (int i = keys.length - 1; i >= 0; i--) {
            FarSegment n = session().memory().allocate(NODE_BYTES);
            n.set(LE_LONG, 0, keys[i]);
            n.set(LE_LONG, 8, next);
            n.set(LE_LONG, 24, ~keys[i]);
            nodes.add(n);
            next = n.address();
            // Spread nodes over slabs and so over memory nodes.
            if (i % 97 == 0) {
                nodes.add(session().memory().allocate(300_000));
            }
        }
        return new Structure(nodes, next);
    }

    private static Structure tree(long[] keys) {
        List<FarSegment> nodes = new ArrayList<>();
        TreeMap<Long, FarSegment> placed = new TreeMap<>();
        FarSegment root = null;
        for (long k : keys) {
            FarSegment n = session().memory().allocate(NODE_BYTES);
            n.set(LE_LONG, 0, k);
            n.set(LE_LONG, 24, ~k);
            nodes.add(n);
            if (root == null) {
                root = n;
            } else {
                FarSegment at = root;
                while (true) {
                    long key = at.get(LE_LONG, 0);
                    int field = k < key ? 8 : 16;
                    long child = at.get(LE_LONG, field);
                    if (child == 0) {
                        at.set(LE_LONG, field, n.address());
                        break;
                    }
                    at = placedAt(placed, child);
                }
            }
            placed.put(n.address(), n);
            if (nodes.size() % 101 == 0) {
                nodes.add(session().memory().allocate(300_000));
            }
        }
        return new Structure(nodes, root == null ? 0 : root.address());
    }

    private static FarSegment placedAt(TreeMap<Long, FarSegment> placed, long address) {
        return placed.get(address);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"list", "tree"})
    void chasesFindWhatAPlainWalkFinds(String shape) {
        SplittableRandom random = new SplittableRandom(shape.hashCode());
        long[] keys = random.longs(3000, -1_000_000, 1_000_000).distinct().toArray();
        boolean isList = shape.equals("list");
        Structure s = isList ? list(keys) : tree(keys);
        NodeLayout layout = isList ? NodeLayout.list(0, 8, NODE_BYTES) : NodeLayout.tree(0, 8, 16, NODE_BYTES);
        Set<Long> present = new HashSet<>();
        for (long k : keys) {
            present.add(k);
        }
        try {
            for (int i = 0; i < 60; i++) {
                long key = i % 3 == 0 ? random.nextLong(-1_000_000, 1_000_000) : keys[random.nextInt(keys.length)];
                for (OffloadMode mode : OffloadMode.values()) {
                    Chased c = session().memory().offload().chase(s.head(), layout, key, mode);
                    assertThat(c.found()).as("%s key %d %s", shape, key, mode).isEqualTo(present.contains(key));
                    if (c.found()) {
                        ByteBuffer node = ByteBuffer.wrap(c.node()).order(ByteOrder.LITTLE_ENDIAN);
                        assertThat(node.getLong(0)).isEqualTo(key);
                        assertThat(node.getLong(24)).isEqualTo(~key);
                    }
                }
            }
            // A list's near chase visits exactly the nodes up to the key.
            if (isList) {
                Chased last = session().memory().offload().chase(s.head(), layout, keys[keys.length - 1], OffloadMode.NEAR);
                assertThat(last.hops()).isEqualTo(keys.length);
            }
        } finally {
            s.free();
        }
    }

    @Test
    void aChaseIntoMemoryThatIsNotTheTenantsFails() {
        FarSegment n = session().memory().allocate(NODE_BYTES);
        try {
            n.set(LE_LONG, 0, 1);
            n.set(LE_LONG, 8, (1L << 40)); // a slab that does not exist
            for (OffloadMode mode : OffloadMode.values()) {
                RememException e = catchThrowableOfType(RememException.class,
                        () -> session().memory().offload().chase(n.address(), NodeLayout.list(0, 8, 8), 2, mode));
                assertThat(e).as("%s", mode).isNotNull();
                assertThat(e.code()).as("%s", mode).isEqualTo(ErrorCode.NO_SUCH_SLAB);
            }
            n.set(LE_LONG, 8, n.address()); // a cycle
            RememException cyclic = catchThrowableOfType(RememException.class,
                    () -> session().memory().offload().chase(n.address(), NodeLayout.list(0, 8, 8), 2, OffloadMode.NEAR));
            assertThat(cyclic.getMessage()).contains("cyclic");
        } finally {
            n.free();
        }
    }
}
