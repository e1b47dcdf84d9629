package io.remem.collections;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads on one {@link FarMap} while its shards split under them: each thread's own keys must read back as the
 * thread wrote them, shared counters incremented with compare-and-set loops must add up exactly, and an iterating
 * thread must see every key that stays in the map exactly once per pass, in order, without exceptions. Timeouts
 * turn a deadlock into a failure.
 */
class FarMapConcurrencyTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(128L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("farmap-concurrency")
                    .cacheBytes(512 << 10).blockSize(1024).build());

    private static RememSession session() {
        return cluster.session();
    }

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void disjointWritersSharedCountersAndAnIteratorAgree() throws Exception {
        int threads = 8;
        int steps = 10_000;
        int counters = 16;
        int stable = 1000;
        try (FarMap<String, Long> map = FarMap.builder(session().memory(), Codec.utf8(), Codec.int64())
                .regionBytes(4096).build()) {
            for (int i = 0; i < stable; i++) {
                map.put("stable-" + i, (long) i);
            }
            AtomicBoolean running = new AtomicBoolean(true);
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads + 1, daemons());
            try {
                List<Future<Object[]>> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    workers.add(pool.submit(() -> {
                        go.await();
                        return work(map, id, steps, counters);
                    }));
                }
                Future<Integer> iterator = pool.submit(iterate(map, stable, running, go));
                go.countDown();
                long increments = 0;
                long own = 0;
                try {
                    for (Future<Object[]> f : workers) {
                        Object[] r = f.get();
                        increments += (Long) r[0];
                        own += (Integer) r[1];
                    }
                } finally {
                    running.set(false);
                }
                int passes = iterator.get();
                assertThat(passes).as("iteration passes").isPositive();

                long total = 0;
                for (int c = 0; c < counters; c++) {
                    Long v = map.get("counter-" + c);
                    total += v == null ? 0 : v;
                }
                assertThat(total).as("every increment counted once").isEqualTo(increments);
                assertThat(map.size()).as("size").isEqualTo(stable + counters + own);
                for (int i = 0; i < stable; i++) {
                    assertThat(map.get("stable-" + i)).isEqualTo(i);
                }
                assertThat(map.splits.sum()).as("splits happened meanwhile").isGreaterThan(10);
                System.out.printf("%d increments, %d iteration passes, %d shards, %d splits, %d compactions%n",
                        increments, passes, map.shardCount(), map.splits.sum(), map.compactions.sum());
            } finally {
                pool.shutdownNow(); // daemon threads: a stuck one cannot keep the test from failing
            }
        }
    }

    private static ThreadFactory daemons() {
        return r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        };
    }

    /** One thread's work; returns its counter increments and how many keys of its own it leaves in the map. */
    private static Object[] work(FarMap<String, Long> map, int id, int steps, int counters) {
        SplittableRandom random = new SplittableRandom(id);
        Map<String, Long> mine = new HashMap<>();
        long increments = 0;
        for (int step = 0; step < steps; step++) {
            String k = "t" + id + "-" + random.nextInt(1500);
            Long expected = mine.get(k);
            int op = random.nextInt(10);
            if (op < 4) {
                long v = random.nextLong();
                assertThat(map.put(k, v)).as("put %s", k).isEqualTo(expected);
                mine.put(k, v);
            } else if (op < 6) {
                assertThat(map.get(k)).as("get %s", k).isEqualTo(expected);
            } else if (op < 7) {
                assertThat(map.remove(k)).as("remove %s", k).isEqualTo(expected);
                mine.remove(k);
            } else if (op < 8) {
                long v = random.nextLong();
                assertThat(map.putIfAbsent(k, v)).as("putIfAbsent %s", k).isEqualTo(expected);
                mine.putIfAbsent(k, v);
            } else {
                String c = "counter-" + random.nextInt(counters);
                while (true) {
                    Long v = map.get(c);
                    if (v == null ? map.putIfAbsent(c, 1L) == null : map.replace(c, v, v + 1)) {
                        break;
                    }
                }
                increments++;
            }
        }
        for (int i = 0; i < 1500; i++) {
            String k = "t" + id + "-" + i;
            assertThat(map.get(k)).as("finally %s", k).isEqualTo(mine.get(k));
        }
        return new Object[] {increments, mine.size()};
    }

    /**
     * Passes over the key set while the writers run: keys strictly ascending in the documented order (so none twice),
     * and every stable key there. Returns the number of passes.
     */
    private static Callable<Integer> iterate(FarMap<String, Long> map, int stable, AtomicBoolean running,
                                             CountDownLatch go) {
        return () -> {
            go.await();
            int passes = 0;
            do {
                int seen = 0;
                long prevHash = 0;
                byte[] prev = null;
                for (String k : map.keySet()) {
                    byte[] key = k.getBytes(StandardCharsets.UTF_8);
                    long hash = KeyHash.hash(key);
                    if (prev != null) {
                        assertThat(KeyHash.compare(prevHash, prev, hash, key)).as("order at %s", k).isNegative();
                    }
                    prev = key;
                    prevHash = hash;
                    if (k.startsWith("stable-")) {
                        seen++;
                    }
                }
                assertThat(seen).as("stable keys in pass %d", passes).isEqualTo(stable);
                passes++;
            } while (running.get());
            return passes;
        };
    }

    /** Virtual threads and the ConcurrentMap defaults built on the map's atomic operations. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void virtualThreadsMergeExactly() throws Exception {
        int threads = 64;
        int each = 200;
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try (FarMap<Long, Long> map = FarMap.builder(session().memory(), Codec.int64(), Codec.int64())
                .regionBytes(4096).build()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        map.merge((long) (i % 50), 1L, Long::sum);
                        map.put(1_000_000L * (id + 1) + i, (long) i); // private keys, to split shards meanwhile
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            long total = 0;
            for (long k = 0; k < 50; k++) {
                total += map.get(k);
            }
            assertThat(total).isEqualTo((long) threads * each);
            assertThat(map.mappingCount()).isEqualTo(50 + (long) threads * each);
        } finally {
            pool.shutdownNow();
        }
    }
}
