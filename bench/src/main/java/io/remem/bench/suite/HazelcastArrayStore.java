package io.remem.bench.suite;

import com.hazelcast.map.IMap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An array as an {@code IMap<Long, byte[]>} of {@value #CHUNK}-byte chunks by index; a chunk never written is not
 * in the map and reads as zeros. Whole chunks are set; anything less is a {@link WriteRange} on the member, so
 * concurrent writes to different parts of one chunk all land. Only synchronous map calls write: the near-cached
 * proxy drops its own entry after a synchronous write completes, but after an asynchronous one only when it is
 * sent, and a read racing in between could cache the old chunk again.
 */
final class HazelcastArrayStore implements ArrayStore {
    static final int CHUNK = 4096;
    private static final int SHIFT = Integer.numberOfTrailingZeros(CHUNK);
    /** Chunks per map call on bulk paths: bounds the client's memory for a huge read or write. */
    private static final int BATCH = 1024;
    /** Native order, as MemorySegment's JAVA_LONG_UNALIGNED: a long written as bytes reads back the same. */
    private static final VarHandle LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final IMap<Long, byte[]> map;
    private final long byteSize;
    private final Runnable onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    HazelcastArrayStore(IMap<Long, byte[]> map, long byteSize, Runnable onClose) {
        this.map = map;
        this.byteSize = byteSize;
        this.onClose = onClose;
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
        long first = offset >>> SHIFT;
        long last = (offset + length - 1) >>> SHIFT;
        if (first == last) {
            copyOut(map.get(first), (int) (offset & (CHUNK - 1)), dst, dstOffset, length);
            return;
        }
        long pos = offset;
        long end = offset + length;
        for (long from = first; from <= last; from += BATCH) {
            long to = Math.min(last, from + BATCH - 1);
            Map<Long, byte[]> chunks = map.getAll(keys(from, to));
            for (long c = from; c <= to; c++) {
                int in = (int) (pos & (CHUNK - 1));
                int n = (int) Math.min(CHUNK - in, end - pos);
                copyOut(chunks.get(c), in, dst, dstOffset + (pos - offset), n);
                pos += n;
            }
        }
    }

    @Override
    public void write(long offset, MemorySegment src, long srcOffset, int length) {
        Objects.checkFromIndexSize(offset, length, byteSize);
        Map<Long, byte[]> whole = new HashMap<>();
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            long c = pos >>> SHIFT;
            int in = (int) (pos & (CHUNK - 1));
            int n = (int) Math.min(CHUNK - in, end - pos);
            byte[] bytes = new byte[n];
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset + (pos - offset), bytes, 0, n);
            if (n == CHUNK) {
                whole.put(c, bytes);
                if (whole.size() == BATCH) {
                    setWhole(whole);
                }
            } else {
                map.executeOnKey(c, new WriteRange(in, bytes));
            }
            pos += n;
        }
        setWhole(whole);
    }

    @Override
    public long getLong(long offset) {
        Objects.checkFromIndexSize(offset, Long.BYTES, byteSize);
        int in = (int) (offset & (CHUNK - 1));
        if (in > CHUNK - Long.BYTES) {
            return straddlingLong(offset);
        }
        byte[] chunk = map.get(offset >>> SHIFT);
        return chunk == null ? 0 : (long) LONG.get(chunk, in);
    }

    @Override
    public void setLong(long offset, long value) {
        Objects.checkFromIndexSize(offset, Long.BYTES, byteSize);
        byte[] bytes = new byte[Long.BYTES];
        LONG.set(bytes, 0, value);
        int in = (int) (offset & (CHUNK - 1));
        if (in > CHUNK - Long.BYTES) {
            write(offset, MemorySegment.ofArray(bytes), 0, Long.BYTES);
        } else {
            map.executeOnKey(offset >>> SHIFT, new WriteRange(in, bytes));
        }
    }

    /** One getAll per {@value #BATCH} distinct chunks, in the order the offsets come. */
    @Override
    public void gather(long[] offsets, int count, long[] out) {
        Set<Long> keys = new HashSet<>();
        int start = 0;
        for (int i = 0; i < count; i++) {
            long offset = offsets[i];
            Objects.checkFromIndexSize(offset, Long.BYTES, byteSize);
            keys.add(offset >>> SHIFT);
            keys.add((offset + Long.BYTES - 1) >>> SHIFT);
            if (keys.size() >= BATCH - 1) {
                pick(offsets, start, i + 1, out, keys);
                keys.clear();
                start = i + 1;
            }
        }
        if (start < count) {
            pick(offsets, start, count, out, keys);
        }
    }

    private void pick(long[] offsets, int from, int to, long[] out, Set<Long> keys) {
        Map<Long, byte[]> chunks = keys.size() == 1 ? single(keys.iterator().next()) : map.getAll(keys);
        byte[] eight = new byte[Long.BYTES];
        for (int i = from; i < to; i++) {
            long offset = offsets[i];
            long c = offset >>> SHIFT;
            int in = (int) (offset & (CHUNK - 1));
            if (in <= CHUNK - Long.BYTES) {
                byte[] chunk = chunks.get(c);
                out[i] = chunk == null ? 0 : (long) LONG.get(chunk, in);
            } else {
                int head = CHUNK - in;
                copyOut(chunks.get(c), in, MemorySegment.ofArray(eight), 0, head);
                copyOut(chunks.get(c + 1), 0, MemorySegment.ofArray(eight), head, Long.BYTES - head);
                out[i] = (long) LONG.get(eight, 0);
            }
        }
    }

    private Map<Long, byte[]> single(Long key) {
        byte[] chunk = map.get(key);
        return chunk == null ? Map.of() : Map.of(key, chunk);
    }

    private long straddlingLong(long offset) {
        byte[] eight = new byte[Long.BYTES];
        read(offset, MemorySegment.ofArray(eight), 0, Long.BYTES);
        return (long) LONG.get(eight, 0);
    }

    private void setWhole(Map<Long, byte[]> whole) {
        if (whole.size() == 1) {
            Map.Entry<Long, byte[]> e = whole.entrySet().iterator().next();
            map.set(e.getKey(), e.getValue());
        } else if (!whole.isEmpty()) {
            map.setAll(whole);
        }
        whole.clear();
    }

    private static Set<Long> keys(long from, long to) {
        Set<Long> keys = HashSet.newHashSet((int) (to - from + 1));
        for (long c = from; c <= to; c++) {
            keys.add(c);
        }
        return keys;
    }

    /** {@code chunk} may be the near cache's own array: only ever read from it. */
    private static void copyOut(byte[] chunk, int in, MemorySegment dst, long dstOffset, int n) {
        if (chunk == null) {
            dst.asSlice(dstOffset, n).fill((byte) 0);
        } else {
            MemorySegment.copy(chunk, in, dst, ValueLayout.JAVA_BYTE, dstOffset, n);
        }
    }

    /** The map's name, for tests. */
    String mapName() {
        return map.getName();
    }

    IMap<Long, byte[]> map() {
        return map;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            map.destroy();
            onClose.run();
        }
    }
}
