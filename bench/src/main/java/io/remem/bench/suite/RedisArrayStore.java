package io.remem.bench.suite;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.ValueOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.remem.bench.suite.RedisPeer.await;

/**
 * An array as Redis strings of {@value #CHUNK} bytes, keyed {@code a<store>:<chunk>}: a chunk is a page's worth,
 * so a small access moves little, and a key that was never written reads as zeros, which makes a new array free.
 * Every access is GETRANGE or SETRANGE of just the bytes it touches. The commands of an access over several
 * chunks, and of a gather, go to the connection as one batch: Lettuce then writes and flushes them together,
 * where commands sent one by one each cost a hop to the event loop and a write of their own (on loopback, 1000
 * GETRANGEs took 2 to 13 ms sent one by one and 1.1 to 2.8 ms as one batch).
 */
final class RedisArrayStore implements ArrayStore {
    static final int CHUNK_SHIFT = 12;
    static final int CHUNK = 1 << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK - 1;
    /** Commands in flight at once for one call: enough to hide the round trip, few enough to bound its memory. */
    static final int WINDOW = 1024;
    /** Keys per UNLINK when the array is freed. */
    private static final int UNLINK_BATCH = 1000;
    /** Native order, unaligned: the same bytes for a long as {@link ValueLayout#JAVA_LONG_UNALIGNED} in a segment. */
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final byte[] NOTHING = {};

    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final RedisAsyncCommands<byte[], byte[]> redis;
    private final long timeoutNanos;
    private final byte[] prefix;
    private final long byteSize;
    private final AtomicBoolean closed = new AtomicBoolean();

    RedisArrayStore(StatefulRedisConnection<byte[], byte[]> connection, long timeoutNanos, long storeId,
            long byteSize) {
        if (byteSize < 0) {
            throw new IllegalArgumentException("array of " + byteSize + " bytes");
        }
        this.connection = connection;
        this.redis = connection.async();
        this.timeoutNanos = timeoutNanos;
        this.prefix = ("a" + storeId + ":").getBytes(StandardCharsets.US_ASCII);
        this.byteSize = byteSize;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public void read(long offset, MemorySegment dst, long dstOffset, int length) {
        Objects.checkFromIndexSize(offset, length, byteSize);
        if (length == 0) {
            return;
        }
        long first = offset >>> CHUNK_SHIFT;
        long last = (offset + length - 1) >>> CHUNK_SHIFT;
        if (first == last) {
            int at = (int) (offset & CHUNK_MASK);
            copyOut(await(redis.getrange(key(first), at, at + length - 1), timeoutNanos, "GETRANGE"),
                    dst, dstOffset, length);
            return;
        }
        RedisFuture<byte[]>[] futures = futures((int) Math.min(WINDOW, last - first + 1));
        for (long from = first; from <= last; from += WINDOW) {
            int n = (int) Math.min(WINDOW, last - from + 1);
            List<AsyncCommand<byte[], byte[], ?>> batch = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long c = from + i;
                long start = Math.max(offset, c << CHUNK_SHIFT);
                long end = Math.min(offset + length, (c + 1) << CHUNK_SHIFT);
                int at = (int) (start & CHUNK_MASK);
                futures[i] = add(batch, getrange(key(c), at, at + (end - start) - 1));
            }
            connection.dispatch(batch);
            long deadline = System.nanoTime() + timeoutNanos;
            for (int i = 0; i < n; i++) {
                long c = from + i;
                long start = Math.max(offset, c << CHUNK_SHIFT);
                long end = Math.min(offset + length, (c + 1) << CHUNK_SHIFT);
                byte[] v = awaitBy(futures, i, n, deadline, "GETRANGE");
                copyOut(v, dst, dstOffset + (start - offset), (int) (end - start));
            }
        }
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, int length) {
        Objects.checkFromIndexSize(offset, length, byteSize);
        if (length == 0) {
            return;
        }
        long first = offset >>> CHUNK_SHIFT;
        long last = (offset + length - 1) >>> CHUNK_SHIFT;
        if (first == last) {
            await(redis.setrange(key(first), offset & CHUNK_MASK, copyIn(src, srcOffset, length)),
                    timeoutNanos, "SETRANGE");
            return;
        }
        RedisFuture<Long>[] futures = futures((int) Math.min(WINDOW, last - first + 1));
        for (long from = first; from <= last; from += WINDOW) {
            int n = (int) Math.min(WINDOW, last - from + 1);
            List<AsyncCommand<byte[], byte[], ?>> batch = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long c = from + i;
                long start = Math.max(offset, c << CHUNK_SHIFT);
                long end = Math.min(offset + length, (c + 1) << CHUNK_SHIFT);
                futures[i] = add(batch, setrange(key(c), start & CHUNK_MASK,
                        copyIn(src, srcOffset + (start - offset), (int) (end - start))));
            }
            connection.dispatch(batch);
            RedisPeer.awaitAll(futures, n, timeoutNanos, "SETRANGE");
        }
    }

    @Override
    public long getLong(long offset) {
        Objects.checkFromIndexSize(offset, Long.BYTES, byteSize);
        int at = (int) (offset & CHUNK_MASK);
        if (at > CHUNK - Long.BYTES) {
            return straddlingLong(offset);
        }
        return toLong(await(redis.getrange(key(offset >>> CHUNK_SHIFT), at, at + Long.BYTES - 1),
                timeoutNanos, "GETRANGE"));
    }

    @Override
    public void setLong(long offset, long value) {
        Objects.checkFromIndexSize(offset, Long.BYTES, byteSize);
        // A fresh array each time: Lettuce encodes the value on its event loop, possibly after a timed-out call
        // has returned, so a reused buffer could put a later value at this offset.
        byte[] b = new byte[Long.BYTES];
        LONG.set(b, 0, value);
        int at = (int) (offset & CHUNK_MASK);
        if (at > CHUNK - Long.BYTES) {
            write(offset, MemorySegment.ofArray(b), 0, Long.BYTES);
            return;
        }
        await(redis.setrange(key(offset >>> CHUNK_SHIFT), at, b), timeoutNanos, "SETRANGE");
    }

    /** Sends a window's GETRANGEs as one batch before waiting on any: a round trip per window, not per offset. */
    @Override
    public void gather(long[] offsets, int count, long[] out) {
        if (count < 0 || count > offsets.length || count > out.length) {
            throw new IndexOutOfBoundsException("gather of " + count + " into " + out.length + " from "
                    + offsets.length + " offsets");
        }
        RedisFuture<byte[]>[] futures = futures(Math.min(WINDOW, count));
        for (int from = 0; from < count; from += WINDOW) {
            int n = Math.min(WINDOW, count - from);
            List<AsyncCommand<byte[], byte[], ?>> batch = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long offset = offsets[from + i];
                Objects.checkFromIndexSize(offset, Long.BYTES, byteSize);
                int at = (int) (offset & CHUNK_MASK);
                // A long across two chunks (only at an unaligned offset) is read on its own below.
                futures[i] = at > CHUNK - Long.BYTES ? null
                        : add(batch, getrange(key(offset >>> CHUNK_SHIFT), at, at + Long.BYTES - 1));
            }
            if (!batch.isEmpty()) {
                connection.dispatch(batch);
            }
            long deadline = System.nanoTime() + timeoutNanos;
            for (int i = 0; i < n; i++) {
                out[from + i] = futures[i] == null ? straddlingLong(offsets[from + i])
                        : toLong(awaitBy(futures, i, n, deadline, "GETRANGE"));
            }
        }
    }

    /** Frees every chunk, written or not: cheaper than a SCAN of the whole key space to find the written ones. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long chunks = (byteSize + CHUNK - 1) >>> CHUNK_SHIFT;
        int inFlight = 16;
        RedisFuture<Long>[] futures = futures(inFlight);
        int n = 0;
        for (long c = 0; c < chunks; c += UNLINK_BATCH) {
            byte[][] keys = new byte[(int) Math.min(UNLINK_BATCH, chunks - c)][];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = key(c + i);
            }
            futures[n++] = redis.unlink(keys);
            if (n == inFlight) {
                RedisPeer.awaitAll(futures, n, timeoutNanos, "UNLINK");
                n = 0;
            }
        }
        RedisPeer.awaitAll(futures, n, timeoutNanos, "UNLINK");
    }

    private static AsyncCommand<byte[], byte[], byte[]> getrange(byte[] key, long start, long end) {
        CommandArgs<byte[], byte[]> args = new CommandArgs<>(ByteArrayCodec.INSTANCE).addKey(key).add(start).add(end);
        return new AsyncCommand<>(new Command<>(CommandType.GETRANGE, new ValueOutput<>(ByteArrayCodec.INSTANCE), args));
    }

    private static AsyncCommand<byte[], byte[], Long> setrange(byte[] key, long offset, byte[] value) {
        CommandArgs<byte[], byte[]> args = new CommandArgs<>(ByteArrayCodec.INSTANCE).addKey(key).add(offset)
                .addValue(value);
        return new AsyncCommand<>(new Command<>(CommandType.SETRANGE, new IntegerOutput<>(ByteArrayCodec.INSTANCE),
                args));
    }

    static <T> AsyncCommand<byte[], byte[], T> add(List<AsyncCommand<byte[], byte[], ?>> batch,
            AsyncCommand<byte[], byte[], T> command) {
        batch.add(command);
        return command;
    }

    byte[] key(long chunk) {
        return RedisPeer.withDecimal(prefix, chunk);
    }

    private long straddlingLong(long offset) {
        byte[] b = new byte[Long.BYTES];
        read(offset, MemorySegment.ofArray(b), 0, Long.BYTES);
        return (long) LONG.get(b, 0);
    }

    /** Redis returns less than asked for (nothing, for a missing key) past a chunk's written end; that reads as zeros. */
    private static long toLong(byte[] v) {
        if (v != null && v.length >= Long.BYTES) {
            return (long) LONG.get(v, 0);
        }
        return v == null || v.length == 0 ? 0 : (long) LONG.get(Arrays.copyOf(v, Long.BYTES), 0);
    }

    private static void copyOut(byte[] v, MemorySegment dst, long dstOffset, int length) {
        int got = v == null ? 0 : Math.min(v.length, length);
        MemorySegment.copy(v == null ? NOTHING : v, 0, dst, ValueLayout.JAVA_BYTE, dstOffset, got);
        if (got < length) {
            dst.asSlice(dstOffset + got, length - got).fill((byte) 0);
        }
    }

    private static byte[] copyIn(MemorySegment src, long srcOffset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset, b, 0, length);
        return b;
    }

    /** Awaits {@code futures[i]} by {@code deadline}; on failure cancels the rest of the window, which nobody reads. */
    static byte[] awaitBy(RedisFuture<byte[]>[] futures, int i, int n, long deadline, String command) {
        try {
            return await(futures[i], Math.max(0, deadline - System.nanoTime()), command);
        } catch (RuntimeException e) {
            for (int j = i + 1; j < n; j++) {
                if (futures[j] != null) {
                    futures[j].cancel(false);
                }
            }
            throw e;
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <T> RedisFuture<T>[] futures(int n) {
        return new RedisFuture[n];
    }
}
