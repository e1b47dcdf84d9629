package io.remem.embedded;

import io.remem.client.Acquisition;
import io.remem.client.CommitConflictException;
import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarRange;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Coherent datasets (MRSW and MRMW) between sessions over real TCP, two copies of every slab: commits are atomic to
 * readers, none is lost, reads are monotonic, conflicts abort, and the checks that guard the API.
 */
class CoherenceTest {
    private static final long MIB = 1 << 20;
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(96L << 20).slabShift(20));

    private static RememSession session(String tenant) {
        return cluster.connect(RememOptions.builder().tenant(tenant).cacheBytes(256 << 10).replication(2).build());
    }

    private static DatasetOptions create(long bytes, DatasetMode mode) {
        return DatasetOptions.create(bytes).mode(mode);
    }

    /**
     * Writers in two sessions commit a value to two ranges at once, either side of a slab boundary (so in two stripes,
     * two slabs, two write-backs); readers in both sessions read across both in one read and must see one value
     * throughout, never going back.
     */
    @Test
    void mrswCommitsAreWholeToReadersAndNoneIsLost() throws Exception {
        long bytes = 4 * MIB;
        long first = MIB - 8192;
        long second = MIB; // the next slab and another stripe
        try (RememSession a = session("mrsw"); RememSession b = session("mrsw");
             Dataset da = a.memory().dataset("pair", create(bytes, DatasetMode.MRSW));
             Dataset db = b.memory().dataset("pair", DatasetOptions.open())) {
            assertThat(db.mode()).isEqualTo(DatasetMode.MRSW);
            assertThat(db.byteSize()).isEqualTo(bytes);
            int perWriter = 40;
            AtomicBoolean writing = new AtomicBoolean(true);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            AtomicLong reads = new AtomicLong();
            List<Thread> writers = new ArrayList<>();
            List<Thread> readers = new ArrayList<>();
            for (Dataset d : List.of(da, db)) {
                for (int t = 0; t < 2; t++) {
                    writers.add(Thread.ofPlatform().start(() -> {
                        try {
                            for (int i = 0; i < perWriter; i++) {
                                try (Acquisition acq = d.acquire(new FarRange(first, 8192), new FarRange(second, 8192))) {
                                    long next = acq.buffer(0).get(ValueLayout.JAVA_LONG, 0) + 1;
                                    assertThat(acq.buffer(1).get(ValueLayout.JAVA_LONG, 0)).isEqualTo(next - 1);
                                    for (int r = 0; r < 2; r++) {
                                        MemorySegment buf = acq.buffer(r);
                                        for (long off = 0; off < 8192; off += 8) {
                                            buf.set(ValueLayout.JAVA_LONG, off, next);
                                        }
                                    }
                                    acq.commit();
                                }
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }));
                }
                readers.add(Thread.ofPlatform().start(() -> {
                    try {
                        long last = 0;
                        MemorySegment both = MemorySegment.ofArray(new long[2048]);
                        while (writing.get()) {
                            d.read(first, both);
                            long v = both.get(ValueLayout.JAVA_LONG, 0);
                            for (long off = 0; off < 16384; off += 8) {
                                assertThat(both.get(ValueLayout.JAVA_LONG, off)).as("one commit in one read, at %d", off)
                                        .isEqualTo(v);
                            }
                            assertThat(v).as("monotonic reads").isGreaterThanOrEqualTo(last);
                            last = v;
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : writers) {
                t.join();
            }
            writing.set(false);
            for (Thread t : readers) {
                t.join();
            }
            assertThat(failures).isEmpty();
            assertThat(reads.get()).isPositive();
            assertThat(db.readLong(first)).as("every commit counted once").isEqualTo(4L * perWriter);
            assertThat(da.readLong(second + 8184)).isEqualTo(4L * perWriter);
        }
    }

    @Test
    void mrmwWritersThatRetryOnConflictLoseNoIncrement() throws Exception {
        try (RememSession a = session("mrmw"); RememSession b = session("mrmw");
             Dataset da = a.memory().dataset("counter", create(MIB, DatasetMode.MRMW));
             Dataset db = b.memory().dataset("counter", DatasetOptions.open())) {
            int perWriter = 40;
            AtomicLong conflicts = new AtomicLong();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> writers = new ArrayList<>();
            for (Dataset d : List.of(da, db)) {
                for (int t = 0; t < 2; t++) {
                    writers.add(Thread.ofPlatform().start(() -> {
                        try {
                            for (int i = 0; i < perWriter; ) {
                                try (Acquisition acq = d.acquire(4096, 8)) {
                                    acq.buffer().set(ValueLayout.JAVA_LONG, 0, acq.buffer().get(ValueLayout.JAVA_LONG, 0) + 1);
                                    acq.commit();
                                    i++;
                                } catch (CommitConflictException e) {
                                    conflicts.incrementAndGet();
                                }
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }));
                }
            }
            for (Thread t : writers) {
                t.join();
            }
            assertThat(failures).isEmpty();
            assertThat(da.readLong(4096)).isEqualTo(4L * perWriter);
            System.out.printf("CoherenceTest: %d MRMW commits, %d conflicts retried%n", 4 * perWriter, conflicts.get());
        }
    }

    @Test
    void twoHandlesOfOneDatasetInOneSessionStillExcludeEachOther() throws Exception {
        try (RememSession a = session("mrsw");
             Dataset first = a.memory().dataset("handles", create(64 << 10, DatasetMode.MRSW));
             Dataset second = a.memory().dataset("handles", DatasetOptions.open())) {
            int perThread = 50;
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (Dataset d : List.of(first, second)) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            try (Acquisition acq = d.acquire(0, 8)) {
                                acq.buffer().set(ValueLayout.JAVA_LONG, 0, acq.buffer().get(ValueLayout.JAVA_LONG, 0) + 1);
                                acq.commit();
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures).isEmpty();
            assertThat(first.readLong(0)).isEqualTo(2L * perThread);
        }
    }

    @Test
    void anMrmwCommitAfterAnotherToTheSameStripeIsRefusedAndAppliesNothing() {
        try (RememSession a = session("mrmw"); RememSession b = session("mrmw");
             Dataset da = a.memory().dataset("race", create(64 << 10, DatasetMode.MRMW));
             Dataset db = b.memory().dataset("race", DatasetOptions.open())) {
            Acquisition first = da.acquire(0, 16);
            Acquisition second = db.acquire(8, 16); // overlaps: both read it as zeros
            second.buffer().set(ValueLayout.JAVA_LONG, 0, 22);
            second.commit();
            first.buffer().set(ValueLayout.JAVA_LONG, 0, 11);
            first.buffer().set(ValueLayout.JAVA_LONG, 8, 11);
            assertThatThrownBy(first::commit).isInstanceOf(CommitConflictException.class)
                    .hasMessageContaining("acquire again");
            assertThat(da.readLong(0)).as("nothing of the refused commit").isZero();
            assertThat(da.readLong(8)).isEqualTo(22);
            try (Acquisition again = da.acquire(0, 16)) {
                assertThat(again.buffer().get(ValueLayout.JAVA_LONG, 8)).isEqualTo(22);
                again.buffer().set(ValueLayout.JAVA_LONG, 0, 11);
                again.commit();
            }
            assertThat(db.readLong(0)).isEqualTo(11);
        }
    }

    @Test
    void anMrswRangeHeldByAnEndedSessionIsTakenOverAndItsUncommittedBytesNeverShow() {
        try (RememSession a = session("mrsw");
             Dataset da = a.memory().dataset("held", create(64 << 10, DatasetMode.MRSW))) {
            RememSession gone = session("mrsw");
            Dataset dg = gone.memory().dataset("held", DatasetOptions.open());
            Acquisition theirs = dg.acquire(0, 64);
            theirs.buffer().set(ValueLayout.JAVA_LONG, 0, 99); // never committed
            gone.close(); // its lease ends with the stripe still locked
            try (Acquisition mine = da.acquire(0, 64)) {
                assertThat(mine.buffer().get(ValueLayout.JAVA_LONG, 0)).isZero();
                mine.buffer().set(ValueLayout.JAVA_LONG, 0, 7);
                mine.commit();
            }
            assertThat(da.readLong(0)).isEqualTo(7);
        }
    }

    @Test
    void theApiSaysWhatEachModeAllows() {
        try (RememSession a = session("api");
             Dataset plain = a.memory().dataset("plain", DatasetOptions.create(64 << 10));
             Dataset coherent = a.memory().dataset("coherent", create(10_000, DatasetMode.MRSW))) {
            assertThat(plain.mode()).isEqualTo(DatasetMode.NONE);
            assertThatThrownBy(() -> plain.acquire(0, 8)).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("mode NONE");
            assertThatThrownBy(() -> plain.read(0, MemorySegment.ofArray(new long[1])))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThat(coherent.byteSize()).as("rounded up to 4 KiB").isEqualTo(12288);
            assertThatThrownBy(coherent::segment).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("acquire()");
            assertThatThrownBy(() -> coherent.acquire(12288 - 8, 16)).isInstanceOf(IndexOutOfBoundsException.class)
                    .hasMessageContaining("outside dataset");
            assertThatThrownBy(() -> coherent.read(-1, MemorySegment.ofArray(new long[1])))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> new FarRange(0, 0)).isInstanceOf(IllegalArgumentException.class);
            Acquisition acq = coherent.acquire(0, 8);
            Thread other = Thread.ofPlatform().unstarted(() -> assertThatThrownBy(acq::commit)
                    .isInstanceOf(WrongThreadException.class));
            other.start();
            assertThat(joined(other)).isTrue();
            assertThatThrownBy(() -> coherent.acquire(0, 8)).as("nested in the same stripe")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("no nested acquisitions");
            acq.close();
            assertThatThrownBy(acq::commit).isInstanceOf(IllegalStateException.class);
        }
        try (RememSession big = session("api");
             Dataset large = big.memory().dataset("large", create(8 * MIB, DatasetMode.MRMW))) {
            assertThatThrownBy(() -> large.acquire(0, 4 * MIB)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("commit log");
        }
    }

    @Test
    void aReadGrantReadsCommitsButCannotAcquire() {
        try (RememSession owner = session("owner-c"); RememSession reader = session("reader-c");
             Dataset mine = owner.memory().dataset("shared", create(64 << 10, DatasetMode.MRSW))) {
            owner.memory().grantDataset("shared", "reader-c", DatasetAccess.READ);
            try (Acquisition acq = mine.acquire(128, 8)) {
                acq.buffer().set(ValueLayout.JAVA_LONG, 0, 5);
                acq.commit();
            }
            try (Dataset theirs = reader.memory().dataset("owner-c", "shared", DatasetOptions.open())) {
                assertThat(theirs.readLong(128)).isEqualTo(5);
                assertThatThrownBy(() -> theirs.acquire(0, 8)).isInstanceOf(UnsupportedOperationException.class)
                        .hasMessageContaining("reading only");
            }
        }
    }

    private static boolean joined(Thread t) {
        try {
            t.join(10_000);
            return !t.isAlive();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
