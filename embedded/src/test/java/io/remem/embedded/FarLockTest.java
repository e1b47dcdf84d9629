package io.remem.embedded;

import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarLock;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Far locks between sessions sharing a dataset, over real TCP: mutual exclusion for data read and written through
 * each session's cache, and a lock whose holder's session ended taken over.
 */
class FarLockTest {
    private static final long LOCK = 0;
    private static final long COUNTER = 64; // a line of its own
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(64L << 20).slabShift(20));

    private static RememSession session() {
        return cluster.connect(RememOptions.builder().tenant("locks").cacheBytes(256 << 10).build());
    }

    @Test
    void twoSessionsIncrementingThroughTheirCachesUnderTheLockLoseNoIncrement() throws Exception {
        int perThread = 150;
        try (RememSession a = session(); RememSession b = session();
             Dataset da = a.memory().dataset("counter", DatasetOptions.create(64 << 10));
             Dataset db = b.memory().dataset("counter", DatasetOptions.open())) {
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (RememSession s : List.of(a, b)) {
                FarSegment seg = (s == a ? da : db).segment();
                FarLock lock = s.memory().lock(seg, LOCK);
                for (int t = 0; t < 2; t++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        try {
                            for (int i = 0; i < perThread; i++) {
                                lock.lock();
                                try {
                                    seg.refresh(COUNTER, 8); // what the last holder wrote, not a stale cached copy
                                    seg.set(ValueLayout.JAVA_LONG, COUNTER, seg.get(ValueLayout.JAVA_LONG, COUNTER) + 1);
                                    seg.force(COUNTER, 8);
                                } finally {
                                    lock.unlock();
                                }
                            }
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    }));
                }
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(failures).isEmpty();
            da.segment().refresh(COUNTER, 8);
            assertThat(da.segment().get(ValueLayout.JAVA_LONG, COUNTER)).isEqualTo(4L * perThread);
            assertThat(da.segment().getAtNode(LOCK)).as("free again").isZero();
        }
    }

    @Test
    void aLockWhoseHolderSessionEndedIsTakenOverAndItsFormerHolderCannotUnlockIt() {
        try (RememSession a = session();
             Dataset da = a.memory().dataset("held", DatasetOptions.create(64 << 10))) {
            RememSession gone = session();
            Dataset dg = gone.memory().dataset("held", DatasetOptions.open());
            FarLock theirs = gone.memory().lock(dg.segment(), LOCK);
            theirs.lock();
            assertThat(theirs.isHeldBySession()).isTrue();
            FarLock mine = a.memory().lock(da.segment(), LOCK);
            assertThat(mine.tryLock(Duration.ofMillis(700))).as("held by a live session").isFalse();
            gone.close(); // its lease ends: the lock word still names it
            assertThat(mine.tryLock(Duration.ofSeconds(10))).as("taken over from the ended session").isTrue();
            assertThat(mine.isHeldBySession()).isTrue();
            mine.unlock();
            assertThat(da.segment().getAtNode(LOCK)).isZero();
            assertThatThrownBy(mine::unlock).isInstanceOf(IllegalMonitorStateException.class);
        }
    }
}
