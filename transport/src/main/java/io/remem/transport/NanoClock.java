package io.remem.transport;

/**
 * Where monotonic time comes from, for links and the runtime's cache and failover: {@link System#nanoTime()} in production, a hand-driven clock in
 * tests that need a timeout or a deadline to pass without waiting for it (as Netty's {@code IdleStateHandler} lets
 * its tests move time).
 */
@FunctionalInterface
public interface NanoClock {
    NanoClock SYSTEM = System::nanoTime;

    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long nanoTime();
}
