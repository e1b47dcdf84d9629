package io.remem.collections;

import io.remem.client.FarMemory;
import io.remem.client.FarSegment;
import io.remem.client.OffloadMode;
import io.remem.collections.ShardWrites.Op;
import io.remem.protocol.MapLayout;

import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Function;

import static io.remem.protocol.MapLayout.SLOT_BYTES;

/**
 * A concurrent hash map whose entries live in far memory: keys and values are stored as the bytes their
 * {@link Codec}s make, in regions of a {@link FarMemory}, and only a small directory stays on the local heap. Like
 * {@link java.util.concurrent.ConcurrentHashMap} it allows no null keys or values ({@link NullPointerException}),
 * every operation on one key is atomic, and iterators never throw {@link java.util.ConcurrentModificationException}.
 * Two keys are the same key exactly when their encodings are equal; values compare by encoding too wherever the map
 * compares them ({@link #remove(Object, Object)}, {@link #replace(Object, Object, Object)}, {@link #containsValue}).
 *
 * <pre>{@code
 * try (FarMap<String, byte[]> map = FarMap.create(session.memory(), Codec.utf8(), Codec.bytes())) {
 *     map.put("alice", photo);
 *     byte[] p = map.get("alice");
 * }
 * }</pre>
 *
 * <h2>Layout</h2>
 * The map is sharded by extendible hashing. A key's hash is a fixed 64-bit function of its encoded bytes (FNV-1a 64,
 * then murmur3's fmix64 finalizer), the same in every JVM. The local directory has {@code 2^d} entries indexed by the
 * top {@code d} bits of the hash; each points to a shard, and a shard of local depth {@code e <= d} covers every hash
 * whose top {@code e} bits are its prefix. A shard is one far region laid out exactly as {@link MapLayout} says, so a
 * memory node can look a key up in it on its own: {@code capacity} 16-byte slots (a power of two; home slot
 * {@code hash & (capacity - 1)}, linear probing, never full), then a heap of entries bump-allocated upwards, each
 * 8-aligned. A region is at most 256 KiB (the builder's {@link Builder#regionBytes}), so it is carved out of a
 * small-object slab without a round trip and never straddles two slabs. An entry bigger than an eighth of the largest
 * region goes out of line into its own allocation, and its slot's ref is that far address with bit 63 set.
 *
 * <p>Regions grow from 4 KiB as their shards fill, and each shard picks its capacity from the average size of its
 * entries, so that slots and heap fill up together. Per shard, the client keeps locally only its geometry, heap top, garbage bytes,
 * live count, out-of-line entries, a lock and a {@code dirty} flag (written since its far memory was last forced to
 * the memory nodes). Regions start at 4 KiB unless {@link Builder#expectedSize} asks for more up front.
 *
 * <h2>Rebuilds</h2>
 * A shard is rebuilt when an insert would take its live entries past 3/4 of its slots, or an entry does not fit on
 * its heap. A rebuild reads the region in one go and writes fresh regions, never in place:
 * <ul>
 *   <li>if its live entries (with the one being added) fill at most half of some region of at most the largest size
 *       (a region fills by slots at 3/4 load or by heap bytes), it becomes one shard in the smallest such region: a
 *       <b>compaction</b> when that is the same size, a <b>growth</b> when it is bigger;</li>
 *   <li>otherwise it <b>splits</b> by the next bit of the hash into two shards, each in the smallest region they fill
 *       to at most 3/4 (splitting again if one side is still too full), doubling the directory when a shard gets
 *       deeper than it.</li>
 * </ul>
 * Replacing a value overwrites the entry in place when the new one is no bigger, and otherwise appends it; replaced
 * and removed entries are garbage until the next rebuild. Removal shifts the rest of the probe run back (no
 * tombstones), reading the keys in that run to find their home slots. {@link #clear()} empties every shard but
 * keeps the regions; {@link #close()} frees everything.
 *
 * <h2>Concurrency</h2>
 * Each shard has a {@link java.util.concurrent.locks.StampedLock}: lookups take its read lock, so they run in
 * parallel, and changes take its write lock. Keys and values are encoded before a lock is taken and decoded after it
 * is released; an out-of-line entry is allocated and written before its shard is locked. A rebuild runs under the
 * shard's write lock and installs its shards in the directory under a map-wide lock that only rebuilds and
 * {@code close} take; the old shard is then marked retired, and an operation that finds its shard retired looks it
 * up again. Directory entries are published with release/acquire, so operations on other shards never wait for a
 * rebuild. {@link #size()} is exact: it is kept under the shard locks.
 *
 * <h2>Iteration</h2>
 * Iterators (of {@link #entrySet()}, {@link #keySet()} and {@link #values()}) return entries in ascending order of
 * key hash (as an unsigned 64-bit number), and of encoded key bytes (unsigned, lexicographic) among equal hashes. They
 * walk the hash space with a cursor: take the shard covering the cursor, copy out under its read lock the entries
 * whose hash is at least the cursor, sort them, then move the cursor to the end of that shard's range. So they never
 * throw {@link java.util.ConcurrentModificationException}; an entry present for the whole iteration is returned
 * exactly once, and entries added or removed meanwhile may or may not be; and the same contents iterate in the same
 * order every time, in every JVM. An iterator holds one shard's entries at a time (out-of-line values are read when
 * it gets to them). {@link Iterator#remove()} and {@link Map.Entry#setValue} write through to the map.
 *
 * <h2>Cost</h2>
 * A {@code get} whose slots and entry are cached costs no round trip. Otherwise, by default ({@link OffloadMode#AUTO},
 * see {@link Builder#gets}), it is one round trip: the memory node holding the shard probes it and returns the value
 * ({@link Offload#mapGet}); only an out-of-line entry costs one more read. Pulled instead, it costs the slot probe
 * (usually one block) and one read of the entry, which then stay cached. A pulled get allocates the key's encoding
 * and the value's bytes; a near one also its request and response. {@link #put} returns the previous value and so
 * reads it; {@link #set} and {@link #delete} do not.
 *
 * <h2>Limits</h2>
 * An entry (8 header bytes, key and value) may have up to 2 GiB - 16 bytes. The keys whose hashes share their top
 * 24 bits must fit in one region (thousands of keys; a fixed, unkeyed hash cannot rule out keys chosen to collide):
 * past that, an insert throws {@link IllegalStateException}. If far memory fails in the middle of a write (a memory
 * node unreachable past its timeout), that write's shard may be left inconsistent.
 *
 * @param <K> the type of keys
 * @param <V> the type of values
 */
public final class FarMap<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V>, AutoCloseable {
    static final int MIN_REGION_BYTES = ShardPlanner.MIN_REGION_BYTES;
    static final int MAX_REGION_BYTES = 256 << 10;
    /** Deepest directory {@link Builder#expectedSize} makes up front. */
    static final int MAX_INITIAL_DEPTH = 16;

    private final FarMemory memory;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final ShardPlanner planner;
    /** Entries bigger than this go out of line. */
    private final int inlineLimit;
    private final int blockSize;
    private final OffloadMode gets;
    private final ShardLookups lookups;
    private final LongAdder entries = new LongAdder();
    final LongAdder compactions;
    final LongAdder growths;
    final LongAdder splits;
    private final ShardDirectory directory;
    private final ShardWrites writes;
    private volatile boolean closed;
    private final FarMapViews<K, V> views = new FarMapViews<>(this);

    private FarMap(Builder<K, V> b) {
        this.memory = b.memory;
        this.keys = b.keys;
        this.values = b.values;
        this.planner = new ShardPlanner(b.regionBytes);
        this.inlineLimit = b.regionBytes / 8;
        this.blockSize = memory.blockSize();
        this.gets = b.gets;
        this.lookups = new ShardLookups(inlineLimit, blockSize, memory.offload());
        long expected = Math.min(b.expectedSize, 1L << 40);
        int depth = 0;
        int[] geometry = null;
        for (; depth <= MAX_INITIAL_DEPTH; depth++) {
            long n = (expected + (1L << depth) - 1) >>> depth;
            geometry = planner.geometry(n, n * Shard.pad(ShardPlanner.ASSUMED_ENTRY_BYTES), ShardPlanner.SPLIT_FILL);
            if (geometry != null) {
                break;
            }
        }
        if (geometry == null) {
            depth = MAX_INITIAL_DEPTH;
            geometry = new int[] {b.regionBytes, ShardPlanner.capacityFor(b.regionBytes, 1, ShardPlanner.ASSUMED_ENTRY_BYTES)};
        }
        Shard[] shards = new Shard[1 << depth];
        try {
            for (int i = 0; i < shards.length; i++) {
                FarSegment region = memory.allocate(geometry[0]); // all zero: every slot empty
                shards[i] = new Shard(depth, i, region, geometry[1], geometry[1] * SLOT_BYTES, 0, null);
            }
        } catch (RuntimeException | Error e) {
            for (Shard s : shards) {
                if (s != null) {
                    s.region.free();
                }
            }
            throw e;
        }
        this.directory = new ShardDirectory(depth, shards);
        ShardRebuilds rebuilds = new ShardRebuilds(memory, planner, directory, this::ensureOpen);
        this.compactions = rebuilds.compactions;
        this.growths = rebuilds.growths;
        this.splits = rebuilds.splits;
        this.writes = new ShardWrites(memory, directory, rebuilds, entries, inlineLimit, blockSize, this::ensureOpen);
    }

    /**
     * Opens the shared map {@code name}, a dataset of this session's tenant, creating it if it is new: any runtime in
     * any JVM that opens the same name uses the same map, and every single-key operation on it is linearizable across
     * them ({@link SharedFarMap}). It stays until its dataset is deleted. A map private to this session is {@link
     * #create}'s, and much faster.
     */
    public static <K, V> SharedFarMap<K, V> open(FarMemory memory, String name, Codec<K> keys, Codec<V> values) {
        return SharedFarMap.open(memory, name, keys, values, SharedFarMap.DEFAULT_BYTES);
    }

    /** {@link #open(FarMemory, String, Codec, Codec)}, created with {@code bytes} of 4 KiB buckets if it is new. */
    public static <K, V> SharedFarMap<K, V> open(FarMemory memory, String name, Codec<K> keys, Codec<V> values,
                                                 long bytes) {
        return SharedFarMap.open(memory, name, keys, values, bytes);
    }

    /** An empty map in {@code memory}, sized for a few entries; it grows as needed. */
    public static <K, V> FarMap<K, V> create(FarMemory memory, Codec<K> keys, Codec<V> values) {
        return builder(memory, keys, values).build();
    }

    /** An empty map in {@code memory} with room for about {@code expectedSize} small entries up front. */
    public static <K, V> FarMap<K, V> create(FarMemory memory, Codec<K> keys, Codec<V> values, long expectedSize) {
        return builder(memory, keys, values).expectedSize(expectedSize).build();
    }

    /** A builder for a map in {@code memory}, for the options {@link #create} does not take. */
    public static <K, V> Builder<K, V> builder(FarMemory memory, Codec<K> keys, Codec<V> values) {
        return new Builder<>(memory, keys, values);
    }

    /** Options of a {@link FarMap}; {@link #build()} allocates it. */
    public static final class Builder<K, V> {
        private final FarMemory memory;
        private final Codec<K> keys;
        private final Codec<V> values;
        private long expectedSize;
        private int regionBytes = MAX_REGION_BYTES;
        private OffloadMode gets = OffloadMode.AUTO;

        private Builder(FarMemory memory, Codec<K> keys, Codec<V> values) {
            this.memory = Objects.requireNonNull(memory, "memory");
            this.keys = Objects.requireNonNull(keys, "keys");
            this.values = Objects.requireNonNull(values, "values");
        }

        /**
         * Entries to make room for up front, assuming about 64 bytes each: the map starts with enough shards for them
         * (at most 2^16), so filling it rebuilds less. Default 0: one small shard.
         */
        public Builder<K, V> expectedSize(long entries) {
            if (entries < 0) {
                throw new IllegalArgumentException("expectedSize: " + entries + " must not be negative");
            }
            this.expectedSize = entries;
            return this;
        }

        /**
         * The largest region a shard may have: a power of two from 4 KiB to 256 KiB (the default). Entries bigger
         * than an eighth of it go out of line, in allocations of their own. Smaller regions make rebuilds cheaper and
         * the directory bigger.
         */
        public Builder<K, V> regionBytes(int bytes) {
            if (bytes < MIN_REGION_BYTES || bytes > MAX_REGION_BYTES || Integer.bitCount(bytes) != 1) {
                throw new IllegalArgumentException("regionBytes: " + bytes + " must be a power of two from "
                        + MIN_REGION_BYTES + " to " + MAX_REGION_BYTES);
            }
            this.regionBytes = bytes;
            return this;
        }

        /**
         * Where {@link #get} runs (default {@link OffloadMode#AUTO}): {@code NEAR} probes the shard at its memory node,
         * one round trip whatever is cached; {@code PULL} probes through the local cache, which then holds the slots
         * and the entry; {@code AUTO} runs here when the slots and the entry it needs are all cached (no round trip)
         * and goes near otherwise (one).
         */
        public Builder<K, V> gets(OffloadMode mode) {
            this.gets = Objects.requireNonNull(mode, "mode");
            return this;
        }

        public FarMap<K, V> build() {
            return new FarMap<>(this);
        }
    }

    // ================================================================================================ shards

    /** The shard the directory names for {@code hash}; it may turn out retired once locked. */
    Shard shardFor(long hash) {
        return directory.shardFor(hash);
    }

    /** Distinct live shards now. */
    int shardCount() {
        return directory.shardCount();
    }

    /** The directory's depth now. */
    int depth() {
        return directory.depth();
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("FarMap is closed");
        }
    }

    // ================================================================================================ reads

    /**
     * The encoded value of {@code key} (encoded), or null: finds its shard, takes the shard's read lock (so the region
     * can be neither rebuilt nor freed meanwhile) and runs the lookup near or pulled, as {@code mode} says.
     */
    byte[] valueBytes(byte[] key, long hash, OffloadMode mode) {
        while (true) {
            Shard shard = shardFor(hash);
            long stamp = shard.lock.readLock();
            try {
                if (!shard.retired) {
                    return lookups.find(shard, key, hash, mode);
                }
            } finally {
                shard.lock.unlockRead(stamp);
            }
            ensureOpen();
        }
    }

    private boolean containsBytes(byte[] key, long hash) {
        while (true) {
            Shard shard = shardFor(hash);
            long stamp = shard.lock.readLock();
            try {
                if (!shard.retired) {
                    return shard.find(key, hash) >= 0;
                }
            } finally {
                shard.lock.unlockRead(stamp);
            }
            ensureOpen();
        }
    }

    @SuppressWarnings("unchecked")
    byte[] encodeKey(Object key) {
        Objects.requireNonNull(key, "key");
        ensureOpen();
        return Objects.requireNonNull(keys.encode((K) key), "the key codec returned null");
    }

    @SuppressWarnings("unchecked")
    byte[] encodeValue(Object value) {
        Objects.requireNonNull(value, "value");
        return Objects.requireNonNull(values.encode((V) value), "the value codec returned null");
    }

    V decodeValue(byte[] bytes) {
        return bytes == null ? null : values.decode(bytes, 0, bytes.length);
    }

    /** The value of {@code key}, or null; runs near or pulled as the map was built to ({@link Builder#gets}). */
    @Override
    public V get(Object key) {
        return get(key, gets);
    }

    /** {@link #get(Object)}, near the data or pulled into the cache as the caller asks. */
    public V get(Object key, OffloadMode mode) {
        Objects.requireNonNull(mode, "mode");
        byte[] k = encodeKey(key);
        return decodeValue(valueBytes(k, KeyHash.hash(k), mode));
    }

    @Override
    public boolean containsKey(Object key) {
        byte[] k = encodeKey(key);
        return containsBytes(k, KeyHash.hash(k));
    }

    /** Whether some key maps to a value with the same encoding; reads the whole map. */
    @Override
    public boolean containsValue(Object value) {
        byte[] v = encodeValue(value);
        ensureOpen();
        FarMapScan scan = new FarMapScan(this, true);
        while (scan.advance()) {
            if (Arrays.equals(scan.value, v)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int size() {
        return (int) Math.min(mappingCount(), Integer.MAX_VALUE);
    }

    /** The number of entries, as a long. */
    public long mappingCount() {
        ensureOpen();
        return entries.sum();
    }

    @Override
    public boolean isEmpty() {
        return mappingCount() == 0;
    }

    // ================================================================================================ writes

    @Override
    public V put(K key, V value) {
        byte[] k = encodeKey(key);
        return decodeValue(writes.write(Op.PUT, k, KeyHash.hash(k), encodeValue(value), null, true));
    }

    /** Maps {@code key} to {@code value}, like {@link #put}, without reading the previous value. */
    public void set(K key, V value) {
        byte[] k = encodeKey(key);
        writes.write(Op.PUT, k, KeyHash.hash(k), encodeValue(value), null, false);
    }

    @Override
    public V putIfAbsent(K key, V value) {
        byte[] k = encodeKey(key);
        return decodeValue(writes.write(Op.PUT_IF_ABSENT, k, KeyHash.hash(k), encodeValue(value), null, true));
    }

    @Override
    public void putAll(Map<? extends K, ? extends V> m) {
        for (Map.Entry<? extends K, ? extends V> e : m.entrySet()) {
            set(e.getKey(), e.getValue());
        }
    }

    @Override
    public V remove(Object key) {
        byte[] k = encodeKey(key);
        return decodeValue(writes.write(Op.REMOVE, k, KeyHash.hash(k), null, null, true));
    }

    /** Removes {@code key}, like {@link #remove(Object)}, without reading its value; true if it was there. */
    public boolean delete(Object key) {
        byte[] k = encodeKey(key);
        return writes.write(Op.REMOVE, k, KeyHash.hash(k), null, null, false) != null;
    }

    @Override
    public boolean remove(Object key, Object value) {
        byte[] k = encodeKey(key);
        if (value == null) {
            return false;
        }
        byte[] expected = encodeValue(value);
        return writes.write(Op.REMOVE_IF_EQUAL, k, KeyHash.hash(k), null, expected, false) == ShardWrites.PRESENT;
    }

    @Override
    public V replace(K key, V value) {
        byte[] k = encodeKey(key);
        return decodeValue(writes.write(Op.REPLACE, k, KeyHash.hash(k), encodeValue(value), null, true));
    }

    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        byte[] k = encodeKey(key);
        byte[] expected = encodeValue(oldValue);
        byte[] done = writes.write(Op.REPLACE_IF_EQUAL, k, KeyHash.hash(k), encodeValue(newValue), expected, false);
        return done == ShardWrites.PRESENT;
    }

    // The compute family follows ConcurrentMap's default algorithms (read, then a conditional write that retries on a
    // race), except that the read is pulled: the conditional write must read the entry through the cache anyway, so a
    // near read first would cost a second round trip.

    @Override
    public V computeIfAbsent(K key, Function<? super K, ? extends V> mappingFunction) {
        Objects.requireNonNull(mappingFunction, "mappingFunction");
        V old = get(key, OffloadMode.PULL);
        if (old != null) {
            return old;
        }
        V value = mappingFunction.apply(key);
        if (value == null) {
            return null;
        }
        V raced = putIfAbsent(key, value);
        return raced == null ? value : raced;
    }

    @Override
    public V computeIfPresent(K key, BiFunction<? super K, ? super V, ? extends V> remappingFunction) {
        Objects.requireNonNull(remappingFunction, "remappingFunction");
        V old;
        while ((old = get(key, OffloadMode.PULL)) != null) {
            V value = remappingFunction.apply(key, old);
            if (value == null ? remove(key, old) : replace(key, old, value)) {
                return value;
            }
        }
        return null;
    }

    @Override
    public V compute(K key, BiFunction<? super K, ? super V, ? extends V> remappingFunction) {
        Objects.requireNonNull(remappingFunction, "remappingFunction");
        while (true) {
            V old = get(key, OffloadMode.PULL);
            V value = remappingFunction.apply(key, old);
            if (old == null) {
                if (value == null || putIfAbsent(key, value) == null) {
                    return value;
                }
            } else if (value == null ? remove(key, old) : replace(key, old, value)) {
                return value;
            }
        }
    }

    @Override
    public V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> remappingFunction) {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(remappingFunction, "remappingFunction");
        while (true) {
            V old = get(key, OffloadMode.PULL);
            if (old == null) {
                if (putIfAbsent(key, value) == null) {
                    return value;
                }
                continue;
            }
            V merged = remappingFunction.apply(old, value);
            if (merged == null ? remove(key, old) : replace(key, old, merged)) {
                return merged;
            }
        }
    }

    /**
     * Removes every entry. Not atomic: shard by shard, like {@link java.util.concurrent.ConcurrentHashMap#clear}.
     * Regions are kept for the entries to come; out-of-line entries are freed.
     */
    @Override
    public void clear() {
        ensureOpen();
        long cursor = 0;
        while (true) {
            Shard shard = shardFor(cursor);
            List<FarSegment> free = null;
            long end;
            long stamp = shard.lock.writeLock();
            try {
                if (shard.retired) {
                    ensureOpen();
                    continue;
                }
                end = shard.rangeEnd();
                if (shard.heapTop > shard.heapStart || shard.count > 0) {
                    entries.add(-shard.count);
                    free = shard.reset();
                }
            } finally {
                shard.lock.unlockWrite(stamp);
            }
            if (free != null) {
                free.forEach(FarSegment::free);
            }
            if (end == 0) {
                return;
            }
            cursor = end;
        }
    }

    /**
     * Frees all the map's far memory. Afterwards every operation throws {@link IllegalStateException}. Operations
     * running meanwhile either complete first or throw. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        List<Shard> shards = directory.close(); // no rebuild installs shards after this
        if (shards == null) {
            return;
        }
        for (Shard shard : shards) {
            List<FarSegment> free = null;
            long stamp = shard.lock.writeLock();
            try {
                if (!shard.retired) {
                    shard.retired = true;
                    free = shard.segments();
                }
            } finally {
                shard.lock.unlockWrite(stamp);
            }
            if (free != null) {
                free.forEach(FarSegment::free);
            }
        }
    }

    // ================================================================================================ views

    @Override
    public Set<K> keySet() {
        return views.keySet();
    }

    @Override
    public Collection<V> values() {
        return views.values();
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return views.entrySet();
    }

    /** Removes the entry of an encoded key, as an iterator's remove does. */
    void removeEncoded(byte[] key, long hash) {
        ensureOpen();
        writes.write(Op.REMOVE, key, hash, null, null, false);
    }

    /** Removes the entry of an encoded key if its value has encoding {@code value}; whether it did. */
    boolean removeEncodedIfEqual(byte[] key, long hash, byte[] value) {
        return writes.write(Op.REMOVE_IF_EQUAL, key, hash, null, value, false) == ShardWrites.PRESENT;
    }

    /** The encoded value of an encoded key, read as this map reads by default; null if absent. */
    byte[] valueBytes(byte[] key) {
        return valueBytes(key, KeyHash.hash(key), gets);
    }

    K decodeKey(byte[] bytes) {
        return keys.decode(bytes, 0, bytes.length);
    }

    @Override
    public String toString() {
        return closed ? "FarMap{closed}" : super.toString();
    }
}
