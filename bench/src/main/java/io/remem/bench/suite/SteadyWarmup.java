package io.remem.bench.suite;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When a warm-up has gone on long enough: at least the warm-up asked for, then until throughput holds steady, two
 * consecutive slices within {@value #TOLERANCE_PERCENT}% of each other, for at most {@value #MAX_FACTOR} times the
 * warm-up asked for. A cache warms at the speed of its misses, so a fixed warm-up that suits a 5% cache can leave
 * a 50% one still filling, and the run with more cache then measures slower than the one with less.
 */
final class SteadyWarmup {
    static final int TOLERANCE_PERCENT = 10;
    static final int MAX_FACTOR = 5;
    private static final long MIN_SLICE_NANOS = 100_000_000;

    private SteadyWarmup() {}

    /** The longest a warm-up of {@code asked} may take. */
    static Duration cap(Duration asked) {
        return asked.multipliedBy(MAX_FACTOR);
    }

    /**
     * Waits from {@code start} until the warm-up is over, watching the operations the threads count in {@code ops};
     * returns when it ended, on {@link System#nanoTime}'s scale.
     */
    static long await(long start, Duration asked, AtomicLongArray ops) {
        long minimum = asked.toNanos();
        if (minimum == 0) {
            return start;
        }
        long slice = Math.max(MIN_SLICE_NANOS, minimum / 4);
        long cap = cap(asked).toNanos();
        sleepUntil(start + minimum - Math.min(minimum, 2 * slice)); // so the first two slices end at the minimum
        long previous = -1;
        long now = System.nanoTime();
        while (true) {
            long before = total(ops);
            sleepUntil(now + slice);
            now = System.nanoTime();
            long rate = total(ops) - before;
            if (over(now - start, minimum, cap, previous, rate)) {
                return now;
            }
            previous = rate;
        }
    }

    /**
     * Whether a warm-up {@code elapsed} long, whose last two slices counted {@code previous} (negative: none yet) and
     * {@code rate} operations, is over.
     */
    static boolean over(long elapsed, long minimum, long cap, long previous, long rate) {
        return elapsed >= cap || elapsed >= minimum && previous >= 0 && steady(previous, rate);
    }

    /** Whether two slices' operation counts are within the tolerance of each other. */
    static boolean steady(long a, long b) {
        return Math.abs(a - b) * 100 <= (long) TOLERANCE_PERCENT * Math.max(a, b);
    }

    private static long total(AtomicLongArray ops) {
        long sum = 0;
        for (int i = 0; i < ops.length(); i++) {
            sum += ops.get(i);
        }
        return sum;
    }

    static void sleepUntil(long deadline) {
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            try {
                Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
