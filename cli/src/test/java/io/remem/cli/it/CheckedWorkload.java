package io.remem.cli.it;

import io.remem.client.FarSegment;
import io.remem.client.RememSession;

import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A workload that runs on its own thread while a test kills processes: it writes versioned values into random
 * blocks of a far segment, reads back random blocks and checks them against its own model, and counts with a far
 * atomic add. Any mismatch or error stops it and fails {@link #stopAndCheck}.
 */
final class CheckedWorkload implements AutoCloseable {
    static final int BLOCK = 4096;

    private final RememSession session;
    private final FarSegment data;
    private final FarSegment counter;
    private final long[] versions;
    private final Thread thread;
    private final AtomicLong ops = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final boolean allocates;
    private final Liveness liveness;
    private volatile boolean stop;
    private long adds;

    /** @param allocates also allocate, write and free small segments now and then (exercises the controller) */
    CheckedWorkload(RememSession session, FarSegment data, boolean allocates) {
        this(session, data, allocates, null);
    }

    /** @param liveness told of every operation, to measure pauses; null: not measured */
    CheckedWorkload(RememSession session, FarSegment data, boolean allocates, Liveness liveness) {
        this.session = session;
        this.liveness = liveness;
        this.data = data;
        this.counter = session.memory().allocate(64);
        this.versions = new long[(int) (data.byteSize() / BLOCK)];
        this.allocates = allocates;
        for (int b = 0; b < versions.length; b++) { // every block starts with a known value
            write(b, 0);
        }
        this.thread = Thread.ofPlatform().name("checked-workload").start(this::run);
    }

    static long value(long block, long version) {
        return block * 1_000_003L + version * 7 + 1;
    }

    private void write(int block, long version) {
        data.set(ValueLayout.JAVA_LONG, (long) block * BLOCK, value(block, version));
        data.set(ValueLayout.JAVA_LONG, (long) block * BLOCK + BLOCK - 8, ~value(block, version));
        versions[block] = version;
    }

    private void check(int block) {
        long want = value(block, versions[block]);
        long head = data.get(ValueLayout.JAVA_LONG, (long) block * BLOCK);
        long tail = data.get(ValueLayout.JAVA_LONG, (long) block * BLOCK + BLOCK - 8);
        if (head != want || tail != ~want) {
            throw new AssertionError("block " + block + " holds " + head + "/" + ~tail + ", expected " + want
                    + " (version " + versions[block] + ")");
        }
    }

    private void run() {
        SplittableRandom r = new SplittableRandom(42);
        try {
            for (long i = 1; !stop; i++) {
                long start = System.nanoTime();
                write(r.nextInt(versions.length), i);
                check(r.nextInt(versions.length));
                if (i % 16 == 0) {
                    counter.getAndAddAtNode(0, 1);
                    adds++;
                }
                if (allocates && i % 512 == 0) {
                    FarSegment small = session.memory().allocate(1 << 20);
                    small.set(ValueLayout.JAVA_LONG, 8, i);
                    assertThat(small.get(ValueLayout.JAVA_LONG, 8)).isEqualTo(i);
                    small.free();
                }
                ops.incrementAndGet();
                if (liveness != null) {
                    liveness.record("checked write, read and add", start);
                }
            }
        } catch (Throwable t) {
            failure.set(t);
        }
    }

    long ops() {
        return ops.get();
    }

    /** Waits until the workload has done {@code more} operations beyond now, or failed. */
    void awaitProgress(long more) throws InterruptedException {
        long target = ops() + more;
        long deadline = System.nanoTime() + ProcessCluster.START.toNanos();
        while (ops() < target && failure.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(failure.get()).as("workload failure").isNull();
        assertThat(ops()).as("workload progress").isGreaterThanOrEqualTo(target);
    }

    /** Stops the workload, then checks every block and the counter against the model. */
    void stopAndCheck() throws InterruptedException {
        stop = true;
        thread.join(ProcessCluster.START.toMillis());
        assertThat(thread.isAlive()).as("workload stopped").isFalse();
        assertThat(failure.get()).as("workload failure").isNull();
        checkAll();
    }

    /** Every block and the counter as the model says; the session's small cache makes most of these far reads. */
    void checkAll() {
        for (int b = 0; b < versions.length; b++) {
            check(b);
        }
        assertThat(counter.getAtNode(0)).as("far atomic adds, each applied exactly once").isEqualTo(adds);
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(ProcessCluster.START.toMillis());
    }
}
