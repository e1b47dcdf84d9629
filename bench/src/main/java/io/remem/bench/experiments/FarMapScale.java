package io.remem.bench.experiments;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.collections.Codec;
import io.remem.collections.FarMap;
import io.remem.embedded.EmbeddedCluster;

import java.util.SplittableRandom;

/**
 * A scale check of {@link FarMap}: loads N entries of a fixed value size through a 256 MiB cache into two memory
 * nodes in this JVM, then checks 100,000 random gets, a full iteration and {@code size()}. Run with
 * {@code java -cp cli/target/remem.jar io.remem.bench.experiments.FarMapScale ENTRIES VALUE_BYTES}.
 */
public final class FarMapScale {
    private FarMapScale() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: FarMapScale ENTRIES VALUE_BYTES");
            System.exit(1);
        }
        long entries = Long.parseLong(args[0]);
        int valueBytes = Integer.parseInt(args[1]);
        if (entries < 1 || valueBytes < 2) {
            throw new IllegalArgumentException("ENTRIES must be positive and VALUE_BYTES at least 2");
        }
        long capacity = entries * (valueBytes + 64) / 2 + (1L << 30);
        try (EmbeddedCluster c = EmbeddedCluster.builder().nodes(2).nodeCapacity(capacity).start();
             RememSession s = c.connect(RememOptions.builder().tenant("scale").cacheBytes(256L << 20).build());
             FarMap<Long, byte[]> map = FarMap.create(s.memory(), Codec.int64(), Codec.bytes(), entries)) {
            long t0 = System.nanoTime();
            byte[] v = new byte[valueBytes];
            for (long k = 0; k < entries; k++) {
                v[0] = (byte) k;
                v[valueBytes - 1] = (byte) (k >>> 8);
                map.set(k, v);
                if (k % 500_000 == 0) {
                    System.out.printf("%,d entries, %.1f s%n", k, (System.nanoTime() - t0) / 1e9);
                }
            }
            s.memory().flush();
            System.out.printf("loaded %,d entries (%,d bytes of values) in %.1f s; size() = %,d%n", entries,
                    entries * valueBytes, (System.nanoTime() - t0) / 1e9, map.mappingCount());
            SplittableRandom r = new SplittableRandom(1);
            int gets = 100_000;
            long t1 = System.nanoTime();
            for (int i = 0; i < gets; i++) {
                long k = r.nextLong(entries);
                byte[] got = map.get(k);
                if (got == null || got.length != valueBytes || got[0] != (byte) k || got[valueBytes - 1] != (byte) (k >>> 8)) {
                    throw new IllegalStateException("key " + k + " read back wrong");
                }
            }
            System.out.printf("%,d random gets checked, %.1f us each%n", gets, (System.nanoTime() - t1) / 1e3 / gets);
            long n = 0;
            for (Long ignored : map.keySet()) {
                n++;
            }
            if (n != entries || map.mappingCount() != entries) {
                throw new IllegalStateException("iteration saw " + n + " keys, size() " + map.mappingCount());
            }
            System.out.printf("iteration visited %,d keys; size() %,d%n", n, map.mappingCount());
        }
    }
}
