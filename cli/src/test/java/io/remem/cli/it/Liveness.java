package io.remem.cli.it;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What an application would feel during a fault: the longest single operation, and the longest time in which no
 * operation of any thread completed (throughput at zero). Workload threads call {@link #record} after each operation;
 * a watcher thread samples the count.
 */
final class Liveness implements AutoCloseable {
    private static final long SAMPLE_NANOS = 5_000_000;

    private final AtomicLong ops = new AtomicLong();
    private final AtomicReference<Op> longest = new AtomicReference<>(new Op("nothing", 0));
    private final AtomicLong longestGap = new AtomicLong();
    private final Thread watcher;
    private volatile boolean closed;

    record Op(String what, long nanos) {
        Duration duration() {
            return Duration.ofNanos(nanos);
        }
    }

    Liveness() {
        watcher = Thread.ofPlatform().daemon().name("liveness").start(this::watch);
    }

    /** One operation of kind {@code what}, begun at {@code startNanos}, completed now. */
    void record(String what, long startNanos) {
        long took = System.nanoTime() - startNanos;
        ops.incrementAndGet();
        Op prev = longest.get();
        while (took > prev.nanos() && !longest.compareAndSet(prev, new Op(what, took))) {
            prev = longest.get();
        }
    }

    long ops() {
        return ops.get();
    }

    /** Forgets the longest operation and gap so far, to measure one fault on its own. */
    void reset() {
        longest.set(new Op("nothing", 0));
        longestGap.set(0);
    }

    Op longestOp() {
        return longest.get();
    }

    /** The longest interval in which no operation completed. */
    Duration longestStall() {
        return Duration.ofNanos(longestGap.get());
    }

    private void watch() {
        long seen = ops.get();
        long since = System.nanoTime();
        while (!closed) {
            try {
                Thread.sleep(Duration.ofNanos(SAMPLE_NANOS));
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            long n = ops.get();
            if (n != seen) {
                seen = n;
                since = now;
            }
            long gap = now - since;
            if (gap > longestGap.get()) {
                longestGap.set(gap);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
    }
}
