package io.remem.cli.it;

import io.remem.client.Acquisition;
import io.remem.client.CommitConflictException;
import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarRange;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.DatasetMode;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * An application in a JVM of its own that commits to coherent dataset {@code args[2]} (mode {@code args[3]}, created
 * at {@link #BYTES} if need be) as tenant {@code args[1]} at controller {@code args[0]}: {@code args[4]} commits (0:
 * until its standard input closes), the n-th writing value {@code args[5] + n} to every word of both {@link #RANGES},
 * which straddle a slab boundary at 1 MiB slabs. Prints {@code committed V} once each commit returned, and {@code done}.
 * With {@code args[6]}, it first grows the dataset to that many bytes and commits to {@link #grownRanges} instead,
 * past the dataset's first end.
 */
public final class Commits {
    static final long BYTES = 4L << 20;
    static final FarRange[] RANGES = {new FarRange((1 << 20) - 8192, 8192), new FarRange(1 << 20, 8192)};

    private Commits() {}

    /** Two ranges past {@link #BYTES} of a dataset grown to {@code bytes}: right after the old end, and at the new end. */
    static FarRange[] grownRanges(long bytes) {
        return new FarRange[] {new FarRange(BYTES + 4096, 8192), new FarRange(bytes - 8192, 8192)};
    }

    public static void main(String[] args) throws Exception {
        long count = Long.parseLong(args[4]);
        long first = Long.parseLong(args[5]);
        Thread watcher = Thread.ofPlatform().daemon().start(() -> {
            try {
                while (System.in.read() >= 0) {
                    // keep reading until the test closes our input
                }
            } catch (IOException e) {
                // treat as closed
            }
        });
        try (RememSession s = Remem.connect(args[0], RememOptions.builder().tenant(args[1])
                .secret(System.getenv("REMEM_SECRET").toCharArray()).cacheBytes(1 << 20).build());
             Dataset d = s.memory().dataset(args[2], DatasetOptions.create(BYTES).growable()
                     .mode(DatasetMode.valueOf(args[3].toUpperCase(Locale.ROOT))))) {
            FarRange[] ranges = RANGES;
            if (args.length > 6) {
                long grown = Long.parseLong(args[6]);
                System.out.println("grew to " + d.grow(grown));
                ranges = grownRanges(grown);
            }
            for (long n = 0; count == 0 ? watcher.isAlive() : n < count; n++) {
                long v = first + n;
                while (true) {
                    try (Acquisition a = d.acquire(ranges)) {
                        fill(a.buffer(0), v);
                        fill(a.buffer(1), v);
                        a.commit();
                        break;
                    } catch (CommitConflictException e) {
                        // another writer first: redo
                    }
                }
                System.out.println("committed " + v);
                System.out.flush();
            }
            System.out.println("done");
            System.out.flush();
        }
    }

    static void fill(MemorySegment buffer, long v) {
        for (long off = 0; off < buffer.byteSize(); off += 8) {
            buffer.set(ValueLayout.JAVA_LONG, off, v);
        }
    }

    /**
     * Reads both ranges in one read and returns their value, failing if they do not hold one value throughout: a
     * reader saw part of a commit.
     */
    static long readWhole(Dataset d) {
        MemorySegment both = MemorySegment.ofArray(new byte[16384]);
        d.read(RANGES[0].offset(), both);
        long v = both.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        for (long off = 0; off < both.byteSize(); off += 8) {
            long w = both.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
            if (w != v) {
                throw new AssertionError("a read saw part of a commit: " + v + " at 0, " + w + " at " + off);
            }
        }
        return v;
    }
}
