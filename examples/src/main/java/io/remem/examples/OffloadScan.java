package io.remem.examples;

import io.remem.client.Aggregate;
import io.remem.client.OffloadMode;
import io.remem.collections.FarLongArray;
import io.remem.protocol.Filter;

/**
 * Scans that run where the data is: ten million longs in far memory, summed and filtered at the memory nodes
 * ({@link OffloadMode#NEAR}: only the answer crosses the network) and through the local cache ({@code PULL}), and
 * checked against the same sums computed here.
 */
public final class OffloadScan {
    private OffloadScan() {
    }

    public static void main(String[] args) {
        long n = 10_000_000;
        try (Connection c = Connection.open(args, 8L << 20);
             FarLongArray values = FarLongArray.allocate(c.session().memory(), n)) {
            long expectedSum = 0;
            long expectedBig = 0;
            for (long i = 0; i < n; i++) {
                long v = (i * 2_654_435_761L) % 1000;
                values.set(i, v);
                expectedSum += v;
                expectedBig += v > 900 ? 1 : 0;
            }
            Filter big = Filter.ofLong(Filter.Comparison.GT, 900);
            for (OffloadMode mode : new OffloadMode[] {OffloadMode.NEAR, OffloadMode.PULL}) {
                long start = System.nanoTime();
                Aggregate all = values.aggregate(0, n, Filter.all(), mode);
                Aggregate bigOnes = values.aggregate(0, n, big, mode);
                double ms = (System.nanoTime() - start) / 1e6;
                System.out.printf("%-4s: sum %d, %d values over 900, in %.1f ms%n", mode, all.longSum(),
                        bigOnes.count(), ms);
                if (all.longSum() != expectedSum || bigOnes.count() != expectedBig) {
                    throw new IllegalStateException(mode + " answered sum " + all.longSum() + ", count "
                            + bigOnes.count() + "; expected " + expectedSum + ", " + expectedBig);
                }
            }
        }
    }
}
