package io.remem.client;

import io.remem.transport.NanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.IntToDoubleFunction;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps a reserve of free frames between two watermarks, off the critical path (Fastswap): when fewer than
 * {@code low} frames are free it sweeps, by the eviction policy, until {@code high} are free (see
 * {@link Evictor#sweep}).
 *
 * <p>Between sweeps it measures the cache's hit time, for the average memory access time in the stats.
 */
final class Reclaimer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Reclaimer.class);
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long CALIBRATE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final FrameTable table;
    private final Evictor evictor;
    /** Measures the hit path over this many reads: nanoseconds per read, or -1 if it could not. */
    private final IntToDoubleFunction calibrate;
    private final NanoClock clock;
    private final int low;
    private final int high;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean wakeRequested;
    private volatile double hitNanos = -1;
    private long lastCalibration;

    private final boolean reclaiming;

    /** @param reclaiming false: only measure the hit time (misses evict inline) */
    Reclaimer(FrameTable table, Evictor evictor, IntToDoubleFunction calibrate, NanoClock clock, int low, int high,
              boolean reclaiming) {
        this.table = table;
        this.evictor = evictor;
        this.calibrate = calibrate;
        this.clock = clock;
        this.low = low;
        this.high = high;
        this.reclaiming = reclaiming;
        this.thread = Thread.ofPlatform().daemon().name("remem-reclaimer").unstarted(this::run);
    }

    void start() {
        // The first measurement one interval from now, not at once: measuring pins a frame for a few milliseconds,
        // which can cut short a prefetch stream that is just starting (PrefetchTest saw it on cold JVMs).
        lastCalibration = clock.nanoTime();
        thread.start();
    }

    Thread thread() {
        return thread;
    }

    int lowWatermark() {
        return low;
    }

    int highWatermark() {
        return high;
    }

    /** Asks for a sweep now; cheap enough to call on every miss that finds the reserve low. */
    void wake() {
        if (!wakeRequested) {
            wakeRequested = true;
            LockSupport.unpark(thread);
        }
    }

    /** The hit time measured last, in nanoseconds; -1 before the first measurement. */
    double hitNanos() {
        return hitNanos;
    }

    private void run() {
        while (!closed) {
            try {
                if (!wakeRequested && (!reclaiming || table.freeCount() >= low)) {
                    LockSupport.parkNanos(this, IDLE_NANOS);
                }
                wakeRequested = false;
                if (closed) {
                    break;
                }
                if (reclaiming && table.freeCount() < high && !evictor.sweep(high)) {
                    // Nothing could be freed (every frame busy, pinned or filling): do not spin on it.
                    LockSupport.parkNanos(this, TimeUnit.MICROSECONDS.toNanos(200));
                }
                long now = clock.nanoTime();
                if (now - lastCalibration > CALIBRATE_EVERY_NANOS) {
                    lastCalibration = now;
                    double measured = calibrate.applyAsDouble(4096);
                    if (measured >= 0) {
                        hitNanos = hitNanos < 0 ? measured : 0.8 * hitNanos + 0.2 * measured;
                    }
                }
            } catch (IllegalStateException e) {
                if (!closed) {
                    log.warn("reclaimer", e);
                }
            } catch (Throwable e) {
                // Whatever it was (even an OutOfMemoryError), a dead reclaimer would stall every miss: carry on.
                log.warn("reclaimer pass failed; retrying", e);
                LockSupport.parkNanos(IDLE_NANOS);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
