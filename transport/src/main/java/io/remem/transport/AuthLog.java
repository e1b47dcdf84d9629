package io.remem.transport;

import org.slf4j.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Logs refused handshakes without letting a flood of them flood the log: the first in each ten seconds is logged with
 * its reason, and the next line says how many were left out. Reasons name identities and causes, never secrets.
 */
final class AuthLog {
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final AtomicLong windowStart = new AtomicLong(System.nanoTime() - WINDOW_NANOS);
    private static final AtomicLong suppressed = new AtomicLong();

    private AuthLog() {}

    static void refused(Logger log, String remote, String reason) {
        long now = System.nanoTime();
        long start = windowStart.get();
        if (now - start >= WINDOW_NANOS && windowStart.compareAndSet(start, now)) {
            long skipped = suppressed.getAndSet(0);
            log.warn("refused a handshake from {}: {}{}", remote, reason,
                    skipped > 0 ? " (" + skipped + " more refused in the last 10 s were not logged)" : "");
        } else {
            suppressed.incrementAndGet();
        }
    }
}
