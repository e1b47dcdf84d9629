package io.remem.transport;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether a thread waiting for a memory node's answer may spin on its socket before blocking in it.
 *
 * <p>Blocking costs a wake-up when the answer comes, and across CPUs in a VM that wake-up is most of a loopback
 * round trip (about 55 µs against 5 µs on one CPU). Spinning saves it, but only when the spinner takes a CPU nobody
 * else needs. So a waiter spins only with more than one CPU to run on (on one, it would hold the very CPU the answer
 * needs) and only while it is the one thread of its process waiting for any answer. Several waiters mean a loaded
 * process, where a spinner takes CPU from threads doing useful work: measured, four threads on two CPUs lost
 * 30-40% of their throughput and gained a millisecond-scale p99 when every leader spun.
 */
public final class SpinGate {
    /** The gate every link of this process shares. */
    public static final SpinGate PROCESS = new SpinGate(Runtime.getRuntime().availableProcessors());

    private final boolean spareCpu;
    private final AtomicInteger waiters = new AtomicInteger();

    SpinGate(int cpus) {
        this.spareCpu = cpus > 1;
    }

    /** A thread starts waiting for an answer. */
    void enter() {
        waiters.incrementAndGet();
    }

    /** ... and has it (or gave up). */
    void exit() {
        waiters.decrementAndGet();
    }

    /** Whether a waiter may spin now: a CPU to spare, and no other thread of the process waiting. */
    boolean maySpin() {
        return spareCpu && waiters.get() <= 1;
    }
}
