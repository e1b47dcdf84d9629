package io.remem.bench.suite;

import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.remem.client.CacheStats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.remem.bench.suite.RedisArrayStore.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * redis+csc against a real server: read-your-writes while other threads race GETs against the writes, the
 * server's invalidations of another client's writes, the cache's bound, and the suite's checked workloads.
 * {@link RedisPeerTest} runs the plain target's tests of the stores' semantics on this one too.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CachingRedisTargetTest {
    private static final Duration PUSH_WAIT = Duration.ofSeconds(10);

    private static RedisPeer peer;
    private static RedisClient rawClient;
    /** Another client of the server, as another application would be: its writes reach the cache only by push. */
    private static RedisCommands<byte[], byte[]> other;

    @BeforeAll
    @Timeout(value = 240, unit = TimeUnit.SECONDS) // apt-get may have to install Redis first
    static void startRedis() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try {
            peer = RedisPeer.start(port);
        } catch (PeerUnavailableException e) {
            // A missing requirement fails the test with its reason; it never skips.
            throw new AssertionError("Redis is unavailable here: " + e.getMessage(), e);
        }
        rawClient = RedisClient.create(RedisURI.create("127.0.0.1", port));
        other = rawClient.connect(ByteArrayCodec.INSTANCE).sync();
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

    @Test
    void nameAndCacheSize() {
        try (Target t = peer.cachingTarget(40 * CHUNK)) {
            assertThat(t.name()).isEqualTo("redis+csc");
            assertThat(((CachingRedisTarget) t).cache().capacityBytes()).isEqualTo(40 * CHUNK);
        }
    }

    /**
     * Items of 64 B, 64 to a chunk, owned round-robin by the threads, so every chunk is written by all of them:
     * each thread's reads of others' items keep GETs of a chunk in flight while its owners write it. An owner must
     * read back exactly what it last wrote, and every item read must be one write's bytes, never a mix.
     */
    @Test
    void everyThreadReadsItsOwnWritesWhileOthersRaceGetsAgainstThem() throws Exception {
        int threads = 6;
        int itemBytes = 64;
        long size = 3L * CHUNK;
        int items = (int) (size / itemBytes);
        try (Target t = peer.cachingTarget(size); ArrayStore a = t.newArray(size);
                ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            ClientSideCache cache = ((CachingRedisTarget) t).cache();
            int[][] last = new int[threads][items];
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int th = 0; th < threads; th++) {
                int id = th;
                done.add(pool.submit(() -> {
                    go.await();
                    SplittableRandom rnd = new SplittableRandom(id);
                    MemorySegment buf = MemorySegment.ofArray(new long[itemBytes / 8]);
                    int gen = 0;
                    for (int op = 0; op < 3000; op++) {
                        int item = rnd.nextInt(items);
                        if (item % threads == id && rnd.nextBoolean()) {
                            fillItem(buf, item, ++gen);
                            a.write((long) item * itemBytes, buf, 0, itemBytes);
                            last[id][item] = gen;
                        }
                        a.read((long) item * itemBytes, buf, 0, itemBytes);
                        int seen = checkItem(buf, item);
                        if (item % threads == id && seen != last[id][item]) {
                            fail("thread %d read generation %d of its item %d after writing %d", id, seen, item,
                                    last[id][item]);
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(100, TimeUnit.SECONDS);
            }
            MemorySegment buf = MemorySegment.ofArray(new long[itemBytes / 8]);
            for (int item = 0; item < items; item++) {
                a.read((long) item * itemBytes, buf, 0, itemBytes);
                assertThat(checkItem(buf, item)).as("item %d at the end", item).isEqualTo(last[item % threads][item]);
            }
            CacheStats s = cache.stats();
            assertThat(s.hits()).as("the cache served reads, so the race was on").isPositive();
            assertThat(s.misses()).isPositive();
        }
    }

    /** Word k of an item: the item, k and the generation, so a word from another write or place shows. */
    private static void fillItem(MemorySegment buf, int item, int gen) {
        for (int k = 0; k < buf.byteSize() / 8; k++) {
            buf.setAtIndex(ValueLayout.JAVA_LONG, k, (long) item << 40 | (long) k << 32 | gen);
        }
    }

    /** The item's generation (0 if never written); fails if its words are not all one write's. */
    private static int checkItem(MemorySegment buf, int item) {
        long first = buf.getAtIndex(ValueLayout.JAVA_LONG, 0);
        int gen = first == 0 ? 0 : (int) first;
        for (int k = 0; k < buf.byteSize() / 8; k++) {
            long expect = gen == 0 ? 0 : (long) item << 40 | (long) k << 32 | gen;
            long got = buf.getAtIndex(ValueLayout.JAVA_LONG, k);
            if (got != expect) {
                fail("item %d word %d: %016x, a mix of writes or from another place (word 0 says generation %d)",
                        item, k, got, gen);
            }
        }
        return gen;
    }

    @Test
    void anotherClientsWriteIsPushedAndEvictsTheCopy() {
        try (Target t = peer.cachingTarget(64 * CHUNK); ArrayStore a = t.newArray(4 * CHUNK)) {
            ClientSideCache cache = ((CachingRedisTarget) t).cache();
            a.setLong(CHUNK + 8, 1);
            assertThat(a.getLong(CHUNK + 8)).isEqualTo(1);
            long hits = cache.stats().hits();
            assertThat(a.getLong(CHUNK + 8)).as("now cached").isEqualTo(1);
            assertThat(cache.stats().hits()).isEqualTo(hits + 1);

            other.setrange(((CachingRedisArrayStore) a).redisKey(1), 8, longBytes(2));
            awaitTrue(() -> a.getLong(CHUNK + 8) == 2, "the cached chunk to show another client's write");
            hits = cache.stats().hits();
            assertThat(a.getLong(CHUNK + 8)).isEqualTo(2);
            assertThat(cache.stats().hits()).as("the new bytes are cached in turn").isEqualTo(hits + 1);

            // A second invalidation of the same key: the server tracks it again once it was read again.
            other.setrange(((CachingRedisArrayStore) a).redisKey(1), 8, longBytes(3));
            awaitTrue(() -> a.getLong(CHUNK + 8) == 3, "a second write by another client to show");
        }
    }

    @Test
    void anotherClientsDeleteOfARecordIsPushed() {
        RecordShape shape = new RecordShape(2, 8);
        try (Target t = peer.cachingTarget(64 * CHUNK); RecordStore r = t.newRecords(shape, 10)) {
            byte[] rec = new byte[16];
            rec[3] = 9;
            r.insert("k", rec);
            byte[] dst = new byte[16];
            assertThat(r.read("k", dst)).isTrue();
            assertThat(r.read("k", dst)).isTrue(); // a hit
            assertThat(dst).isEqualTo(rec);
            other.del(((CachingRedisRecordStore) r).redisKey("k"));
            awaitTrue(() -> !r.read("k", dst), "another client's delete to show");
            assertThat(r.update("k", 0, new byte[] {1})).isFalse();
        }
    }

    @Test
    void aFlushOfTheDatabaseIsPushedAndEmptiesTheCache() {
        try (Target t = peer.cachingTarget(64 * CHUNK); ArrayStore a = t.newArray(4 * CHUNK)) {
            ClientSideCache cache = ((CachingRedisTarget) t).cache();
            for (int c = 0; c < 4; c++) {
                a.setLong(c * (long) CHUNK, c + 1);
                assertThat(a.getLong(c * (long) CHUNK)).isEqualTo(c + 1);
            }
            assertThat(cache.entries()).isEqualTo(4);
            other.flushdb(); // the server's push names no key: every copy must go
            awaitTrue(() -> cache.entries() == 0, "the flush to empty the cache");
            for (int c = 0; c < 4; c++) {
                assertThat(a.getLong(c * (long) CHUNK)).isZero();
            }
        }
    }

    @Test
    void theCacheStaysWithinItsBoundAndCountsHits() {
        long chunks = 16;
        try (Target t = peer.cachingTarget(chunks * CHUNK); ArrayStore a = t.newArray(4 * chunks * CHUNK)) {
            ClientSideCache cache = ((CachingRedisTarget) t).cache();
            for (int round = 0; round < 3; round++) {
                for (long c = 0; c < 4 * chunks; c++) {
                    a.getLong(c * CHUNK); // never written: empty chunks, charged as whole ones all the same
                    assertThat(cache.usedBytes()).isLessThanOrEqualTo(chunks * CHUNK);
                }
            }
            assertThat(cache.entries()).isEqualTo(chunks);
            long hits = cache.stats().hits();
            for (int i = 0; i < 10; i++) {
                a.getLong(0);
            }
            assertThat(cache.stats().hits() - hits).isGreaterThanOrEqualTo(9);
            assertThat(cache.stats().evictions()).isPositive();

            RecordShape shape = new RecordShape(4, 256); // 1 KiB records: four to a chunk's room
            RecordStore r = t.newRecords(shape, 200);
            byte[] rec = new byte[shape.recordBytes()];
            byte[] dst = new byte[shape.recordBytes()];
            for (int i = 0; i < 200; i++) {
                r.insert("user" + i, rec);
                assertThat(r.read("user" + i, dst)).isTrue();
            }
            assertThat(cache.usedBytes()).isLessThanOrEqualTo(chunks * CHUNK);
            assertThat(cache.entries()).isEqualTo(4 * (int) chunks);
            r.close();
        }
    }

    @Test
    void aLostConnectionDisablesTheCacheRatherThanServeStaleCopies() {
        Target t = peer.cachingTarget(64 * CHUNK);
        try (ArrayStore a = t.newArray(CHUNK)) {
            a.setLong(0, 5);
            assertThat(a.getLong(0)).isEqualTo(5);
            assertThat(a.getLong(0)).isEqualTo(5); // a hit
            other.clientKill(KillArgs.Builder.id(trackingClientId()));
            // Without the connection no invalidation can come, so the cached chunk must not be answered either.
            awaitTrue(() -> {
                try {
                    a.getLong(0);
                    return false;
                } catch (RedisException e) {
                    return true;
                }
            }, "reads to fail once the connection is gone");
            assertThat(((CachingRedisTarget) t).cache().entries()).isZero();
            assertThatThrownBy(a::close).isInstanceOf(RedisException.class);
        } finally {
            t.close();
        }
        other.flushdb(); // the store's key, which its close could not remove
    }

    /** The one connection with tracking on: redis+csc's (CLIENT LIST marks it with flag t). */
    private static long trackingClientId() {
        Matcher m = Pattern.compile("(?m)^id=(\\d+) .*flags=\\w*t\\w* ").matcher(new String(other.clientList()));
        assertThat(m.find()).as("a tracking connection in CLIENT LIST").isTrue();
        long id = Long.parseLong(m.group(1));
        assertThat(m.find()).as("only one").isFalse();
        return id;
    }

    static List<Workload> workloads() {
        return List.of(
                new RandomWorkload(1L << 20, 64, true, 0.5, 11),
                new ScanWorkload(2L << 20, true),
                new YcsbWorkload('A', 2000, new RecordShape(10, 100)),
                new PageRankWorkload(10, 8, 2, 5));
    }

    /** The suite's own checks, with its peer sizing: a quarter of the data cached. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void workloadsRunAndCheckThemselves(Workload w) throws Exception {
        RunSettings settings = new RunSettings(3, Duration.ofMillis(100), Duration.ofMillis(300));
        try (Target t = peer.cachingTarget(w.dataBytes() / 4)) {
            RunResult r = w.run(t, settings);
            assertThat(r.ops()).isPositive();
            assertThat(t.measuredStats()).isNotNull();
            assertThat(t.measuredStats().accesses()).isPositive();
        }
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, v).array();
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + PUSH_WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("waited " + PUSH_WAIT.toSeconds() + " s for " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }
}
