package io.remem.bench.suite;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Runs an operation on N platform threads for a warm-up and then a measured period, one latency sample per
 * operation. The warm-up lasts until throughput holds steady ({@link SteadyWarmup}). Every thread stops at the same
 * deadline; the first failure stops them all and is rethrown.
 */
final class Driver {
    /** One thread's work: a single operation per call; false when the thread has no more to do. */
    interface Op {
        boolean run() throws Exception;
    }

    record Timed(long ops, long nanos, Histogram latency) {}

    /** Told when the measured period starts ({@code true}) and ends, as {@link Target#measuring} is. */
    interface Measuring {
        void measuring(boolean on);
    }

    private Driver() {}

    static Timed timed(RunSettings s, Target target, IntFunction<Op> perThread) throws WorkloadCheckException {
        return timed(s, (Measuring) target::measuring, perThread);
    }

    static Timed timed(RunSettings s, Measuring target, IntFunction<Op> perThread) throws WorkloadCheckException {
        int n = s.threads();
        Histogram[] hist = Latencies.perThread(n);
        long[] ops = new long[n];
        long[] lastEnd = new long[n];
        AtomicLongArray warmOps = new AtomicLongArray(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        // Set once the warm-up is over; until then every operation counts as warm-up.
        AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
        AtomicLong end = new AtomicLong(Long.MAX_VALUE);
        List<Thread> threads = new ArrayList<>(n);
        for (int t = 0; t < n; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().name("workload-" + t).start(() -> {
                try {
                    Op op = perThread.apply(id);
                    Histogram h = hist[id];
                    long count = 0;
                    long warm = 0;
                    long now = System.nanoTime();
                    while (now < end.get() && failure.get() == null) {
                        if (!op.run()) {
                            break;
                        }
                        long after = System.nanoTime();
                        if (now >= measureFrom.get()) {
                            h.recordValue(after - now);
                            count++;
                        } else {
                            warmOps.lazySet(id, ++warm);
                        }
                        now = after;
                    }
                    ops[id] = count;
                    lastEnd[id] = now;
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        long from = s.untilSteady() ? SteadyWarmup.await(start, s.warmup(), warmOps) : start + s.warmup().toNanos();
        SteadyWarmup.sleepUntil(from);
        end.set(from + s.duration().toNanos());
        measureFrom.set(from);
        target.measuring(true);
        join(threads);
        target.measuring(false);
        rethrow(failure.get());
        // Up to the last operation's end: an operation in flight at the deadline is counted.
        long elapsed = 0;
        for (long e : lastEnd) {
            elapsed = Math.max(elapsed, e - from);
        }
        Histogram all = Latencies.merged(hist);
        long total = Arrays.stream(ops).sum();
        if (total == 0 || elapsed <= 0) {
            throw new IllegalStateException("no operation completed in the measured period (after a warm-up of "
                    + s.warmup().toMillis() + " ms): the workload ran out of work; make it larger or the warm-up shorter");
        }
        return new Timed(total, elapsed, all);
    }

    /** Runs {@code body(threadIndex)} on N threads and waits for all; the first failure is rethrown. */
    static void parallel(int n, ThreadBody body) throws WorkloadCheckException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>(n);
        for (int t = 0; t < n; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().name("workload-" + t).start(() -> {
                try {
                    body.run(id);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        join(threads);
        rethrow(failure.get());
    }

    interface ThreadBody {
        void run(int thread) throws Exception;
    }

    private static void join(List<Thread> threads) {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void rethrow(Throwable e) throws WorkloadCheckException {
        switch (e) {
            case null -> {}
            case WorkloadCheckException w -> throw w;
            case RuntimeException r -> throw r;
            case Error err -> throw err;
            default -> throw new IllegalStateException(e);
        }
    }
}
