package io.remem.bench.suite;

import io.remem.client.CacheStats;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The local copies of a {@link CachingRedisTarget}: Redis values by key (whole array chunks, whole records), LRU,
 * bounded by bytes. Each entry is charged its nominal size (a chunk, a record), not its length, so that empty
 * values (a chunk never written, a record known to be absent) count against the bound too. Segments with a lock
 * each keep the workload threads from queueing on one lock for every hit; each is an exact LRU of its share.
 *
 * <p>Versions defeat the race a client-side cache must not lose: thread B's GET of a key is in flight while thread
 * A writes the key, and B's reply may carry the old bytes. Cached after A's write has returned, they would hide
 * A's write from A itself. So every key hashes to a version stripe; a writer bumps it before it sends, and bumps it
 * again while evicting the key once Redis has replied; an invalidation bumps and evicts the same way. A reader takes
 * the stripe's version before it sends its GET, and {@link #put} caches the reply only if the version is still
 * that, checked under the lock that the bump-and-evict takes. A stripe shared by two keys costs no more than a
 * reply left uncached.
 *
 * <p>Cached arrays are never written to: a hit hands out the array itself, which must stay one reply's bytes.
 */
final class ClientSideCache {
    private static final int STRIPE_BITS = 12;
    /** Enough entries per segment for its LRU order to mean something. */
    private static final long MIN_SEGMENT_BYTES = 256L * RedisArrayStore.CHUNK;
    private static final int MAX_SEGMENTS = 16;

    private final long capacityBytes;
    private final Segment[] segments;
    private final AtomicLongArray versions = new AtomicLongArray(1 << STRIPE_BITS);
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder missNanos = new LongAdder();
    private final LongAdder bytesFetched = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    /** Off for good once the target can no longer hear invalidations (its connection is gone). */
    private volatile boolean enabled = true;

    ClientSideCache(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("client-side cache of " + capacityBytes + " bytes");
        }
        this.capacityBytes = capacityBytes;
        int n = (int) Math.clamp(Long.highestOneBit(Math.max(1, capacityBytes / MIN_SEGMENT_BYTES)), 1, MAX_SEGMENTS);
        segments = new Segment[n];
        for (int i = 0; i < n; i++) {
            segments[i] = new Segment(capacityBytes / n);
        }
    }

    long capacityBytes() {
        return capacityBytes;
    }

    /** The cached value of {@code key}, counted as a hit; null, counted as a miss, if there is none. */
    byte[] get(ByteBuffer key) {
        byte[] v = null;
        if (enabled) {
            Segment s = segment(stripe(key));
            synchronized (s) {
                Entry e = s.map.get(key);
                v = e == null ? null : e.value;
            }
        }
        (v == null ? misses : hits).increment();
        return v;
    }

    /** Taken before a GET of {@code key} is sent, for {@link #put} of its reply. */
    long stamp(ByteBuffer key) {
        return versions.get(stripe(key));
    }

    /**
     * Caches {@code value}, a GET's reply, unless a write or an invalidation of its stripe began since {@code stamp}
     * was taken; evicts the least recently used entries past the bound.
     */
    void put(ByteBuffer key, long stamp, byte[] value, int charge) {
        int stripe = stripe(key);
        Segment s = segment(stripe);
        if (charge > s.capacity) {
            return;
        }
        synchronized (s) {
            if (!enabled || versions.get(stripe) != stamp) {
                return;
            }
            Entry old = s.map.put(key, new Entry(value, charge));
            s.used += charge - (old == null ? 0 : old.charge);
            Iterator<Entry> eldest = s.map.values().iterator();
            while (s.used > s.capacity) {
                s.used -= eldest.next().charge;
                eldest.remove();
                evictions.increment();
            }
        }
    }

    /** Before a write of {@code key} is sent: a GET in flight from now on cannot cache its reply. */
    void beforeWrite(ByteBuffer key) {
        versions.incrementAndGet(stripe(key));
    }

    /** After a write of {@code key} has its reply (or failed): the copy goes, and so does any GET's in flight. */
    void afterWrite(ByteBuffer key) {
        invalidate(key);
    }

    /** The server says {@code key} changed. */
    void invalidate(ByteBuffer key) {
        int stripe = stripe(key);
        Segment s = segment(stripe);
        synchronized (s) {
            versions.incrementAndGet(stripe);
            Entry e = s.map.remove(key);
            if (e != null) {
                s.used -= e.charge;
            }
        }
    }

    /** The server flushed the database, or the cache can no longer trust what it holds. */
    void invalidateAll() {
        for (int i = 0; i < segments.length; i++) {
            Segment s = segments[i];
            synchronized (s) {
                for (int stripe = i; stripe < versions.length(); stripe += segments.length) {
                    versions.incrementAndGet(stripe);
                }
                s.map.clear();
                s.used = 0;
            }
        }
    }

    /** Empties the cache and keeps it empty: every read goes to Redis from now on. */
    void disable() {
        enabled = false;
        invalidateAll();
    }

    /** {@code count} misses that took {@code nanos} each (one batch) and brought {@code bytes} in all. */
    void fetched(int count, long nanos, long bytes) {
        missNanos.add(nanos * count);
        bytesFetched.add(bytes);
    }

    int entries() {
        int n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.map.size();
            }
        }
        return n;
    }

    long usedBytes() {
        long n = 0;
        for (Segment s : segments) {
            synchronized (s) {
                n += s.used;
            }
        }
        return n;
    }

    /** Hits, misses, their time, bytes fetched and evictions, in remem's record so the report reads them alike. */
    CacheStats stats() {
        return new CacheStats(hits.sum(), misses.sum(), 0, bytesFetched.sum(), 0, 0, evictions.sum(), 0, 0, 0, 0,
                missNanos.sum(), -1, 0, 0, 0, 0, 0);
    }

    /** The key's content hash, spread so that neighbouring chunk numbers land on different stripes. */
    private static int stripe(ByteBuffer key) {
        return key.hashCode() * 0x9E3779B9 >>> (Integer.SIZE - STRIPE_BITS);
    }

    /** Stripes map to segments by their low bits, so {@link #invalidateAll} can bump a segment's own stripes. */
    private Segment segment(int stripe) {
        return segments[stripe & (segments.length - 1)];
    }

    private record Entry(byte[] value, int charge) {}

    private static final class Segment {
        final long capacity;
        /** In access order: the head is the least recently used. */
        final LinkedHashMap<ByteBuffer, Entry> map = new LinkedHashMap<>(16, 0.75f, true);
        long used;

        Segment(long capacity) {
            this.capacity = capacity;
        }
    }
}
