package io.remem.collections;

import io.remem.client.Acquisition;
import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarMemory;
import io.remem.protocol.DatasetMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A {@link ConcurrentMap} in a named MRSW dataset, shared by every runtime that opens it by name, in any JVM
 * ({@link FarMap#open}). Every single-key operation is linearizable across runtimes: a read is one validated read
 * of the key's bucket ({@link Dataset#read}), a change is one commit of it ({@link Dataset#acquire}), and a commit is
 * atomic to readers and durable on every replica when it returns.
 *
 * <p>The dataset is an array of 4 KiB buckets, a key's bucket chosen by a hash of its encoding, so every runtime
 * agrees. A bucket holds {@code u32 count, u32 used bytes}, then {@code count × (u32 key length, u32 value length, key,
 * value)}. Its size is fixed when created: a change that does not fit its bucket fails with {@link
 * IllegalStateException}; create it with room (the default holds about 40,000 small entries).
 *
 * <p>{@link #size()} and iteration read one bucket at a time, each as of its own read, like {@link
 * java.util.concurrent.ConcurrentHashMap}'s weakly consistent views: an entry that stays through the whole call is
 * seen exactly once; one added or removed meanwhile may or may not be. Functions given to {@code compute} and {@code
 * merge} run while this runtime holds the bucket: keep them short and free of side effects. Null keys and values are
 * refused. Closing the map closes this runtime's use of the dataset; the map stays until the dataset is deleted.
 */
public final class SharedFarMap<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V>, AutoCloseable {
    static final int BUCKET = 4096;
    private static final int HEADER = 8;
    private static final int ENTRY_HEADER = 8;
    /** Room for about 40,000 entries of 32-byte keys and values at half-full buckets. */
    static final long DEFAULT_BYTES = 8L << 20;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private final Dataset dataset;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final long buckets;

    private SharedFarMap(Dataset dataset, Codec<K> keys, Codec<V> values) {
        if (dataset.mode() != DatasetMode.MRSW) {
            throw new IllegalArgumentException("dataset " + dataset.name() + " is " + dataset.mode()
                    + ", not a shared map (MRSW)");
        }
        this.dataset = dataset;
        this.keys = Objects.requireNonNull(keys, "keys");
        this.values = Objects.requireNonNull(values, "values");
        this.buckets = dataset.createdByteSize() / BUCKET; // not byteSize(): growing the dataset must move no key
    }

    /** Opens the shared map {@code name}, creating it at {@code bytes} (rounded up to 4 KiB buckets) if it is new. */
    static <K, V> SharedFarMap<K, V> open(FarMemory memory, String name, Codec<K> keys, Codec<V> values, long bytes) {
        if (bytes < BUCKET) {
            throw new IllegalArgumentException("bytes: " + bytes + " is less than one bucket (" + BUCKET + ")");
        }
        Dataset d = memory.dataset(name, DatasetOptions.create(bytes).mode(DatasetMode.MRSW));
        try {
            return new SharedFarMap<>(d, keys, values);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** The dataset that holds it. */
    public Dataset dataset() {
        return dataset;
    }

    // ------------------------------------------------------------------ reads

    @Override
    public V get(Object key) {
        byte[] k = encodeKey(key);
        Bucket b = read(bucketOf(k));
        int at = b.find(k);
        return at < 0 ? null : values.decode(b.bytes, b.valueAt(at), b.valueLength(at));
    }

    @Override
    public boolean containsKey(Object key) {
        byte[] k = encodeKey(key);
        return read(bucketOf(k)).find(k) >= 0;
    }

    @Override
    public int size() {
        long n = 0;
        for (long i = 0; i < buckets; i++) {
            n += read(i).count();
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    @Override
    public boolean isEmpty() {
        for (long i = 0; i < buckets; i++) {
            if (read(i).count() > 0) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ changes: each one commit of one bucket

    @Override
    public V put(K key, V value) {
        byte[] v = encodeValue(value);
        return change(key, (old, oldBytes) -> v).previous;
    }

    @Override
    public V putIfAbsent(K key, V value) {
        byte[] v = encodeValue(value);
        return change(key, (old, oldBytes) -> oldBytes == null ? v : oldBytes).previous;
    }

    @Override
    public V remove(Object key) {
        @SuppressWarnings("unchecked") K k = (K) Objects.requireNonNull(key, "key");
        return change(k, (old, oldBytes) -> null).previous;
    }

    @Override
    public boolean remove(Object key, Object value) {
        @SuppressWarnings("unchecked") K k = (K) Objects.requireNonNull(key, "key");
        @SuppressWarnings("unchecked") byte[] expected = values.encode((V) Objects.requireNonNull(value, "value"));
        return change(k, (old, oldBytes) -> Arrays.equals(oldBytes, expected) ? null : oldBytes).changed;
    }

    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        byte[] expected = encodeValue(oldValue);
        byte[] v = encodeValue(newValue);
        boolean[] matched = {false}; // true even when the new value equals the old, and nothing changes
        change(key, (old, oldBytes) -> {
            matched[0] = Arrays.equals(oldBytes, expected);
            return matched[0] ? v : oldBytes;
        });
        return matched[0];
    }

    @Override
    public V replace(K key, V value) {
        byte[] v = encodeValue(value);
        return change(key, (old, oldBytes) -> oldBytes == null ? null : v).previous;
    }

    @Override
    public V compute(K key, BiFunction<? super K, ? super V, ? extends V> f) {
        Objects.requireNonNull(f, "remappingFunction");
        return change(key, (old, oldBytes) -> encodeOrNull(f.apply(key, old))).current;
    }

    @Override
    public V computeIfAbsent(K key, Function<? super K, ? extends V> f) {
        Objects.requireNonNull(f, "mappingFunction");
        V present = get(key);
        if (present != null) {
            return present; // the common case, without a commit; a racing remove linearizes after this read
        }
        return change(key, (old, oldBytes) -> oldBytes != null ? oldBytes : encodeOrNull(f.apply(key))).current;
    }

    @Override
    public V computeIfPresent(K key, BiFunction<? super K, ? super V, ? extends V> f) {
        Objects.requireNonNull(f, "remappingFunction");
        return change(key, (old, oldBytes) -> oldBytes == null ? null : encodeOrNull(f.apply(key, old))).current;
    }

    @Override
    public V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> f) {
        Objects.requireNonNull(f, "remappingFunction");
        byte[] v = encodeValue(value);
        return change(key, (old, oldBytes) -> oldBytes == null ? v : encodeOrNull(f.apply(old, value))).current;
    }

    @Override
    public void clear() {
        for (long i = 0; i < buckets; i++) {
            if (read(i).count() > 0) {
                try (Acquisition a = dataset.acquire(i * BUCKET, BUCKET)) {
                    a.buffer().fill((byte) 0);
                    a.commit();
                }
            }
        }
    }

    /** What a change did: the value before and after, and whether the bucket changed. */
    private record Outcome<V>(V previous, V current, boolean changed) {}

    /** The new encoded value given the old (null: absent); returning null removes the key. */
    private interface Update<V> {
        byte[] apply(V old, byte[] oldBytes);
    }

    /** Acquires the key's bucket, applies {@code update} to its entry, and commits if anything changed. */
    private Outcome<V> change(K key, Update<V> update) {
        byte[] k = encodeKey(key);
        long bucket = bucketOf(k);
        try (Acquisition a = dataset.acquire(bucket * BUCKET, BUCKET)) {
            MemorySegment page = a.buffer();
            Bucket b = new Bucket(page.toArray(ValueLayout.JAVA_BYTE));
            int at = b.find(k);
            byte[] oldBytes = at < 0 ? null : Arrays.copyOfRange(b.bytes, b.valueAt(at), b.valueAt(at) + b.valueLength(at));
            V old = oldBytes == null ? null : values.decode(oldBytes, 0, oldBytes.length);
            byte[] now = update.apply(old, oldBytes);
            if (Arrays.equals(now, oldBytes)) {
                return new Outcome<>(old, old, false); // nothing to publish: the acquisition closes unchanged
            }
            byte[] rewritten = b.with(at, k, now);
            MemorySegment.copy(MemorySegment.ofArray(rewritten), 0, page, 0, BUCKET);
            a.commit();
            return new Outcome<>(old, now == null ? null : values.decode(now, 0, now.length), true);
        }
    }

    // ------------------------------------------------------------------ iteration

    @Override
    public Set<Entry<K, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<K, V>> iterator() {
                return new Entries();
            }

            @Override
            public int size() {
                return SharedFarMap.this.size();
            }
        };
    }

    /** Bucket by bucket, each as of its own read; removal goes through {@link #remove(Object, Object)}. */
    private final class Entries implements Iterator<Entry<K, V>> {
        private long next;
        private final List<Entry<K, V>> pending = new ArrayList<>();
        private Entry<K, V> last;

        @Override
        public boolean hasNext() {
            while (pending.isEmpty() && next < buckets) {
                Bucket b = read(next++);
                for (int i = 0, at = HEADER; i < b.count(); i++) {
                    int end = b.next(at);
                    int kl = b.keyLength(at);
                    K key = keys.decode(b.bytes, at + ENTRY_HEADER, kl);
                    V value = values.decode(b.bytes, at + ENTRY_HEADER + kl, b.valueLength(at));
                    pending.add(new WriteThrough(key, value));
                    at = end;
                }
            }
            return !pending.isEmpty();
        }

        @Override
        public Entry<K, V> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            last = pending.removeFirst();
            return last;
        }

        @Override
        public void remove() {
            if (last == null) {
                throw new IllegalStateException();
            }
            SharedFarMap.this.remove(last.getKey()); // the key goes, whatever its value now, as ConcurrentHashMap's does
            last = null;
        }
    }

    /** An entry whose {@code setValue} puts into the map, as {@link java.util.concurrent.ConcurrentHashMap}'s does. */
    private final class WriteThrough extends SimpleEntry<K, V> {
        WriteThrough(K key, V value) {
            super(key, value);
        }

        @Override
        public V setValue(V value) {
            Objects.requireNonNull(value, "value");
            V old = super.setValue(value);
            put(getKey(), value);
            return old;
        }
    }

    // ------------------------------------------------------------------ buckets

    private Bucket read(long bucket) {
        byte[] page = new byte[BUCKET];
        dataset.read(bucket * BUCKET, MemorySegment.ofArray(page));
        return new Bucket(page);
    }

    /** The bucket of an encoded key: a hash of its bytes every runtime computes alike. */
    private long bucketOf(byte[] k) {
        long h = 0x9E3779B97F4A7C15L;
        for (byte b : k) {
            h = (h ^ b) * 0x100000001B3L;
        }
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return Long.remainderUnsigned(h, buckets);
    }

    /** One bucket's bytes, decoded on demand; a damaged bucket reads as a clear error, not a wild index. */
    private final class Bucket {
        final byte[] bytes;
        private final MemorySegment seg;

        Bucket(byte[] bytes) {
            this.bytes = bytes;
            this.seg = MemorySegment.ofArray(bytes);
            int used = seg.get(INT, 4);
            if (count() < 0 || used < 0 || used > BUCKET - HEADER) {
                throw new IllegalStateException("shared map " + dataset.name() + ": a bucket's header is damaged");
            }
        }

        int count() {
            return seg.get(INT, 0);
        }

        int keyLength(int at) {
            return seg.get(INT, at);
        }

        int valueLength(int at) {
            return seg.get(INT, at + 4);
        }

        int valueAt(int at) {
            return at + ENTRY_HEADER + keyLength(at);
        }

        int next(int at) {
            int kl = keyLength(at);
            int vl = valueLength(at);
            long n = (long) at + ENTRY_HEADER + kl + vl;
            if (kl < 0 || vl < 0 || n > HEADER + seg.get(INT, 4)) {
                throw new IllegalStateException("shared map " + dataset.name() + ": a bucket's entries are damaged");
            }
            return (int) n;
        }

        /** The offset of {@code key}'s entry, or -1. */
        int find(byte[] key) {
            for (int i = 0, at = HEADER; i < count(); i++) {
                int end = next(at); // checks the entry lies within the bucket before anything reads it
                int kl = keyLength(at);
                if (kl == key.length && Arrays.equals(bytes, at + ENTRY_HEADER, at + ENTRY_HEADER + kl, key, 0, kl)) {
                    return at;
                }
                at = end;
            }
            return -1;
        }

        /** The bucket with the entry at {@code at} (-1: none) replaced by {@code key -> value}, or removed if null. */
        byte[] with(int at, byte[] key, byte[] value) {
            byte[] out = new byte[BUCKET];
            MemorySegment o = MemorySegment.ofArray(out);
            int n = 0;
            int w = HEADER;
            for (int i = 0, r = HEADER; i < count(); i++) {
                int end = next(r);
                if (r != at) {
                    System.arraycopy(bytes, r, out, w, end - r);
                    w += end - r;
                    n++;
                }
                r = end;
            }
            if (value != null) {
                int need = ENTRY_HEADER + key.length + value.length;
                if (w + need > BUCKET) {
                    throw new IllegalStateException("shared map " + dataset.name() + ": the bucket of this key is full ("
                            + (w - HEADER) + " of " + (BUCKET - HEADER) + " bytes used, this entry needs " + need
                            + "); create the map with more room (FarMap.open with bytes)");
                }
                o.set(INT, w, key.length);
                o.set(INT, w + 4, value.length);
                System.arraycopy(key, 0, out, w + ENTRY_HEADER, key.length);
                System.arraycopy(value, 0, out, w + ENTRY_HEADER + key.length, value.length);
                w += need;
                n++;
            }
            o.set(INT, 0, n);
            o.set(INT, 4, w - HEADER);
            return out;
        }
    }

    // ------------------------------------------------------------------ codecs

    private byte[] encodeKey(Object key) {
        @SuppressWarnings("unchecked") K k = (K) Objects.requireNonNull(key, "key");
        return keys.encode(k);
    }

    private byte[] encodeValue(V value) {
        return values.encode(Objects.requireNonNull(value, "value"));
    }

    private byte[] encodeOrNull(V value) {
        return value == null ? null : values.encode(value);
    }

    /** This runtime no longer uses the map; it stays, with its entries, until its dataset is deleted. */
    @Override
    public void close() {
        dataset.close();
    }

}
