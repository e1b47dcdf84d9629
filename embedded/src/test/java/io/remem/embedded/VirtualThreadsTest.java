package io.remem.embedded;

import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hundreds of virtual threads missing at once, over real TCP: none may pin its carrier while it waits (JFR's
 * {@code jdk.VirtualThreadPinned}, recorded with no threshold), and every value must check out.
 */
class VirtualThreadsTest {
    @TempDir
    Path dir;

    @Test
    void virtualThreadsWaitingOnMissesNeverPinTheirCarriers() throws Exception {
        try (EmbeddedCluster cluster = EmbeddedCluster.builder().nodes(2).nodeCapacity(64L << 20).slabShift(20).start();
             RememSession s = cluster.connect(RememOptions.builder().tenant("vthreads").cacheBytes(256 << 10).build());
             Recording recording = new Recording()) {
            recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            long words = (8L << 20) / 8;
            FarSegment seg = s.memory().allocate(words * 8);
            for (long w = 0; w < words; w += 512) {
                seg.set(ValueLayout.JAVA_LONG, w * 8, w);
            }
            s.memory().flush();
            recording.start();
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 256; t++) {
                // Made here, not in the thread: the first use of a JDK class initializes it, and virtual threads
                // waiting for another's class initializer pin their carriers. That is the JDK's, not remem's.
                SplittableRandom random = new SplittableRandom(t);
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 40; i++) {
                        long w = random.nextLong(words / 512) * 512;
                        if (seg.get(ValueLayout.JAVA_LONG, w * 8) != w) {
                            problems.add("word " + w);
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            recording.stop();
            Path file = dir.resolve("pinning.jfr");
            recording.dump(file);
            Set<Long> workers = new HashSet<>();
            threads.forEach(t -> workers.add(t.threadId()));
            List<String> pinned = new ArrayList<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                // Only the workload's threads count: the in-process memory nodes have virtual threads of their own.
                if (e.getThread() != null && workers.contains(e.getThread().getJavaThreadId())) {
                    pinned.add(e.getStackTrace() == null ? e.toString() : e.getStackTrace().getFrames().toString());
                }
            }
            assertThat(problems).isEmpty();
            assertThat(s.memory().stats().misses()).as("the threads really missed").isGreaterThan(1000);
            assertThat(pinned).as("virtual threads that pinned their carrier while blocked").isEmpty();
        }
    }
}
