package io.remem.bench.suite;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.remem.client.CacheStats;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * "redis+csc": Redis with a client-side cache, as an application gets it from Redis 6's server-assisted caching. A
 * connection of its own speaks RESP3 with {@code CLIENT TRACKING ON}: the server remembers the keys this connection
 * has read and pushes an "invalidate" message when another client changes one (a null one when a database is
 * flushed), and the push listener drops them from the {@link ClientSideCache}, which holds whole array chunks and
 * whole records, LRU, within the bytes it is given. The connection's own writes do not wait for pushes (NOLOOP
 * turns those off, as the server may send them after the write's reply anyway): each write evicts its keys itself
 * once Redis has replied, and the cache's versions keep a GET that overlapped the write from caching old bytes.
 * So a thread always reads what it wrote, and a copy is always one reply's bytes.
 *
 * <p>The connection does not reconnect: tracking would be off on a new one and the cache would go stale without
 * a sign. A lost connection empties and disables the cache instead, and the run fails on Redis's rejections.
 */
final class CachingRedisTarget implements Target {
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final long timeoutNanos;
    private final AtomicLong storeIds;
    private final ClientSideCache cache;
    private final Consumer<CachingRedisTarget> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile CacheStats measureStart;
    private volatile CacheStats measured;

    private CachingRedisTarget(RedisClient client, StatefulRedisConnection<byte[], byte[]> connection,
            long timeoutNanos, AtomicLong storeIds, ClientSideCache cache, Consumer<CachingRedisTarget> onClose) {
        this.client = client;
        this.connection = connection;
        this.timeoutNanos = timeoutNanos;
        this.storeIds = storeIds;
        this.cache = cache;
        this.onClose = onClose;
    }

    /**
     * Connects to {@code uri} over {@code resources} (the peer's event loops) and turns tracking on.
     *
     * @param storeIds   the peer's, so that no store of any of its targets shares keys with another
     * @param cacheBytes the cache's bound; 0 caches nothing, though tracking still runs
     * @param onClose    told once, when the target closes
     */
    static CachingRedisTarget open(ClientResources resources, RedisURI uri, AtomicLong storeIds, long cacheBytes,
            Consumer<CachingRedisTarget> onClose) {
        ClientSideCache cache = new ClientSideCache(cacheBytes);
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(RedisPeer.clientOptions(uri.getTimeout())
                .protocolVersion(ProtocolVersion.RESP3).autoReconnect(false).build());
        // Registered before the connection exists, so that no disconnect can slip by unseen.
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                cache.disable();
            }
        });
        long timeoutNanos = uri.getTimeout().toNanos();
        try {
            StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
            // Before tracking starts: an invalidation can arrive as soon as the server has turned it on.
            connection.addListener(message -> onPush(message, cache));
            RedisPeer.await(connection.async().clientTracking(TrackingArgs.Builder.enabled().noloop()), timeoutNanos,
                    "CLIENT TRACKING");
            return new CachingRedisTarget(client, connection, timeoutNanos, storeIds, cache, onClose);
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw new RedisException("redis+csc: no RESP3 connection with client tracking to " + uri.getHost() + ":"
                    + uri.getPort() + " (Redis 6 or newer needed): " + e.getMessage(), e);
        }
    }

    /** Runs on the connection's event loop, between replies, in the order the server sent them. */
    private static void onPush(PushMessage message, ClientSideCache cache) {
        if (!message.getType().equals("invalidate")) {
            return;
        }
        List<Object> content = message.getContent(CachingRedisTarget::copyOf);
        Object keys = content.size() > 1 ? content.get(1) : null;
        if (keys instanceof List<?> list) {
            for (Object key : list) {
                if (key instanceof ByteBuffer k) {
                    cache.invalidate(k);
                } else {
                    cache.invalidateAll(); // not a key, so which one is stale is unknown
                    return;
                }
            }
        } else {
            cache.invalidateAll(); // null: FLUSHDB or FLUSHALL
        }
    }

    /** The pushed bytes outlive the network buffer they came in, and compare by content as cache keys do. */
    private static ByteBuffer copyOf(ByteBuffer pushed) {
        ByteBuffer b = pushed.duplicate();
        byte[] copy = new byte[b.remaining()];
        b.get(copy);
        return ByteBuffer.wrap(copy);
    }

    @Override
    public String name() {
        return "redis+csc";
    }

    @Override
    public ArrayStore newArray(long bytes) {
        return new CachingRedisArrayStore(connection, timeoutNanos, storeIds.getAndIncrement(), bytes, cache);
    }

    @Override
    public RecordStore newRecords(RecordShape shape, long capacity) {
        return new CachingRedisRecordStore(connection.async(), timeoutNanos, storeIds.getAndIncrement(), shape,
                cache);
    }

    /** For tests: the cache this target's stores share. */
    ClientSideCache cache() {
        return cache;
    }

    @Override
    public void measuring(boolean on) {
        if (on) {
            measureStart = cache.stats();
        } else if (measureStart != null) {
            measured = cache.stats().minus(measureStart);
        }
    }

    @Override
    public CacheStats measuredStats() {
        return measured;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            onClose.accept(this);
            cache.disable(); // a store used after its target closed must not answer from the cache
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
