package io.remem.bench.suite;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.remem.bench.suite.RedisArrayStore.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisPeerTest {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private static RedisPeer peer;
    private static Target plain;
    /** Smaller than most arrays below, so that they run with evictions as well as hits. */
    private static Target cached;
    private static RedisClient rawClient;
    /** A second, independent view of the server, to check what the stores left there. */
    private static RedisCommands<String, String> raw;

    @BeforeAll
    @Timeout(value = 240, unit = TimeUnit.SECONDS) // apt-get may have to install Redis first
    static void startRedis() throws IOException {
        int port = freePort();
        try {
            peer = RedisPeer.start(port);
        } catch (PeerUnavailableException e) {
            // A missing requirement fails the test with its reason; it never skips.
            throw new AssertionError("Redis is unavailable here: " + e.getMessage(), e);
        }
        plain = peer.target();
        cached = peer.cachingTarget(16 * CHUNK);
        rawClient = RedisClient.create(RedisURI.create("127.0.0.1", port));
        StatefulRedisConnection<String, String> c = rawClient.connect();
        raw = c.sync();
    }

    @AfterAll
    static void stopRedis() {
        if (rawClient != null) {
            rawClient.shutdown();
        }
        if (peer != null) {
            peer.close();
        }
    }

    /** By name rather than as the targets: JUnit closes AutoCloseable arguments after each test. */
    static Stream<String> targets() {
        return Stream.of("redis", "redis+csc");
    }

    private static Target target(String name) {
        return name.equals(plain.name()) ? plain : cached;
    }

    @Test
    void versionAndName() {
        assertThat(peer.version()).matches("Redis \\d+\\.\\d+\\.\\d+");
        assertThat(plain.name()).isEqualTo("redis");
        assertThat(cached.name()).isEqualTo("redis+csc");
    }

    @ParameterizedTest
    @MethodSource("targets")
    void randomAccessesAgreeWithALocalMirror(String targetName) {
        Target target = target(targetName);
        int size = 16 * CHUNK + 123;
        MemorySegment mirror = MemorySegment.ofArray(new byte[size]);
        Random rnd = new Random(20260101);
        try (ArrayStore a = target.newArray(size)) {
            assertThat(a.byteSize()).isEqualTo(size);
            for (int op = 0; op < 3000; op++) {
                int len = rnd.nextInt(4) == 0 ? rnd.nextInt(3 * CHUNK) : rnd.nextInt(64);
                long off = rnd.nextInt(size - len + 1);
                switch (rnd.nextInt(5)) {
                    case 0 -> {
                        byte[] data = new byte[len];
                        rnd.nextBytes(data);
                        a.write(off, MemorySegment.ofArray(data), 0, len);
                        MemorySegment.copy(data, 0, mirror, ValueLayout.JAVA_BYTE, off, len);
                    }
                    case 1 -> {
                        // read into the middle of a larger buffer: dstOffset must be honoured
                        MemorySegment dst = MemorySegment.ofArray(new byte[len + 16]);
                        a.read(off, dst, 8, len);
                        assertThat(dst.asSlice(8, len).toArray(ValueLayout.JAVA_BYTE))
                                .isEqualTo(mirror.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
                    }
                    case 2 -> {
                        long o = rnd.nextInt(size - 7);
                        long v = rnd.nextLong();
                        a.setLong(o, v);
                        mirror.set(LONG, o, v);
                    }
                    case 3 -> {
                        long o = rnd.nextInt(size - 7);
                        assertThat(a.getLong(o)).as("getLong(%d)", o).isEqualTo(mirror.get(LONG, o));
                    }
                    default -> {
                        long[] offsets = new long[1 + rnd.nextInt(40)];
                        for (int i = 0; i < offsets.length; i++) {
                            offsets[i] = rnd.nextInt(size - 7);
                        }
                        long[] out = new long[offsets.length];
                        a.gather(offsets, offsets.length, out);
                        for (int i = 0; i < offsets.length; i++) {
                            assertThat(out[i]).isEqualTo(mirror.get(LONG, offsets[i]));
                        }
                    }
                }
            }
            MemorySegment all = MemorySegment.ofArray(new byte[size]);
            a.read(0, all, 0, size);
            assertThat(all.mismatch(mirror)).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void aNewArrayReadsAsZeros(String targetName) {
        Target target = target(targetName);
        int size = 3 * CHUNK + 5;
        try (ArrayStore a = target.newArray(size)) {
            MemorySegment dst = MemorySegment.ofArray(new byte[size]);
            dst.fill((byte) 0x5a);
            a.read(0, dst, 0, size);
            assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).containsOnly(0);
            assertThat(a.getLong(0)).isZero();
            assertThat(a.getLong(CHUNK - 4)).isZero();
            assertThat(a.getLong(size - 8)).isZero();

            // A chunk written only partly is short in Redis; the rest of it still reads as zeros.
            a.write(CHUNK + 10, MemorySegment.ofArray(new byte[] {1, 2, 3}), 0, 3);
            dst.fill((byte) 0x5a);
            a.read(CHUNK, dst, 0, CHUNK);
            byte[] expect = new byte[CHUNK];
            expect[10] = 1;
            expect[11] = 2;
            expect[12] = 3;
            assertThat(dst.asSlice(0, CHUNK).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(expect);
            assertThat(a.getLong(CHUNK + 12)).isEqualTo(3);
            assertThat(a.getLong(CHUNK + 20)).isZero();
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void gatherEqualsGetLongOneByOne(String targetName) {
        Target target = target(targetName);
        int size = 64 * CHUNK;
        Random rnd = new Random(7);
        byte[] data = new byte[size];
        rnd.nextBytes(data);
        try (ArrayStore a = target.newArray(size)) {
            a.write(0, MemorySegment.ofArray(data), 0, size);
            // more than one window of commands, aligned, unaligned and straddling two chunks
            long[] offsets = new long[2500];
            for (int i = 0; i < offsets.length; i++) {
                offsets[i] = switch (i % 3) {
                    case 0 -> 8L * rnd.nextInt(size / 8);
                    case 1 -> rnd.nextInt(size - 7);
                    default -> (long) (1 + rnd.nextInt(63)) * CHUNK - 1 - rnd.nextInt(7);
                };
            }
            long[] out = new long[offsets.length + 3];
            out[offsets.length] = 42;
            a.gather(offsets, offsets.length, out);
            for (int i = 0; i < offsets.length; i++) {
                assertThat(out[i]).as("offset %d", offsets[i]).isEqualTo(a.getLong(offsets[i]));
                assertThat(out[i]).isEqualTo(MemorySegment.ofArray(data).get(LONG, offsets[i]));
            }
            assertThat(out[offsets.length]).as("only count entries are written").isEqualTo(42);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void setLongAndGetLongAgreeWithBytes(String targetName) {
        Target target = target(targetName);
        try (ArrayStore a = target.newArray(4 * CHUNK)) {
            for (long off : new long[] {0, 8, 13, CHUNK - 8, CHUNK - 3, 2L * CHUNK - 1, 4L * CHUNK - 8}) {
                long v = 0x0102030405060708L ^ off * 0x9E3779B97F4A7C15L;
                MemorySegment bytes = MemorySegment.ofArray(new byte[8]);
                bytes.set(LONG, 0, v);
                a.write(off, bytes, 0, 8);
                assertThat(a.getLong(off)).as("write, then getLong at %d", off).isEqualTo(v);

                a.setLong(off, ~v);
                MemorySegment back = MemorySegment.ofArray(new byte[8]);
                a.read(off, back, 0, 8);
                assertThat(back.get(LONG, 0)).as("setLong, then read at %d", off).isEqualTo(~v);
            }
            assertThatThrownBy(() -> a.getLong(4L * CHUNK - 7)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> a.setLong(-1, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void records(String targetName) {
        Target target = target(targetName);
        RecordShape shape = new RecordShape(4, 10);
        try (RecordStore r = target.newRecords(shape, 100)) {
            assertThat(r.shape()).isEqualTo(shape);
            byte[] rec = new byte[40];
            for (int i = 0; i < rec.length; i++) {
                rec[i] = (byte) i;
            }
            byte[] dst = new byte[40];
            assertThat(r.read("user1", dst)).isFalse();
            r.insert("user1", rec);
            assertThat(r.read("user1", dst)).isTrue();
            assertThat(dst).isEqualTo(rec);

            byte[] field = "abcdefghij".getBytes(StandardCharsets.US_ASCII);
            assertThat(r.update("user1", shape.fieldOffset(2), field)).isTrue();
            System.arraycopy(field, 0, rec, 20, 10);
            assertThat(r.read("user1", dst)).isTrue();
            assertThat(dst).isEqualTo(rec);

            assertThat(r.update("user2", 0, field)).isFalse();
            assertThat(raw.keys("r*:user2")).as("an update of a missing record creates none").isEmpty();
            assertThat(r.read("user2", dst)).isFalse();

            assertThat(r.delete("user1")).isTrue();
            assertThat(r.delete("user1")).isFalse();
            assertThat(r.read("user1", dst)).isFalse();

            assertThatThrownBy(() -> r.insert("user3", new byte[39])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> r.update("user1", 35, field)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void recordUpdateSurvivesAFlushedScriptCache(String targetName) {
        Target target = target(targetName);
        try (RecordStore r = target.newRecords(new RecordShape(1, 4), 1)) {
            r.insert("k", new byte[] {1, 2, 3, 4});
            raw.scriptFlush();
            assertThat(r.update("k", 1, new byte[] {9})).isTrue();
            byte[] dst = new byte[4];
            assertThat(r.read("k", dst)).isTrue();
            assertThat(dst).containsExactly(1, 9, 3, 4);
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void closeRemovesEveryKey(String targetName) {
        Target target = target(targetName);
        long before = raw.dbsize();
        ArrayStore a = target.newArray(2500L * CHUNK);
        for (long c = 0; c < 2500; c += 3) {
            a.setLong(c * CHUNK + 16, c + 1);
        }
        RecordStore r = target.newRecords(new RecordShape(2, 8), 3000);
        for (int i = 0; i < 2500; i++) {
            r.insert("user" + i, new byte[16]);
        }
        assertThat(raw.dbsize()).isEqualTo(before + 834 + 2500);
        a.close();
        assertThat(raw.dbsize()).isEqualTo(before + 2500);
        r.close();
        assertThat(raw.dbsize()).isEqualTo(before);
        a.close(); // twice is harmless
    }

    @ParameterizedTest
    @MethodSource("targets")
    void concurrentWritersToDisjointRangesAllLand(String targetName) throws Exception {
        Target target = target(targetName);
        int threads = 8;
        int slice = 3 * CHUNK + 1000; // not a multiple of a chunk, so neighbours share chunks
        byte[] expect = new byte[threads * slice];
        new Random(99).nextBytes(expect);
        try (ArrayStore a = target.newArray(expect.length);
                ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * slice;
                done.add(pool.submit(() -> {
                    go.await();
                    MemorySegment src = MemorySegment.ofArray(expect);
                    int at = 0;
                    Random rnd = new Random(base);
                    while (at < slice) {
                        int len = Math.min(slice - at, rnd.nextInt(300) + 1);
                        if (len >= 8 && rnd.nextBoolean()) {
                            a.setLong(base + at, src.get(LONG, base + at));
                            len = 8;
                        } else {
                            a.write(base + at, src, base + at, len);
                        }
                        at += len;
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            MemorySegment all = MemorySegment.ofArray(new byte[expect.length]);
            a.read(0, all, 0, expect.length);
            assertThat(all.mismatch(MemorySegment.ofArray(expect))).isEqualTo(-1);
        }
    }

    @Test
    void nothingListeningIsUnavailable() throws IOException {
        int port = freePort();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> RedisPeer.connect(port, Duration.ofSeconds(2), null, "none"))
                .isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("127.0.0.1:" + port);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aServerThatNeverAnswersIsUnavailableNotAHang() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) {
                        Socket s = silent.accept();
                        InputStream in = s.getInputStream();
                        Thread.ofPlatform().daemon().start(() -> drain(in));
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> RedisPeer.connect(silent.getLocalPort(), Duration.ofSeconds(1), null, "none"))
                    .isInstanceOf(PeerUnavailableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void aBadPortIsUnavailableWithTheScriptsReason() {
        assertThatThrownBy(() -> RedisPeer.start(70000))
                .isInstanceOf(PeerUnavailableException.class)
                .hasMessageContaining("65535");
    }

    @Test
    void aCommandOnAClosedConnectionFailsRatherThanHangs() throws Exception {
        int port = Integer.parseInt(raw.configGet("port").get("port"));
        RedisPeer second = RedisPeer.connect(port, Duration.ofSeconds(2), null, "test");
        Target t = second.target();
        ArrayStore a = t.newArray(CHUNK);
        a.setLong(0, 5);
        assertThat(a.getLong(0)).isEqualTo(5);
        second.close();
        assertThatThrownBy(() -> a.getLong(0)).isInstanceOf(RedisException.class);
        // Its close cannot reach the server any more either; remove its key through the test's own connection.
        assertThatThrownBy(a::close).isInstanceOf(RedisException.class);
        raw.flushdb();
    }

    private static void drain(InputStream in) {
        try {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // closed
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
