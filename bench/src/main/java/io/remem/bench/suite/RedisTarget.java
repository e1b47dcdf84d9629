package io.remem.bench.suite;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** "redis", {@link RedisPeer}'s plain target: one shared connection, which Lettuce makes safe for every thread. */
final class RedisTarget implements Target {
    final StatefulRedisConnection<byte[], byte[]> connection;
    final RedisAsyncCommands<byte[], byte[]> redis;
    final long timeoutNanos;
    /** The peer's, shared by all its targets. */
    private final AtomicLong storeIds;
    private final AtomicBoolean closed = new AtomicBoolean();

    RedisTarget(StatefulRedisConnection<byte[], byte[]> connection, Duration timeout, AtomicLong storeIds) {
        this.connection = connection;
        this.redis = connection.async();
        this.timeoutNanos = timeout.toNanos();
        this.storeIds = storeIds;
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public ArrayStore newArray(long bytes) {
        return new RedisArrayStore(connection, timeoutNanos, storeIds.getAndIncrement(), bytes);
    }

    @Override
    public RecordStore newRecords(RecordShape shape, long capacity) {
        return new RedisRecordStore(redis, timeoutNanos, storeIds.getAndIncrement(), shape);
    }

    @Override
    public void close() {
        // the peer owns the connection
    }

    void closeConnection() {
        if (closed.compareAndSet(false, true)) {
            connection.close();
        }
    }
}
