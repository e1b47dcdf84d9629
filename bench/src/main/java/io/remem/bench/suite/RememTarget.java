package io.remem.bench.suite;

import io.remem.client.CacheStats;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/** remem: one client session with its own local cache, against a cluster's memory nodes. */
public final class RememTarget implements Target {
    private static final AtomicInteger TENANTS = new AtomicInteger();

    private final String name;
    private final RememSession session;
    private final boolean farMap;

    /** @param farMap YCSB's records in a {@link io.remem.collections.FarMap} rather than the suite's own far hash table */
    RememTarget(String name, RememCluster cluster, RememOptions options, boolean farMap) {
        this.name = name;
        this.farMap = farMap;
        this.session = cluster.connect(options.toBuilder().tenant("bench-" + TENANTS.incrementAndGet()).build());
    }

    @Override
    public String name() {
        return name;
    }

    public CacheStats stats() {
        return session.memory().stats();
    }

    private volatile CacheStats measureStart;
    private volatile CacheStats measured;

    @Override
    public void measuring(boolean on) {
        if (on) {
            measureStart = stats();
        } else if (measureStart != null) {
            measured = stats().minus(measureStart);
        }
    }

    /** The cache's counters over the workload's measured period; null before one has ended. */
    @Override
    public CacheStats measuredStats() {
        return measured;
    }

    public long cacheBytes() {
        return session.memory().cacheBytes();
    }

    @Override
    public ArrayStore newArray(long bytes) {
        return new FarArray(session, session.memory().allocate(bytes));
    }

    @Override
    public RecordStore newRecords(RecordShape shape, long capacity) {
        return farMap ? new FarMapRecordStore(session.memory(), shape, capacity)
                : FarHashTable.create(this::newArray, shape, capacity);
    }

    @Override
    public void close() {
        session.close();
    }

    private record FarArray(RememSession session, FarSegment segment) implements ArrayStore {
        @Override
        public long byteSize() {
            return segment.byteSize();
        }

        @Override
        public void read(long offset, MemorySegment dst, long dstOffset, int length) {
            FarSegment.copy(segment, offset, dst, dstOffset, length);
        }

        @Override
        public void write(long offset, MemorySegment src, long srcOffset, int length) {
            FarSegment.copy(src, srcOffset, segment, offset, length);
        }

        @Override
        public long getLong(long offset) {
            return segment.get(ValueLayout.JAVA_LONG, offset);
        }

        @Override
        public void setLong(long offset, long value) {
            segment.set(ValueLayout.JAVA_LONG, offset, value);
        }

        @Override
        public void gather(long[] offsets, int count, long[] out) {
            segment.gather(ValueLayout.JAVA_LONG, offsets, count, out);
        }

        @Override
        public void flush() {
            session.memory().flush();
        }

        @Override
        public void close() {
            segment.free();
        }
    }
}
