package io.remem.examples;

import io.remem.client.CacheStats;
import io.remem.client.FarMemory;
import io.remem.client.FarSegment;

import java.lang.foreign.ValueLayout;

/**
 * Far memory as a {@code MemorySegment}: 64 MiB of longs behind an 8 MiB local cache. Writes every word, reads them
 * all back, and checks each; the cache statistics show what crossed the network.
 */
public final class HelloFarMemory {
    private HelloFarMemory() {
    }

    public static void main(String[] args) {
        long bytes = 64L << 20;
        try (Connection c = Connection.open(args, 8L << 20)) {
            FarMemory memory = c.session().memory();
            FarSegment far = memory.allocate(bytes);          // replicated across memory nodes; freed with the session
            for (long off = 0; off < bytes; off += 8) {
                far.set(ValueLayout.JAVA_LONG, off, off * 31);
            }
            long mismatches = 0;
            for (long off = 0; off < bytes; off += 8) {
                if (far.get(ValueLayout.JAVA_LONG, off) != off * 31) {
                    mismatches++;
                }
            }
            far.force();                                      // every dirty line written back to every copy
            CacheStats s = memory.stats();
            System.out.printf("wrote and read back %d MiB through an 8 MiB cache: %d mismatches, hit rate %.3f,"
                    + " %d MiB fetched, %d MiB written back%n", bytes >> 20, mismatches, s.hitRate(),
                    s.bytesFetched() >> 20, s.bytesWrittenBack() >> 20);
            if (mismatches != 0) {
                throw new IllegalStateException(mismatches + " words read back wrong");
            }
        }
    }
}
