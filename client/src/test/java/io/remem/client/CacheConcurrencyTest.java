package io.remem.client;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads, platform and virtual, hammer a cache of a few frames. Thread {@code t} owns the words whose
 * index is {@code t} modulo the thread count, so threads share every line and block but never a byte; each
 * checks its own reads against its own model. Write-backs fail now and then. At the end, far memory must hold
 * every thread's last write.
 */
class CacheConcurrencyTest {
    private static final int THREADS = 8;
    private static final long FAR = 32 << 10;
    private static final long WORDS = FAR / 8;

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(strings = {"platform", "virtual"})
    void threadsSharingLinesNeverSeeOrLoseAnotherThreadsWrite(String kind) throws Exception {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, 512, new SplittableRandom(7));
             LocalCache cache = new LocalCache(new CacheConfig(512, 6, 1, 2, Duration.ofSeconds(30)), backend)) {
            backend.failBatches(0.05);
            FarSegment seg = new FarSegment(cache, new Allocation(null, 0, FAR), 0, FAR);
            long[][] models = new long[THREADS][(int) (WORDS / THREADS)];
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                Runnable work = () -> {
                    SplittableRandom random = new SplittableRandom(id);
                    long[] model = models[id];
                    try {
                        for (int step = 0; step < 20_000; step++) {
                            int local = random.nextInt(model.length);
                            long off = ((long) local * THREADS + id) * 8;
                            if (random.nextBoolean()) {
                                long v = random.nextLong();
                                seg.set(ValueLayout.JAVA_LONG, off, v);
                                model[local] = v;
                            } else {
                                long got = seg.get(ValueLayout.JAVA_LONG, off);
                                if (got != model[local]) {
                                    problems.add("thread " + id + " step " + step + ": word " + off / 8
                                            + " is " + got + ", expected " + model[local]);
                                    return;
                                }
                            }
                        }
                    } catch (Throwable e) {
                        problems.add("thread " + id + ": " + e);
                    }
                };
                threads.add(kind.equals("virtual") ? Thread.ofVirtual().start(work) : Thread.ofPlatform().start(work));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(problems).isEmpty();
            backend.failBatches(0);
            CacheModelTest.flushUntilClean(cache);
            MemorySegment far = MemorySegment.ofArray(backend.snapshot(0, (int) FAR));
            for (int t = 0; t < THREADS; t++) {
                for (int local = 0; local < models[t].length; local++) {
                    long off = ((long) local * THREADS + t) * 8;
                    assertThat(far.get(ValueLayout.JAVA_LONG_UNALIGNED, off)).as("thread %d word %d", t, off / 8)
                            .isEqualTo(models[t][local]);
                }
            }
            CacheStats stats = cache.stats();
            assertThat(stats.accesses()).isEqualTo(THREADS * 20_000L);
            assertThat(stats.evictions()).isPositive();
        }
    }
}
