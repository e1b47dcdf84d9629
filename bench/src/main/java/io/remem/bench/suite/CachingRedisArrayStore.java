package io.remem.bench.suite;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.ValueOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.remem.bench.suite.RedisArrayStore.CHUNK;
import static io.remem.bench.suite.RedisArrayStore.CHUNK_SHIFT;
import static io.remem.bench.suite.RedisArrayStore.WINDOW;
import static io.remem.bench.suite.RedisPeer.await;

/**
 * An array for redis+csc: {@link RedisArrayStore}'s chunks, under the same keys and written through by it with
 * SETRANGE, but read as whole chunks with GET and kept in the target's {@link ClientSideCache}, so that any later
 * access to a cached chunk stays local. A chunk that is missing, or shorter than a chunk, reads as zeros past its
 * end, as in Redis. A write evicts the chunks it touched once Redis has replied, rather than patching the copies:
 * a copy is always one GET's reply, so an access within a chunk never sees half of a concurrent write. An access
 * across chunks may see a concurrent write to one of them and not the other, as it may in local memory.
 */
final class CachingRedisArrayStore implements ArrayStore {
    private static final long CHUNK_MASK = CHUNK - 1;
    /** Native order, unaligned: the same bytes for a long as {@link ValueLayout#JAVA_LONG_UNALIGNED} in a segment. */
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    /** A chunk never written: cached like any reply, since it reads as zeros until a write evicts it. */
    private static final byte[] MISSING = {};

    private final RedisArrayStore store;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final RedisAsyncCommands<byte[], byte[]> redis;
    private final ClientSideCache cache;
    private final long timeoutNanos;

    CachingRedisArrayStore(StatefulRedisConnection<byte[], byte[]> connection, long timeoutNanos, long storeId,
            long byteSize, ClientSideCache cache) {
        this.store = new RedisArrayStore(connection, timeoutNanos, storeId, byteSize);
        this.connection = connection;
        this.redis = connection.async();
        this.cache = cache;
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public long byteSize() {
        return store.byteSize();
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, int length) {
        Objects.checkFromIndexSize(offset, length, byteSize());
        if (length == 0) {
            return;
        }
        long first = offset >>> CHUNK_SHIFT;
        long last = (offset + length - 1) >>> CHUNK_SHIFT;
        if (first == last) {
            copyOut(chunk(first), (int) (offset & CHUNK_MASK), dst, dstOffset, length);
            return;
        }
        for (long from = first; from <= last; from += WINDOW) {
            int n = (int) Math.min(WINDOW, last - from + 1);
            byte[][] chunks = new byte[n][];
            Misses misses = new Misses(n);
            for (int i = 0; i < n; i++) {
                ByteBuffer key = key(from + i);
                chunks[i] = cache.get(key);
                if (chunks[i] == null) {
                    misses.add(from + i, key);
                }
            }
            long base = from;
            misses.fetch((c, v) -> chunks[(int) (c - base)] = v);
            for (int i = 0; i < n; i++) {
                long c = from + i;
                long start = Math.max(offset, c << CHUNK_SHIFT);
                long end = Math.min(offset + length, (c + 1) << CHUNK_SHIFT);
                copyOut(chunks[i], (int) (start & CHUNK_MASK), dst, dstOffset + (start - offset), (int) (end - start));
            }
        }
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, int length) {
        Objects.checkFromIndexSize(offset, length, byteSize());
        if (length > 0) {
            writing(offset, length, () -> store.write(offset, src, srcOffset, length));
        }
    }

    @Override
    public long getLong(long offset) {
        Objects.checkFromIndexSize(offset, Long.BYTES, byteSize());
        int at = (int) (offset & CHUNK_MASK);
        return at > CHUNK - Long.BYTES ? straddlingLong(offset) : longAt(chunk(offset >>> CHUNK_SHIFT), at);
    }

    @Override
    public void setLong(long offset, long value) {
        Objects.checkFromIndexSize(offset, Long.BYTES, byteSize());
        writing(offset, Long.BYTES, () -> store.setLong(offset, value));
    }

    /** Each chunk looked up once per call; the misses fetched together, a round trip per window of them. */
    @Override
    public void gather(long[] offsets, int count, long[] out) {
        if (count < 0 || count > offsets.length || count > out.length) {
            throw new IndexOutOfBoundsException("gather of " + count + " into " + out.length + " from "
                    + offsets.length + " offsets");
        }
        Map<Long, byte[]> chunks = new HashMap<>();
        Misses misses = new Misses(Math.min(count, WINDOW));
        for (int i = 0; i < count; i++) {
            long offset = offsets[i];
            Objects.checkFromIndexSize(offset, Long.BYTES, byteSize());
            long c = offset >>> CHUNK_SHIFT;
            if ((offset & CHUNK_MASK) > CHUNK - Long.BYTES || chunks.containsKey(c)) {
                continue;
            }
            ByteBuffer key = key(c);
            byte[] v = cache.get(key);
            chunks.put(c, v); // null until fetched
            if (v == null) {
                misses.add(c, key);
                if (misses.full()) {
                    misses.fetch(chunks::put);
                }
            }
        }
        misses.fetch(chunks::put);
        for (int i = 0; i < count; i++) {
            long offset = offsets[i];
            int at = (int) (offset & CHUNK_MASK);
            out[i] = at > CHUNK - Long.BYTES ? straddlingLong(offset) : longAt(chunks.get(offset >>> CHUNK_SHIFT), at);
        }
    }

    @Override
    public void close() {
        // Its chunks' copies stay in the cache until the LRU order pushes them out; no store reuses its keys.
        store.close();
    }

    /**
     * Runs {@code write}, which changes {@code [offset, offset + length)}, inside the cache's before- and after-write
     * of every chunk it touches, the after-write even if it failed: it may have reached Redis all the same.
     */
    private void writing(long offset, int length, Runnable write) {
        long first = offset >>> CHUNK_SHIFT;
        long last = (offset + length - 1) >>> CHUNK_SHIFT;
        for (long c = first; c <= last; c++) {
            cache.beforeWrite(key(c));
        }
        try {
            write.run();
        } finally {
            for (long c = first; c <= last; c++) {
                cache.afterWrite(key(c));
            }
        }
    }

    /** Chunk {@code c}'s contents: the cached copy, or a GET's reply, cached if no write overlapped it. */
    private byte[] chunk(long c) {
        ByteBuffer key = key(c);
        byte[] v = cache.get(key);
        if (v != null) {
            return v;
        }
        long stamp = cache.stamp(key);
        long t0 = System.nanoTime();
        v = orMissing(await(redis.get(key.array()), timeoutNanos, "GET"));
        cache.fetched(1, System.nanoTime() - t0, v.length);
        cache.put(key, stamp, v, CHUNK);
        return v;
    }

    private ByteBuffer key(long chunk) {
        return ByteBuffer.wrap(store.key(chunk));
    }

    /** For tests that change a chunk from another connection: its key in Redis. */
    byte[] redisKey(long chunk) {
        return store.key(chunk);
    }

    private long straddlingLong(long offset) {
        byte[] b = new byte[Long.BYTES];
        read(offset, MemorySegment.ofArray(b), 0, Long.BYTES);
        return (long) LONG.get(b, 0);
    }

    private static byte[] orMissing(byte[] reply) {
        return reply == null ? MISSING : reply;
    }

    /** The long at {@code at} of a chunk whose bytes past its length are zeros. */
    private static long longAt(byte[] chunk, int at) {
        if (chunk.length >= at + Long.BYTES) {
            return (long) LONG.get(chunk, at);
        }
        byte[] b = new byte[Long.BYTES];
        if (chunk.length > at) {
            System.arraycopy(chunk, at, b, 0, chunk.length - at);
        }
        return (long) LONG.get(b, 0);
    }

    private static void copyOut(byte[] chunk, int at, MemorySegment dst, long dstOffset, int length) {
        int got = Math.clamp(chunk.length - at, 0, length);
        if (got > 0) {
            MemorySegment.copy(chunk, at, dst, ValueLayout.JAVA_BYTE, dstOffset, got);
        }
        if (got < length) {
            dst.asSlice(dstOffset + got, length - got).fill((byte) 0);
        }
    }

    private interface ChunkSink {
        void accept(long chunk, byte[] contents);
    }

    /** Chunks a call did not find in the cache, each stamped as it missed, to be fetched as one batch of GETs. */
    private final class Misses {
        private final long[] chunks;
        private final ByteBuffer[] keys;
        private final long[] stamps;
        private int n;

        Misses(int capacity) {
            chunks = new long[capacity];
            keys = new ByteBuffer[capacity];
            stamps = new long[capacity];
        }

        boolean full() {
            return n == chunks.length;
        }

        void add(long chunk, ByteBuffer key) {
            chunks[n] = chunk;
            keys[n] = key;
            stamps[n] = cache.stamp(key);
            n++;
        }

        /** Fetches them all, caches each reply its stamp allows, hands each to {@code sink}, and starts over empty. */
        void fetch(ChunkSink sink) {
            if (n == 0) {
                return;
            }
            List<AsyncCommand<byte[], byte[], ?>> batch = new ArrayList<>(n);
            RedisFuture<byte[]>[] futures = RedisArrayStore.futures(n);
            for (int i = 0; i < n; i++) {
                futures[i] = RedisArrayStore.add(batch, get(keys[i].array()));
            }
            long t0 = System.nanoTime();
            connection.dispatch(batch);
            byte[][] got = new byte[n][];
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                got[i] = orMissing(RedisArrayStore.awaitBy(futures, i, n, t0 + timeoutNanos, "GET"));
                bytes += got[i].length;
            }
            cache.fetched(n, System.nanoTime() - t0, bytes);
            for (int i = 0; i < n; i++) {
                cache.put(keys[i], stamps[i], got[i], CHUNK);
                sink.accept(chunks[i], got[i]);
            }
            n = 0;
        }

        private static AsyncCommand<byte[], byte[], byte[]> get(byte[] key) {
            CommandArgs<byte[], byte[]> args = new CommandArgs<>(ByteArrayCodec.INSTANCE).addKey(key);
            return new AsyncCommand<>(new Command<>(CommandType.GET, new ValueOutput<>(ByteArrayCodec.INSTANCE), args));
        }
    }
}
