package io.remem.bench.suite;

import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** One client of {@link HazelcastPeer}'s member, with or without a near cache; each store is a map of its own. */
final class HazelcastTarget implements Target {
    private static final AtomicLong SEQ = new AtomicLong();
    /** Map names unique per store even if two bench JVMs ever share a member. */
    private static final String PREFIX = "remem-" + ProcessHandle.current().pid() + "-";

    private final HazelcastInstance client;
    /** The very object the client runs on (it keeps the one it was given), so a near cache added here counts. */
    private final ClientConfig config;
    private final long nearCacheBytes;
    private final Consumer<HazelcastTarget> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();

    HazelcastTarget(HazelcastInstance client, ClientConfig config, long nearCacheBytes,
            Consumer<HazelcastTarget> onClose) {
        this.client = client;
        this.config = config;
        this.nearCacheBytes = nearCacheBytes;
        this.onClose = onClose;
    }

    @Override
    public String name() {
        return nearCacheBytes == 0 ? "hazelcast" : "hazelcast+near";
    }

    @Override
    public ArrayStore newArray(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("array of " + bytes + " bytes");
        }
        String name = PREFIX + "array-" + SEQ.incrementAndGet();
        IMap<Long, byte[]> map = openMap(name, HazelcastArrayStore.CHUNK);
        return new HazelcastArrayStore(map, bytes, () -> forget(name));
    }

    /** {@code capacity} does not matter: the map grows as records come. */
    @Override
    public RecordStore newRecords(RecordShape shape, long capacity) {
        String name = PREFIX + "records-" + SEQ.incrementAndGet();
        IMap<String, byte[]> map = openMap(name, shape.recordBytes());
        return new HazelcastRecordStore(map, shape, () -> forget(name));
    }

    /** The client, for tests that look at a map from outside its store. */
    HazelcastInstance client() {
        return client;
    }

    /**
     * A near cache sized in entries of this store ({@code entryBytes} each), which is why it is configured per map
     * name just before the first proxy is made: the client looks up a map's near-cache configuration when it
     * creates the map's proxy, in a concurrent map, so adding one to the running client's configuration works (the
     * test checks that the near cache is really there and bounded).
     */
    private <K> IMap<K, byte[]> openMap(String name, int entryBytes) {
        if (nearCacheBytes > 0) {
            int entries = Math.clamp(nearCacheBytes / entryBytes, 1, Integer.MAX_VALUE);
            config.addNearCacheConfig(new NearCacheConfig(name)
                    // OBJECT: a hit hands back the cached byte[] itself. BINARY would deserialize a fresh copy of
                    // the whole 4 KiB chunk (or record) on every hit, so a getLong would cost a 4 KiB allocation
                    // and copy. The stores only ever copy out of what they get, never into it.
                    .setInMemoryFormat(InMemoryFormat.OBJECT)
                    .setInvalidateOnChange(true)
                    .setEvictionConfig(new EvictionConfig()
                            .setEvictionPolicy(EvictionPolicy.LRU)
                            .setMaxSizePolicy(MaxSizePolicy.ENTRY_COUNT)
                            .setSize(entries)));
        }
        return client.getMap(name);
    }

    private void forget(String name) {
        config.getNearCacheConfigMap().remove(name);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            onClose.accept(this);
            client.shutdown();
        }
    }
}
