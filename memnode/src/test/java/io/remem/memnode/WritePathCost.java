package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * What a write costs on a memory node's hot path, without the network: runs of 64 bytes and 4 KiB, and FAA, at random
 * offsets of a 16 MiB slab, one thread, in anonymous memory and in a data directory. Not a test; run by hand with the
 * test classpath ({@code java -cp ... io.remem.memnode.WritePathCost [dir]}). It uses only the API the slab store had
 * before at-rest checksums, so the same source measures both.
 */
public final class WritePathCost {
    private static final long MIB = 1L << 20;
    private static final long SIZE = 16 * MIB;
    private static final int ROUNDS = 7;
    private static final long ROUND_NANOS = 500_000_000L;

    private WritePathCost() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory(args.length > 0 ? Path.of(args[0]) : Path.of("/tmp"), "write-cost");
        try (SlabFiles files = SlabFiles.open(dir)) {
            SlabStore memory = new SlabStore(64 * MIB);
            SlabStore mapped = new SlabStore(64 * MIB, files);
            memory.create(1, SIZE, "bench");
            mapped.create(1, SIZE, "bench");
            for (String op : new String[] {"write64", "write4k", "faa"}) {
                report("memory", op, measure(memory.get(1), op));
                report("data-dir", op, measure(mapped.get(1), op));
            }
            memory.clear();
            mapped.clear();
        }
    }

    private static void report(String where, String op, double[] nanos) {
        Arrays.sort(nanos);
        System.out.printf("%-9s %-8s median %6.1f ns/op  (min %6.1f, max %6.1f)%n", where, op, nanos[nanos.length / 2],
                nanos[0], nanos[nanos.length - 1]);
    }

    /** Nanoseconds per operation in each round after a warm-up round. */
    static double[] measure(Slab slab, String op) {
        int length = op.equals("write4k") ? 4096 : 64;
        byte[] bytes = new byte[length];
        new SplittableRandom(1).nextBytes(bytes);
        ByteBuf src = Unpooled.wrappedBuffer(bytes);
        slab.backRange(0, (int) SIZE);
        SplittableRandom random = new SplittableRandom(2);
        double[] out = new double[ROUNDS];
        for (int round = -1; round < ROUNDS; round++) {
            long ops = 0;
            long start = System.nanoTime();
            long end = start + ROUND_NANOS;
            long now;
            do {
                for (int i = 0; i < 1024; i++) {
                    long at = random.nextLong(SIZE - length) & ~63L;
                    if (op.equals("faa")) {
                        slab.getAndAdd(at, 1);
                    } else {
                        slab.write(at, src, 0, length);
                    }
                }
                ops += 1024;
                now = System.nanoTime();
            } while (now < end);
            if (round >= 0) {
                out[round] = (double) (now - start) / ops;
            }
        }
        return out;
    }
}
