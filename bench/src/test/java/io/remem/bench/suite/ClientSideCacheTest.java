package io.remem.bench.suite;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** redis+csc's cache on its own: the versions that keep a stale reply out, and the LRU bound. */
class ClientSideCacheTest {
    private static ByteBuffer key(String k) {
        return ByteBuffer.wrap(k.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aReplyIsCachedOnlyIfNoWriteOrInvalidationOverlappedItsGet() {
        ClientSideCache cache = new ClientSideCache(1 << 20);
        byte[] old = {1};

        long stamp = cache.stamp(key("a"));
        cache.put(key("a"), stamp, old, 10);
        assertThat(cache.get(key("a"))).as("nothing overlapped").isSameAs(old);

        // The race: a GET is in flight while a write is sent; its reply may be the old bytes.
        stamp = cache.stamp(key("b"));
        cache.beforeWrite(key("b"));
        cache.put(key("b"), stamp, old, 10);
        assertThat(cache.get(key("b"))).as("a write began during the GET").isNull();

        // The write had begun when the GET was stamped, and replied before the GET's reply was cached.
        cache.beforeWrite(key("c"));
        stamp = cache.stamp(key("c"));
        cache.afterWrite(key("c"));
        cache.put(key("c"), stamp, old, 10);
        assertThat(cache.get(key("c"))).as("the write ended during the GET").isNull();

        stamp = cache.stamp(key("d"));
        cache.invalidate(key("d"));
        cache.put(key("d"), stamp, old, 10);
        assertThat(cache.get(key("d"))).as("the server invalidated the key during the GET").isNull();

        stamp = cache.stamp(key("e"));
        cache.invalidateAll();
        cache.put(key("e"), stamp, old, 10);
        assertThat(cache.get(key("e"))).as("the server flushed everything during the GET").isNull();

        cache.afterWrite(key("a"));
        assertThat(cache.get(key("a"))).as("a write evicts the copy").isNull();
    }

    @Test
    void invalidationsEvictAndADisabledCacheHoldsNothing() {
        ClientSideCache cache = new ClientSideCache(1 << 20);
        for (String k : new String[] {"a", "b", "c"}) {
            cache.put(key(k), cache.stamp(key(k)), new byte[] {7}, 10);
        }
        cache.invalidate(key("b"));
        assertThat(cache.get(key("a"))).isNotNull();
        assertThat(cache.get(key("b"))).isNull();
        cache.invalidateAll();
        assertThat(cache.entries()).isZero();
        assertThat(cache.usedBytes()).isZero();

        cache.disable();
        cache.put(key("a"), cache.stamp(key("a")), new byte[] {7}, 10);
        assertThat(cache.get(key("a"))).isNull();
        assertThat(cache.entries()).isZero();
    }

    @Test
    void boundedByBytesInLeastRecentlyUsedOrderAndCounted() {
        ClientSideCache cache = new ClientSideCache(4 * 100);
        for (int i = 0; i < 4; i++) {
            cache.put(key("k" + i), cache.stamp(key("k" + i)), new byte[0], 100); // empty, still charged
        }
        assertThat(cache.get(key("k0"))).isNotNull(); // now the most recently used
        cache.put(key("k4"), cache.stamp(key("k4")), new byte[0], 100);
        assertThat(cache.entries()).isEqualTo(4);
        assertThat(cache.usedBytes()).isEqualTo(400);
        assertThat(cache.get(key("k1"))).as("the least recently used went").isNull();
        assertThat(cache.get(key("k0"))).isNotNull();

        cache.put(key("big"), cache.stamp(key("big")), new byte[0], 401);
        assertThat(cache.get(key("big"))).as("larger than the whole cache").isNull();

        for (int i = 0; i < 1000; i++) {
            cache.put(key("n" + i), cache.stamp(key("n" + i)), new byte[0], 100);
        }
        assertThat(cache.usedBytes()).isLessThanOrEqualTo(400);
        assertThat(cache.stats().hits()).isEqualTo(2);
        assertThat(cache.stats().misses()).isEqualTo(2);
        assertThat(cache.stats().evictions()).isEqualTo(1 + 1000);
    }

    @Test
    void segmentsTogetherStayWithinTheBound() {
        long bytes = 64L << 20; // enough for several segments
        ClientSideCache cache = new ClientSideCache(bytes);
        for (int i = 0; i < 40_000; i++) {
            ByteBuffer k = key("a1:" + i);
            cache.put(k, cache.stamp(k), new byte[0], RedisArrayStore.CHUNK);
        }
        assertThat(cache.usedBytes()).isLessThanOrEqualTo(bytes).isGreaterThan(bytes * 3 / 4);
        assertThat((long) cache.entries() * RedisArrayStore.CHUNK).isEqualTo(cache.usedBytes());
    }
}
