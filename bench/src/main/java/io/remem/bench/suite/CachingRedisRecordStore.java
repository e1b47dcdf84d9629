package io.remem.bench.suite;

import io.lettuce.core.api.async.RedisAsyncCommands;

import java.nio.ByteBuffer;

import static io.remem.bench.suite.RedisPeer.await;

/**
 * Records for redis+csc: {@link RedisRecordStore}'s keys and writes (SET, the update-if-present script, DEL), with
 * whole records read by GET and kept in the target's {@link ClientSideCache}. A record known to be absent is cached
 * too, as YCSB's reads of not-yet-inserted keys would otherwise always go to Redis. Every write evicts the record
 * once Redis has replied, so a copy is always one GET's reply: never half of an update.
 */
final class CachingRedisRecordStore implements RecordStore {
    /** The cached reply for a missing key: a record is never empty, so this cannot be one. */
    private static final byte[] ABSENT = {};

    private final RedisRecordStore store;
    private final RedisAsyncCommands<byte[], byte[]> redis;
    private final ClientSideCache cache;
    private final long timeoutNanos;
    private final int recordBytes;

    CachingRedisRecordStore(RedisAsyncCommands<byte[], byte[]> redis, long timeoutNanos, long storeId,
            RecordShape shape, ClientSideCache cache) {
        this.store = new RedisRecordStore(redis, timeoutNanos, storeId, shape);
        this.redis = redis;
        this.cache = cache;
        this.timeoutNanos = timeoutNanos;
        this.recordBytes = shape.recordBytes();
    }

    @Override
    public RecordShape shape() {
        return store.shape();
    }

    @Override
    public void insert(String key, byte[] record) {
        if (record.length != recordBytes) {
            throw new IllegalArgumentException("record of " + record.length + " bytes, the shape has " + recordBytes);
        }
        ByteBuffer k = key(key);
        cache.beforeWrite(k);
        try {
            store.insert(key, record);
        } finally {
            cache.afterWrite(k);
        }
    }

    @Override
    public boolean read(String key, byte[] dst) {
        if (dst.length < recordBytes) {
            throw new IllegalArgumentException("room for " + dst.length + " bytes, a record has " + recordBytes);
        }
        ByteBuffer k = key(key);
        byte[] v = cache.get(k);
        if (v == null) {
            long stamp = cache.stamp(k);
            long t0 = System.nanoTime();
            byte[] reply = await(redis.get(k.array()), timeoutNanos, "GET");
            v = reply == null ? ABSENT : reply;
            cache.fetched(1, System.nanoTime() - t0, v.length);
            cache.put(k, stamp, v, recordBytes);
        }
        if (v == ABSENT) {
            return false;
        }
        System.arraycopy(v, 0, dst, 0, Math.min(v.length, recordBytes));
        return true;
    }

    @Override
    public boolean update(String key, int offset, byte[] bytes) {
        ByteBuffer k = key(key);
        cache.beforeWrite(k);
        try {
            return store.update(key, offset, bytes);
        } finally {
            cache.afterWrite(k);
        }
    }

    @Override
    public boolean delete(String key) {
        ByteBuffer k = key(key);
        cache.beforeWrite(k);
        try {
            return store.delete(key);
        } finally {
            cache.afterWrite(k);
        }
    }

    @Override
    public void close() {
        // Its records' copies stay in the cache until the LRU order pushes them out; no store reuses its keys.
        store.close();
    }

    private ByteBuffer key(String key) {
        return ByteBuffer.wrap(store.key(key));
    }

    /** For tests that change a record from another connection: its key in Redis. */
    byte[] redisKey(String key) {
        return store.key(key);
    }
}
