package io.remem.cli.it;

import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarSegment;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;

import java.lang.foreign.ValueLayout;

/**
 * An application in a JVM of its own that uses dataset {@code args[2]} of tenant {@code args[1]} (secret in
 * {@code REMEM_SECRET}) at the controller {@code args[0]}: {@code write SEED BYTES} creates it if need be and fills
 * every 4 KiB block with values drawn from SEED; {@code check SEED} opens it and checks every block. Either then says
 * so and holds the dataset open until its standard input closes.
 */
public final class UsesDataset {
    private UsesDataset() {}

    static long value(long seed, long block) {
        return seed * 0x9E3779B97F4A7C15L + block * 31 + 7;
    }

    public static void main(String[] args) throws Exception {
        String secret = System.getenv("REMEM_SECRET");
        String mode = args[3];
        long seed = Long.parseLong(args[4]);
        try (RememSession s = Remem.connect(args[0], RememOptions.builder().tenant(args[1])
                .secret(secret.toCharArray()).cacheBytes(1 << 20).build());
             Dataset d = s.memory().dataset(args[2], mode.equals("write")
                     ? DatasetOptions.create(Long.parseLong(args[5])) : DatasetOptions.open())) {
            FarSegment seg = d.segment();
            long blocks = seg.byteSize() / 4096;
            if (mode.equals("write")) {
                for (long b = 0; b < blocks; b++) {
                    seg.set(ValueLayout.JAVA_LONG, b * 4096, value(seed, b));
                    seg.set(ValueLayout.JAVA_LONG, b * 4096 + 4088, ~value(seed, b));
                }
                s.memory().flush();
                System.out.println("wrote " + blocks + " blocks of " + d);
            } else {
                for (long b = 0; b < blocks; b++) {
                    long head = seg.get(ValueLayout.JAVA_LONG, b * 4096);
                    long tail = seg.get(ValueLayout.JAVA_LONG, b * 4096 + 4088);
                    if (head != value(seed, b) || tail != ~value(seed, b)) {
                        System.out.println("MISMATCH in block " + b + ": " + head + "/" + ~tail + ", expected "
                                + value(seed, b));
                        System.exit(3);
                    }
                }
                System.out.println("verified " + blocks + " blocks of " + d);
            }
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the test closes our input
            }
        }
        System.out.println("closed");
    }
}
