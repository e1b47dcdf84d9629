package io.remem.bench.suite;

import com.hazelcast.map.IMap;
import com.hazelcast.nearcache.NearCacheStats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static io.remem.bench.suite.HazelcastArrayStore.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;

/** Against a real member in its own JVM, started once: both the plain client and the near-cached one. */
class HazelcastPeerTest {
    private static final long NEAR_CACHE_CHUNKS = 16;

    private static HazelcastPeer peer;
    private static Target plain;
    private static Target near;

    @BeforeAll
    static void start() {
        try {
            peer = HazelcastPeer.start(0, "256m");
        } catch (PeerUnavailableException e) {
            // A missing requirement fails the test with its reason; it never skips.
            throw new AssertionError("Hazelcast peer unavailable: " + e.getMessage(), e);
        }
        plain = peer.target(0);
        near = peer.target(NEAR_CACHE_CHUNKS * CHUNK);
    }

    @AfterAll
    static void stop() {
        if (peer != null) {
            peer.close();
        }
    }

    /** By name rather than as the targets: JUnit closes AutoCloseable arguments after each test. */
    static Stream<String> targets() {
        return Stream.of("hazelcast", "hazelcast+near");
    }

    private static Target target(String name) {
        return name.equals(plain.name()) ? plain : near;
    }

    @Test
    void namesAndVersion() {
        assertThat(plain.name()).isEqualTo("hazelcast");
        assertThat(near.name()).isEqualTo("hazelcast+near");
        assertThat(peer.version()).isEqualTo("Hazelcast 5.5.0");
    }

    @ParameterizedTest
    @MethodSource("targets")
    void newArrayReadsZeros(String targetName) {
        Target target = target(targetName);
        try (ArrayStore a = target.newArray(3 * CHUNK + 100); Arena arena = Arena.ofConfined()) {
            MemorySegment got = arena.allocate(a.byteSize());
            got.fill((byte) 7);
            a.read(0, got, 0, (int) a.byteSize());
            assertThat(got.mismatch(arena.allocate(a.byteSize()))).isEqualTo(-1);
            assertThat(a.getLong(0)).isZero();
            assertThat(a.getLong(CHUNK - 3)).isZero();
            assertThat(a.getLong(a.byteSize() - 8)).isZero();
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void randomReadsAndWritesMatchALocalMirror(String targetName) {
        Target target = target(targetName);
        long size = 40L * CHUNK + 1234;
        Random rnd = new Random(42);
        try (ArrayStore a = target.newArray(size); Arena arena = Arena.ofConfined()) {
            MemorySegment mirror = arena.allocate(size);
            MemorySegment buf = arena.allocate(6 * CHUNK);
            MemorySegment got = arena.allocate(6 * CHUNK);
            for (int op = 0; op < 400; op++) {
                switch (rnd.nextInt(5)) {
                    case 0, 1 -> {
                        int len = 1 + rnd.nextInt(5 * CHUNK);
                        long off = (long) (rnd.nextDouble() * (size - len));
                        if (rnd.nextInt(4) == 0) {
                            off = off & ~(CHUNK - 1L); // whole chunks too, which go by set/setAll
                            len = (int) Math.min(len & ~(CHUNK - 1) | CHUNK, size - off);
                        }
                        for (int i = 0; i < len; i++) {
                            buf.set(ValueLayout.JAVA_BYTE, 3 + i, (byte) rnd.nextInt());
                        }
                        a.write(off, buf, 3, len);
                        MemorySegment.copy(buf, 3, mirror, off, len);
                    }
                    case 2 -> {
                        long off = (long) (rnd.nextDouble() * (size - 8));
                        long v = rnd.nextLong();
                        a.setLong(off, v);
                        mirror.set(ValueLayout.JAVA_LONG_UNALIGNED, off, v);
                    }
                    case 3 -> {
                        long off = (long) (rnd.nextDouble() * (size - 8));
                        assertThat(a.getLong(off)).as("getLong at %d", off)
                                .isEqualTo(mirror.get(ValueLayout.JAVA_LONG_UNALIGNED, off));
                    }
                    default -> {
                        int len = 1 + rnd.nextInt(5 * CHUNK);
                        long off = (long) (rnd.nextDouble() * (size - len));
                        a.read(off, got, 7, len);
                        assertThat(got.asSlice(7, len).mismatch(mirror.asSlice(off, len)))
                                .as("read of %d at %d", len, off).isEqualTo(-1);
                    }
                }
            }
            MemorySegment all = arena.allocate(size);
            a.read(0, all, 0, (int) size);
            assertThat(all.mismatch(mirror)).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void gatherEqualsGetLongOneByOne(String targetName) {
        Target target = target(targetName);
        long size = 30L * CHUNK;
        Random rnd = new Random(7);
        try (ArrayStore a = target.newArray(size); Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(20L * CHUNK);
            for (long i = 0; i < data.byteSize(); i += 8) {
                data.set(ValueLayout.JAVA_LONG, i, rnd.nextLong());
            }
            a.write(3, data, 0, (int) data.byteSize()); // chunks 21..29 stay missing
            long[] offsets = new long[3000];
            for (int i = 0; i < offsets.length; i++) {
                offsets[i] = i % 10 == 0 ? (long) rnd.nextInt(29) * CHUNK + CHUNK - 1 - rnd.nextInt(7) // straddling
                        : (long) (rnd.nextDouble() * (size - 8));
            }
            offsets[0] = size - 8;
            long[] out = new long[offsets.length];
            a.gather(offsets, offsets.length - 1, out);
            for (int i = 0; i < offsets.length - 1; i++) {
                assertThat(out[i]).as("offset %d", offsets[i]).isEqualTo(a.getLong(offsets[i]));
            }
            assertThat(out[offsets.length - 1]).isZero(); // beyond count: untouched
            long[] one = new long[1];
            a.gather(new long[] {100}, 1, one);
            assertThat(one[0]).isEqualTo(a.getLong(100));
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void records(String targetName) {
        Target target = target(targetName);
        RecordShape shape = new RecordShape(4, 100);
        try (RecordStore r = target.newRecords(shape, 100)) {
            byte[] rec = new byte[shape.recordBytes()];
            new Random(1).nextBytes(rec);
            byte[] dst = new byte[shape.recordBytes()];
            assertThat(r.read("user1", dst)).isFalse();
            r.insert("user1", rec);
            assertThat(r.read("user1", dst)).isTrue();
            assertThat(dst).isEqualTo(rec);

            byte[] field = new byte[shape.fieldLength()];
            Arrays.fill(field, (byte) 0x5a);
            assertThat(r.update("user1", shape.fieldOffset(2), field)).isTrue();
            System.arraycopy(field, 0, rec, shape.fieldOffset(2), field.length);
            assertThat(r.read("user1", dst)).isTrue();
            assertThat(dst).isEqualTo(rec);

            assertThat(r.update("nobody", 0, field)).isFalse();
            assertThat(r.read("nobody", dst)).isFalse();
            assertThat(((HazelcastRecordStore) r).map().containsKey("nobody")).isFalse();

            assertThat(r.delete("user1")).isTrue();
            assertThat(r.read("user1", dst)).isFalse();
            assertThat(r.delete("user1")).isFalse();
            assertThat(r.update("user1", 0, field)).isFalse();
            assertThat(r.read("user1", dst)).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void readsItsOwnWrites(String targetName) {
        Target target = target(targetName);
        RecordShape shape = new RecordShape(2, 16);
        try (ArrayStore a = target.newArray(4L * CHUNK); RecordStore r = target.newRecords(shape, 10);
                Arena arena = Arena.ofConfined()) {
            MemorySegment chunk = arena.allocate(CHUNK);
            MemorySegment got = arena.allocate(CHUNK);
            byte[] rec = new byte[shape.recordBytes()];
            byte[] dst = new byte[shape.recordBytes()];
            r.insert("k", rec);
            for (int i = 1; i <= 200; i++) {
                a.setLong(CHUNK + 16, i);
                assertThat(a.getLong(CHUNK + 16)).isEqualTo(i);
                assertThat(a.getLong(CHUNK + 16)).isEqualTo(i); // now a near-cache hit, if there is one

                chunk.fill((byte) i);
                a.write(2L * CHUNK, chunk, 0, CHUNK); // set
                a.read(2L * CHUNK, got, 0, CHUNK);
                assertThat(got.mismatch(chunk)).isEqualTo(-1);

                a.write(2L * CHUNK + 100, chunk, 0, 8); // executeOnKey, then gather through getAll
                long[] out = new long[2];
                a.gather(new long[] {CHUNK + 16, 2L * CHUNK + 100}, 2, out);
                assertThat(out).containsExactly(i, chunk.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));

                byte[] field = new byte[16];
                Arrays.fill(field, (byte) i);
                assertThat(r.update("k", 16, field)).isTrue();
                assertThat(r.read("k", dst)).isTrue();
                assertThat(Arrays.copyOfRange(dst, 16, 32)).isEqualTo(field);
                Arrays.fill(rec, (byte) -i);
                r.insert("k", rec);
                assertThat(r.read("k", dst)).isTrue();
                assertThat(dst).isEqualTo(rec);
                assertThat(r.read("k", dst)).isTrue(); // a hit, so the next update must drop it
                assertThat(dst).isEqualTo(rec);
            }
            if (target == near) {
                // Otherwise the loop would prove nothing: the writes above had cached entries to invalidate.
                assertThat(((HazelcastArrayStore) a).map().getLocalMapStats().getNearCacheStats().getHits())
                        .isGreaterThanOrEqualTo(200);
                assertThat(((HazelcastRecordStore) r).map().getLocalMapStats().getNearCacheStats().getHits())
                        .isGreaterThanOrEqualTo(200);
            }
        }
    }

    @Test
    void nearCacheIsThereAndBounded() {
        try (ArrayStore a = near.newArray(4 * NEAR_CACHE_CHUNKS * CHUNK);
                ArrayStore b = plain.newArray(CHUNK)) {
            for (int round = 0; round < 3; round++) {
                for (long c = 0; c < 4 * NEAR_CACHE_CHUNKS; c++) {
                    a.getLong(c * CHUNK);
                }
            }
            for (int i = 0; i < 10; i++) {
                a.getLong(0);
            }
            NearCacheStats stats = ((HazelcastArrayStore) a).map().getLocalMapStats().getNearCacheStats();
            assertThat(stats).isNotNull();
            assertThat(stats.getHits()).isGreaterThanOrEqualTo(9);
            assertThat(stats.getOwnedEntryCount()).isBetween(1L, NEAR_CACHE_CHUNKS);
            assertThat(((HazelcastArrayStore) b).map().getLocalMapStats().getNearCacheStats()).isNull();
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void concurrentWritersToOneChunkAllLand(String targetName) throws Exception {
        Target target = target(targetName);
        int threads = 8;
        int slice = CHUNK / threads;
        try (ArrayStore a = target.newArray(2L * CHUNK); Arena arena = Arena.ofShared()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    done.add(pool.submit(() -> {
                        MemorySegment bytes = arena.allocate(slice - 8);
                        for (int round = 1; round <= 30; round++) {
                            bytes.fill((byte) (id * 31 + round));
                            a.write((long) id * slice + 8, bytes, 0, slice - 8);
                            a.setLong((long) id * slice, id * 1000L + round);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            for (int t = 0; t < threads; t++) {
                assertThat(a.getLong((long) t * slice)).isEqualTo(t * 1000L + 30);
                MemorySegment got = arena.allocate(slice - 8);
                a.read((long) t * slice + 8, got, 0, slice - 8);
                MemorySegment want = arena.allocate(slice - 8).fill((byte) (t * 31 + 30));
                assertThat(got.mismatch(want)).as("slice %d", t).isEqualTo(-1);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void closeDestroysTheMap(String targetName) {
        Target target = target(targetName);
        try (HazelcastTarget other = (HazelcastTarget) peer.target(0)) {
            ArrayStore a = target.newArray(4L * CHUNK);
            a.setLong(CHUNK, 99);
            String name = ((HazelcastArrayStore) a).mapName();
            IMap<Long, byte[]> seen = other.client().getMap(name);
            assertThat(seen.size()).isEqualTo(1);
            a.close();
            assertThat(other.client().getMap(name).size()).isZero();

            RecordStore r = target.newRecords(new RecordShape(1, 8), 1);
            r.insert("a", new byte[8]);
            IMap<String, byte[]> records = ((HazelcastRecordStore) r).map();
            assertThat(other.client().getMap(records.getName()).size()).isEqualTo(1);
            r.close();
            assertThat(other.client().getMap(records.getName()).size()).isZero();
        }
    }
}
