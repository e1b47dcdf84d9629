package io.remem.bench.suite;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.remem.bench.suite.RedisPeer.await;

/**
 * Records as Redis strings of exactly {@link RecordShape#recordBytes()} bytes, keyed {@code r<store>:<key>}, so
 * an update of one field moves only that field.
 */
final class RedisRecordStore implements RecordStore {
    /**
     * SETRANGE alone would create a missing record; checking first from the client would race a delete. A script
     * runs atomically on the server, in the same one round trip.
     */
    private static final String UPDATE_IF_PRESENT = """
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            redis.call('SETRANGE', KEYS[1], ARGV[1], ARGV[2])
            return 1
            """;
    private static final int SCAN_COUNT = 1000;
    private static final byte[] NOTHING = {};

    private final RedisAsyncCommands<byte[], byte[]> redis;
    private final long timeoutNanos;
    private final RecordShape shape;
    private final int recordBytes;
    private final byte[] prefix;
    private final String updateSha;
    private final AtomicBoolean closed = new AtomicBoolean();

    RedisRecordStore(RedisAsyncCommands<byte[], byte[]> redis, long timeoutNanos, long storeId, RecordShape shape) {
        this.redis = redis;
        this.timeoutNanos = timeoutNanos;
        this.shape = shape;
        this.recordBytes = shape.recordBytes();
        this.prefix = ("r" + storeId + ":").getBytes(StandardCharsets.US_ASCII);
        this.updateSha = await(redis.scriptLoad(UPDATE_IF_PRESENT.getBytes(StandardCharsets.UTF_8)), timeoutNanos,
                "SCRIPT LOAD");
    }

    @Override
    public RecordShape shape() {
        return shape;
    }

    @Override
    public void insert(String key, byte[] record) {
        if (record.length != recordBytes) {
            throw new IllegalArgumentException("record of " + record.length + " bytes, the shape has " + recordBytes);
        }
        await(redis.set(key(key), record), timeoutNanos, "SET");
    }

    @Override
    public boolean read(String key, byte[] dst) {
        if (dst.length < recordBytes) {
            throw new IllegalArgumentException("room for " + dst.length + " bytes, a record has " + recordBytes);
        }
        byte[] v = await(redis.get(key(key)), timeoutNanos, "GET");
        if (v == null) {
            return false;
        }
        System.arraycopy(v, 0, dst, 0, Math.min(v.length, recordBytes));
        return true;
    }

    @Override
    public boolean update(String key, int offset, byte[] bytes) {
        Objects.checkFromIndexSize(offset, bytes.length, recordBytes);
        byte[][] keys = {key(key)};
        byte[][] args = {RedisPeer.withDecimal(NOTHING, offset), bytes};
        Long updated;
        try {
            updated = await(redis.evalsha(updateSha, ScriptOutputType.INTEGER, keys, args), timeoutNanos, "EVALSHA");
        } catch (RedisException e) {
            if (!(e.getCause() instanceof RedisNoScriptException)) {
                throw e;
            }
            // The server lost its script cache (SCRIPT FLUSH, a restart); EVAL sends the script and caches it again.
            updated = await(redis.eval(UPDATE_IF_PRESENT, ScriptOutputType.INTEGER, keys, args), timeoutNanos, "EVAL");
        }
        return updated != null && updated == 1;
    }

    @Override
    public boolean delete(String key) {
        Long n = await(redis.del(key(key)), timeoutNanos, "DEL");
        return n != null && n > 0;
    }

    /** SCAN, since the store keeps no list of its keys; UNLINK frees their memory off Redis's command thread. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        byte[] glob = Arrays.copyOf(prefix, prefix.length + 1);
        glob[prefix.length] = '*';
        ScanArgs args = ScanArgs.Builder.limit(SCAN_COUNT).match(glob);
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<byte[]> page = await(redis.scan(cursor, args), timeoutNanos, "SCAN");
            List<byte[]> keys = page.getKeys();
            if (!keys.isEmpty()) {
                await(redis.unlink(keys.toArray(new byte[0][])), timeoutNanos, "UNLINK");
            }
            cursor = page;
        } while (!cursor.isFinished());
    }

    /** The prefix and the key's bytes; YCSB's keys are ASCII, so a plain copy of the chars will do. */
    byte[] key(String key) {
        int n = key.length();
        byte[] b = Arrays.copyOf(prefix, prefix.length + n);
        for (int i = 0; i < n; i++) {
            char c = key.charAt(i);
            if (c >= 0x80) {
                byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
                b = Arrays.copyOf(prefix, prefix.length + utf8.length);
                System.arraycopy(utf8, 0, b, prefix.length, utf8.length);
                return b;
            }
            b[prefix.length + i] = (byte) c;
        }
        return b;
    }
}
