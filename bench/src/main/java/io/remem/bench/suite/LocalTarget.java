package io.remem.bench.suite;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * All-local: the workload's data in a plain off-heap {@link MemorySegment} of this JVM, the baseline every
 * slowdown is measured against. Records go in the same {@link FarHashTable} remem's run uses, so the two runs
 * differ only in where the bytes live.
 */
public final class LocalTarget implements Target {
    @Override
    public String name() {
        return "all-local";
    }

    @Override
    public ArrayStore newArray(long bytes) {
        return new LocalArray(bytes);
    }

    @Override
    public RecordStore newRecords(RecordShape shape, long capacity) {
        return FarHashTable.create(this::newArray, shape, capacity);
    }

    @Override
    public void close() {}

    private static final class LocalArray implements ArrayStore {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment segment;

        LocalArray(long bytes) {
            this.segment = arena.allocate(bytes, 4096);
        }

        @Override
        public long byteSize() {
            return segment.byteSize();
        }

        @Override
        public void read(long offset, MemorySegment dst, long dstOffset, int length) {
            MemorySegment.copy(segment, offset, dst, dstOffset, length);
        }

        @Override
        public void write(long offset, MemorySegment src, long srcOffset, int length) {
            MemorySegment.copy(src, srcOffset, segment, offset, length);
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
        public void close() {
            arena.close();
        }
    }
}
