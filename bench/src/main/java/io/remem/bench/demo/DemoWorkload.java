package io.remem.bench.demo;

import io.remem.bench.Progress;
import io.remem.bench.ZipfGenerator;
import io.remem.client.CacheStats;
import io.remem.client.FarMemory;
import io.remem.client.FarSegment;
import org.HdrHistogram.Histogram;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code remem demo} workload: a far array of 64-byte records, several threads doing random reads and
 * writes, every read checked against what was last written. Each thread owns the records whose index is its
 * number modulo the thread count, so it knows exactly what each of its reads must return, while all threads
 * share every cache block.
 *
 * <p>Steps: populate every record (so later misses really fetch), a uniform phase, a Zipf(0.99) phase, then a
 * final pass that reads every record back after the cache has been turned over many times.
 */
public final class DemoWorkload {
    private static final int MAX_REPORTED_MISMATCHES = 10;

    private final FarMemory memory;
    private final DemoConfig config;
    private final Progress progress;
    private final ZipfGenerator zipf;
    private Worker[] workers;
    private final List<Mismatch> mismatches = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong mismatchCount = new AtomicLong();
    private final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());

    /** How one step went. */
    public record Phase(String name, long ops, long reads, long writes, double seconds, CacheStats stats,
                        Histogram latency) {
        public double opsPerSecond() {
            return seconds == 0 ? 0 : ops / seconds;
        }
    }

    /** A read that did not return what was written. */
    public record Mismatch(String phase, long record, int version, int word, long expected, long actual) {}

    /** Everything the demo measured and checked. */
    public record Result(DemoConfig config, List<Phase> phases, long verifiedReads, long mismatchCount,
                         List<Mismatch> mismatches, List<Throwable> errors) {
        public boolean passed() {
            return mismatchCount == 0 && errors.isEmpty() && verifiedReads > 0;
        }
    }

    public DemoWorkload(FarMemory memory, DemoConfig config, Progress progress) {
        this.memory = memory;
        this.config = config;
        this.progress = progress;
        this.zipf = ZipfGenerator.scrambled(config.records(), DemoConfig.ZIPF_THETA);
    }

    public Result run() {
        FarSegment array = memory.allocate(config.footprint());
        try {
            workers = new Worker[config.threads()];
            for (int t = 0; t < workers.length; t++) {
                workers[t] = new Worker(array, t);
            }
            List<Phase> phases = new ArrayList<>();
            phases.add(runStep("populate", workers, Step.POPULATE, 0));
            if (errors.isEmpty()) {
                long half = config.duration().toNanos() / 2;
                phases.add(runStep("uniform", workers, Step.UNIFORM, half));
                phases.add(runStep("zipf-0.99", workers, Step.ZIPF, config.duration().toNanos() - half));
                phases.add(runStep("verify-all", workers, Step.VERIFY, 0));
            }
            long verified = 0;
            for (Worker w : workers) {
                verified += w.verified;
            }
            return new Result(config, phases, verified, mismatchCount.get(), List.copyOf(mismatches), List.copyOf(errors));
        } finally {
            array.free();
        }
    }

    private enum Step { POPULATE, UNIFORM, ZIPF, VERIFY }

    private Phase runStep(String name, Worker[] workers, Step step, long nanos) {
        CacheStats before = memory.stats();
        long deadline = System.nanoTime() + nanos;
        for (Worker w : workers) {
            w.prepare(step, deadline);
        }
        boolean timed = step == Step.UNIFORM || step == Step.ZIPF;
        long max = timed ? Math.max(1, nanos / 1_000_000_000L) : config.records();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        try (Progress.Step bar = progress.start(String.format("%-10s", name), max, timed ? "s" : "records")) {
            for (Worker w : workers) {
                threads.add(Thread.ofPlatform().name("demo-" + name + "-" + w.id).start(w));
            }
            boolean running = true;
            while (running) {
                running = false;
                for (Thread t : threads) {
                    try {
                        t.join(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted", e);
                    }
                    running |= t.isAlive();
                }
                long done = 0;
                for (Worker w : workers) {
                    done += w.stepOps;
                }
                bar.stepTo(timed ? Math.min(max, (System.nanoTime() - start) / 1_000_000_000L) : Math.min(max, done));
            }
            if (step != Step.VERIFY && errors.isEmpty()) {
                memory.flush(); // each phase pays for its own write-back, and the next starts clean
            }
            bar.stepTo(max);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Histogram latency = new Histogram(3);
        long reads = 0;
        long writes = 0;
        for (Worker w : workers) {
            latency.add(w.latency);
            reads += w.reads;
            writes += w.writes;
        }
        return new Phase(name, reads + writes, reads, writes, seconds, memory.stats().minus(before), latency);
    }

    /** One thread's share: records {@code id, id + T, id + 2T, ...}, and the version each last got. */
    private final class Worker implements Runnable {
        final int id;
        final FarSegment array;
        final int[] versions;
        final long[] words = new long[Records.WORDS];
        final MemorySegment buffer = MemorySegment.ofArray(words);
        final SplittableRandom random;
        Histogram latency;
        Step step;
        long deadline;
        volatile long stepOps;
        long reads;
        long writes;
        long verified;

        Worker(FarSegment array, int id) {
            this.id = id;
            this.array = array;
            long total = config.records();
            int T = config.threads();
            this.versions = new int[(int) ((total - id + T - 1) / T)];
            this.random = new SplittableRandom(config.seed() * 31 + id);
        }

        void prepare(Step step, long deadline) {
            this.step = step;
            this.deadline = deadline;
            this.latency = new Histogram(3);
            this.reads = 0;
            this.writes = 0;
            this.stepOps = 0;
        }

        @Override
        public void run() {
            try {
                switch (step) {
                    case POPULATE -> {
                        for (int i = 0; i < versions.length; i++) {
                            write(i);
                            if ((i & 1023) == 0) {
                                stepOps = i;
                            }
                        }
                    }
                    case VERIFY -> {
                        // A contiguous range per thread, so the threads fetch different blocks in parallel
                        // instead of waiting on one another's misses; each record is checked against the
                        // version its owner wrote last.
                        long records = config.records();
                        long from = records * id / config.threads();
                        long to = records * (id + 1) / config.threads();
                        for (long slot = from; slot < to; slot++) {
                            Worker owner = workers[(int) (slot % config.threads())];
                            check(slot, owner.versions[(int) (slot / config.threads())], "verify-all");
                            if ((slot & 1023) == 0) {
                                stepOps = slot - from;
                            }
                        }
                    }
                    case UNIFORM, ZIPF -> {
                        String name = step == Step.UNIFORM ? "uniform" : "zipf";
                        long n = 0;
                        while ((n & 63) != 0 || System.nanoTime() < deadline) {
                            int local = step == Step.UNIFORM ? random.nextInt(versions.length) : zipfLocal();
                            if (random.nextDouble() < config.writeRatio()) {
                                write(local);
                            } else {
                                read(local, name);
                            }
                            n++;
                        }
                        stepOps = n;
                    }
                }
            } catch (Throwable t) {
                errors.add(t);
            }
        }

        /** A Zipf-popular record mapped onto this thread's share: the same neighbourhood, its own record. */
        private int zipfLocal() {
            long global = zipf.next(random);
            int local = (int) (global / config.threads());
            return Math.min(local, versions.length - 1);
        }

        private long slot(int local) {
            return (long) local * config.threads() + id;
        }

        private void write(int local) {
            long slot = slot(local);
            int version = versions[local] + 1;
            Records.fill(words, slot, version);
            long t0 = System.nanoTime();
            FarSegment.copy(buffer, 0, array, slot * DemoConfig.RECORD_BYTES, DemoConfig.RECORD_BYTES);
            latency.recordValue(System.nanoTime() - t0);
            versions[local] = version;
            writes++;
        }

        private void read(int local, String phase) {
            check(slot(local), versions[local], phase);
        }

        private void check(long slot, int version, String phase) {
            long t0 = System.nanoTime();
            FarSegment.copy(array, slot * DemoConfig.RECORD_BYTES, buffer, 0, DemoConfig.RECORD_BYTES);
            latency.recordValue(System.nanoTime() - t0);
            reads++;
            verified++;
            int bad = Records.firstMismatch(words, slot, version);
            if (bad >= 0) {
                if (mismatchCount.incrementAndGet() <= MAX_REPORTED_MISMATCHES) {
                    mismatches.add(new Mismatch(phase, slot, version, bad, Records.word(slot, version, bad), words[bad]));
                }
            }
        }
    }
}
