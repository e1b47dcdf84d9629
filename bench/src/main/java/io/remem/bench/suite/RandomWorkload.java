package io.remem.bench.suite;

import io.remem.cli.Units;
import io.remem.bench.ZipfGenerator;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Kona's microbenchmark: random reads and writes of one item of 8 B to 4 KiB over a far array, items chosen
 * uniformly or by Zipf(0.99), a configurable share of them reads.
 *
 * <p>Checks: every word read is valid for its place ({@link WordPattern}); a thread writes only the items it owns
 * (item mod threads) and remembers the generation it wrote, so a read of an owned item must see exactly that; and
 * after the run the whole array is read back and every word must hold its item's last generation.
 */
public final class RandomWorkload implements Workload {
    private static final double THETA = 0.99;

    private final long footprint;
    private final int itemBytes;
    private final boolean zipf;
    private final double readRatio;
    private final long seed;

    public RandomWorkload(long footprint, int itemBytes, boolean zipf, double readRatio, long seed) {
        if (itemBytes < 8 || itemBytes > 4096 || itemBytes % 8 != 0) {
            throw new IllegalArgumentException("item size " + itemBytes + ": must be a multiple of 8 from 8 to 4096");
        }
        if (!(readRatio >= 0 && readRatio <= 1)) {
            throw new IllegalArgumentException("read ratio " + readRatio + ": must be from 0 to 1");
        }
        long items = footprint / itemBytes;
        if (items < 64 || items > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("footprint " + Units.bytes(footprint) + " holds " + items + " items of "
                    + itemBytes + " B; need from 64 to 2^31-1");
        }
        this.footprint = items * itemBytes;
        this.itemBytes = itemBytes;
        this.zipf = zipf;
        this.readRatio = readRatio;
        this.seed = seed;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "random %s %d B %.0f%% reads", zipf ? "zipf" : "uniform", itemBytes, readRatio * 100);
    }

    @Override
    public String family() {
        return "random";
    }

    @Override
    public long footprint() {
        return footprint;
    }

    @Override
    public String footprintNote() {
        return Units.bytes(footprint) + ": one array of " + Units.count(footprint / itemBytes) + " items of " + itemBytes + " B";
    }

    @Override
    public String unit() {
        return "ops";
    }

    @Override
    public RunResult run(Target target, RunSettings s) throws WorkloadCheckException {
        int items = (int) (footprint / itemBytes);
        int threads = s.threads();
        if (items < threads) {
            throw new IllegalArgumentException(items + " items for " + threads + " threads");
        }
        ZipfGenerator zipfGen = zipf ? zipf(items) : null;
        int[] written = new int[items]; // the generation each item's owner last wrote; 0 as loaded
        try (ArrayStore store = target.newArray(footprint)) {
            WordPattern.load(store);
            Driver.Timed t = Driver.timed(s, target, id -> {
                SplittableRandom rnd = new SplittableRandom(seed * 31 + id);
                MemorySegment buf = MemorySegment.ofArray(new long[itemBytes / 8]);
                int[] counter = {0};
                return () -> {
                    long item = zipfGen != null ? zipfGen.next(rnd) : rnd.nextLong(items);
                    if (rnd.nextDouble() < readRatio) {
                        store.read(item * itemBytes, buf, 0, itemBytes);
                        boolean owned = item % threads == id;
                        checkRead(buf, item, owned, owned ? written[(int) item] : 0);
                    } else {
                        long own = item - item % threads + id;
                        if (own >= items) {
                            own -= threads;
                        }
                        int gen = ++counter[0] * threads + id + 1;
                        WordPattern.fill(buf, itemBytes, own * itemBytes / 8, gen);
                        store.write(own * itemBytes, buf, 0, itemBytes);
                        written[(int) own] = gen;
                    }
                    return true;
                };
            });
            verifyAll(store, written);
            return new RunResult(t.ops(), t.nanos(), t.latency(), "every read valid; final contents exact");
        }
    }

    private ZipfGenerator zipfGenerator;

    /** Made once: its constant takes a second to compute for millions of items. */
    private synchronized ZipfGenerator zipf(int items) {
        if (zipfGenerator == null) {
            zipfGenerator = ZipfGenerator.scrambled(items, THETA);
        }
        return zipfGenerator;
    }

    private void checkRead(MemorySegment buf, long item, boolean owned, int expected) throws WorkloadCheckException {
        long firstWord = item * itemBytes / 8;
        if (WordPattern.invalid(buf, itemBytes, firstWord) != 0) {
            throw new WorkloadCheckException(name() + ": item " + item + " read back invalid words");
        }
        if (owned) {
            for (int i = 0; i < itemBytes; i += 8) {
                int g = WordPattern.generation(buf.get(ValueLayout.JAVA_LONG, i));
                if (g != expected) {
                    throw new WorkloadCheckException(name() + ": item " + item + " read generation " + g
                            + " after its owner wrote " + expected);
                }
            }
        }
    }

    private void verifyAll(ArrayStore store, int[] written) throws WorkloadCheckException {
        MemorySegment buf = MemorySegment.ofArray(new long[8192]);
        for (long off = 0; off < footprint; off += buf.byteSize()) {
            int len = (int) Math.min(buf.byteSize(), footprint - off);
            store.read(off, buf, 0, len);
            for (int i = 0; i < len; i += 8) {
                long word = (off + i) / 8;
                long expected = WordPattern.encode(word, written[(int) ((off + i) / itemBytes)]);
                long actual = buf.get(ValueLayout.JAVA_LONG, i);
                if (actual != expected) {
                    throw new WorkloadCheckException(String.format(Locale.ROOT,
                            "%s: after the run, word %d holds %016x, expected %016x", name(), word, actual, expected));
                }
            }
        }
    }
}
