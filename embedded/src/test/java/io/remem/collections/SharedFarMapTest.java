package io.remem.collections;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A shared map between sessions: atomic read-modify-writes across them, and its limits stated as errors. */
class SharedFarMapTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(128L << 20).slabShift(20));

    private static RememSession session() {
        return cluster.connect(RememOptions.builder().tenant("shared-map").cacheBytes(256 << 10).build());
    }

    @Test
    void mergesAndPutIfAbsentFromTwoSessionsAreAtomic() throws Exception {
        try (RememSession a = session(); RememSession b = session();
             SharedFarMap<String, Long> ma = FarMap.open(a.memory(), "counters", Codec.utf8(), Codec.int64(), 64 << 10);
             SharedFarMap<String, Long> mb = FarMap.open(b.memory(), "counters", Codec.utf8(), Codec.int64())) {
            int perThread = 30;
            AtomicInteger firsts = new AtomicInteger();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (SharedFarMap<String, Long> m : List.of(ma, mb)) {
                for (int t = 0; t < 2; t++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        try {
                            for (int i = 0; i < perThread; i++) {
                                m.merge("hits", 1L, Long::sum);
                                if (m.putIfAbsent("first-" + (i % 5), (long) i) == null) {
                                    firsts.incrementAndGet();
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
            assertThat(mb.get("hits")).isEqualTo(4L * perThread);
            assertThat(firsts.get()).as("each key claimed once").isEqualTo(5);
            assertThat(ma.size()).isEqualTo(6);
            assertThat(ma.dataset().byteSize()).isEqualTo(64 << 10);
        }
    }

    @Test
    void anEntryThatDoesNotFitItsBucketIsRefusedAndTheMapIsUnchanged() {
        try (RememSession a = session();
             SharedFarMap<String, byte[]> m = FarMap.open(a.memory(), "small", Codec.utf8(), Codec.bytes(), 4096)) {
            m.put("a", new byte[2000]);
            assertThatThrownBy(() -> m.put("b", new byte[3000])).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("bucket of this key is full");
            assertThat(m.keySet()).containsExactly("a");
            assertThatThrownBy(() -> m.put(null, new byte[1])).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> FarMap.open(a.memory(), "tiny", Codec.utf8(), Codec.utf8(), 100))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bytes");
        }
    }
}
