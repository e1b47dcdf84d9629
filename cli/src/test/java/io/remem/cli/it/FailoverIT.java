package io.remem.cli.it;

import io.remem.client.Aggregate;
import io.remem.client.Chased;
import io.remem.client.FarSegment;
import io.remem.client.NodeLayout;
import io.remem.client.OffloadMode;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.collections.Codec;
import io.remem.collections.FarLongArray;
import io.remem.collections.FarMap;
import io.remem.protocol.Filter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "A node's death is a pause, not an error", for every kind of request: many threads of near FarMap gets, reads and
 * writes through the cache, near chases, aggregates and selects, at 2 copies, while the memory node behind them is
 * SIGKILLed and then another is SIGSTOPped for 15 s. No thread may see an error or a wrong answer; no operation may
 * take longer than the node timeout plus a second; and the workload as a whole never stops for longer than the node
 * timeout.
 */
class FailoverIT {
    /** ProcessCluster's {@code --node-timeout}. */
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration STALL = Duration.ofSeconds(15);
    private static final int MAP_KEYS = 20_000;
    private static final int LIST_NODES = 400;
    private static final int NODE_BYTES = 32;
    private static final long ARRAY_LENGTH = 1L << 21; // 16 MiB: four 4 MiB slabs
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    @Test
    void nearGetsChasesAndAggregatesSeeNoErrorWhenTheirNodeIsKilledOrStalled() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 4, "128m", "--slab-size", "4m");
             RememSession s = cluster.connect(RememOptions.builder().tenant("failover")
                     .cacheBytes(2 << 20).failoverTimeout(Duration.ofSeconds(60)).build());
             Liveness liveness = new Liveness()) {
            Workers workers = new Workers(liveness);
            FarMap<Long, Long> readOnly = FarMap.builder(s.memory(), Codec.int64(), Codec.int64())
                    .expectedSize(MAP_KEYS).gets(OffloadMode.NEAR).build();
            for (long k = 0; k < MAP_KEYS; k++) {
                readOnly.set(k, k * 31 + 7);
            }
            FarMap<Long, Long> written = FarMap.create(s.memory(), Codec.int64(), Codec.int64(), MAP_KEYS);
            long listHead = buildList(s, new SplittableRandom(7));
            FarLongArray array = FarLongArray.allocate(s.memory(), ARRAY_LENGTH);
            for (long i = 0; i < ARRAY_LENGTH; i++) {
                array.set(i, i);
            }
            s.memory().flush();

            for (int t = 0; t < 3; t++) {
                workers.start("near map get", r -> {
                    long k = r.nextLong(MAP_KEYS + MAP_KEYS / 10); // a tenth absent
                    Long v = readOnly.get(k);
                    check(v == null ? k >= MAP_KEYS : k < MAP_KEYS && v == k * 31 + 7, "map get " + k + " -> " + v);
                });
            }
            for (int t = 0; t < 2; t++) {
                long base = t * (long) MAP_KEYS;
                long[] version = new long[1];
                workers.start("map put then get", r -> {
                    long k = base + r.nextLong(MAP_KEYS);
                    long v = ++version[0];
                    written.set(k, v);
                    Long got = written.get(k, OffloadMode.NEAR);
                    check(got != null && got == v, "map " + k + " holds " + got + ", expected " + v);
                });
            }
            workers.start("near chase", r -> {
                long key = r.nextLong(LIST_NODES + 20); // keys 0..LIST_NODES-1 are present
                Chased c = s.memory().offload().chase(listHead, NodeLayout.list(0, 8, NODE_BYTES), key, OffloadMode.NEAR);
                check(c.found() == key < LIST_NODES, "chase " + key + " found " + c.found());
                if (c.found()) {
                    ByteBuffer node = ByteBuffer.wrap(c.node()).order(ByteOrder.LITTLE_ENDIAN);
                    check(node.getLong(0) == key && node.getLong(24) == ~key, "chase " + key + " found the wrong node");
                }
            });
            workers.start("near aggregate and select", r -> {
                long from = r.nextLong(ARRAY_LENGTH - 1);
                long to = from + 1 + r.nextLong(Math.min(ARRAY_LENGTH - from, 1 << 20));
                Aggregate a = array.aggregate(from, to, Filter.all(), OffloadMode.NEAR);
                long n = to - from;
                check(a.count() == n && a.longSum() == (from + to - 1) * n / 2,
                        "aggregate [" + from + ", " + to + ") gave " + a);
                long[] hits = array.select(from, to, Filter.betweenLongs(from, from + 9), OffloadMode.NEAR);
                check(hits.length == Math.min(10, n) && hits[0] == from && hits[hits.length - 1] == from + hits.length - 1,
                        "select from " + from + " gave " + hits.length + " indexes");
            });
            FarSegment checked = s.memory().allocate(8L << 20);
            try (CheckedWorkload w = new CheckedWorkload(s, checked, false, liveness)) {
                workers.awaitProgress(2_000);

                // SIGKILL of a node holding replicas of everything above (4 nodes, 2 copies: each holds about half).
                liveness.reset();
                cluster.nodes().get(0).kill();
                workers.awaitProgress(2_000);
                cluster.awaitRepaired();
                workers.awaitProgress(500);
                report("SIGKILL", liveness);
                assertWithinLimits(liveness, cluster);

                // SIGSTOP of another: its sockets stay open and nothing answers.
                liveness.reset();
                RememProcess stalled = cluster.nodes().get(1);
                stalled.stop();
                long before = liveness.ops();
                Thread.sleep(STALL.toMillis());
                assertThat(liveness.ops()).as("operations during the stall").isGreaterThan(before);
                stalled.resume();
                workers.awaitProgress(2_000);
                report("SIGSTOP " + STALL.toSeconds() + " s", liveness);
                assertWithinLimits(liveness, cluster);

                workers.stopAndCheck();
                w.stopAndCheck();
            } finally {
                workers.stop();
            }
            for (long k = 0; k < MAP_KEYS; k += 97) {
                assertThat(readOnly.get(k)).isEqualTo(k * 31 + 7);
            }
            assertThat(array.aggregate(0, ARRAY_LENGTH, Filter.all(), OffloadMode.PULL).longSum())
                    .isEqualTo((ARRAY_LENGTH - 1) * ARRAY_LENGTH / 2);
        }
    }

    private static void assertWithinLimits(Liveness liveness, ProcessCluster cluster) {
        assertThat(liveness.longestOp().duration()).as("longest operation (%s)", liveness.longestOp().what())
                .isLessThanOrEqualTo(NODE_TIMEOUT.plusSeconds(1));
        assertThat(liveness.longestStall()).as("longest time with no operation completing")
                .isLessThanOrEqualTo(NODE_TIMEOUT);
    }

    private static void report(String fault, Liveness liveness) {
        System.out.printf("FailoverIT %s: longest operation %d ms (%s), longest time with none completing %d ms%n",
                fault, liveness.longestOp().duration().toMillis(), liveness.longestOp().what(),
                liveness.longestStall().toMillis());
    }

    /** A linked list with keys 0..LIST_NODES-1 in random order, its nodes spread over slabs and so over nodes. */
    private static long buildList(RememSession s, SplittableRandom r) {
        long[] keys = r.longs(0, LIST_NODES).distinct().limit(LIST_NODES).toArray();
        long next = 0;
        for (int i = keys.length - 1; i >= 0; i--) {
            FarSegment n = s.memory().allocate(NODE_BYTES);
            n.set(LE_LONG, 0, keys[i]);
            n.set(LE_LONG, 8, next);
            n.set(LE_LONG, 24, ~keys[i]);
            next = n.address();
            if (i % 40 == 0) {
                s.memory().allocate(1 << 20); // the next nodes land in another slab
            }
        }
        return next;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    /** Threads that each repeat one checked operation until stopped; the first error or wrong answer is kept. */
    private static final class Workers {
        private final Liveness liveness;
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean stop;

        Workers(Liveness liveness) {
            this.liveness = liveness;
        }

        void start(String what, Consumer<SplittableRandom> op) {
            SplittableRandom r = new SplittableRandom(threads.size());
            threads.add(Thread.ofPlatform().name(what + "-" + threads.size()).start(() -> {
                try {
                    while (!stop && failure.get() == null) {
                        long start = System.nanoTime();
                        op.accept(r);
                        liveness.record(what, start);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, new AssertionError(what + " failed", t));
                }
            }));
        }

        void awaitProgress(long more) throws InterruptedException {
            long target = liveness.ops() + more;
            long deadline = System.nanoTime() + ProcessCluster.START.toNanos();
            while (liveness.ops() < target && failure.get() == null && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(failure.get()).as("workload failure").isNull();
            assertThat(liveness.ops()).as("workload progress").isGreaterThanOrEqualTo(target);
        }

        void stopAndCheck() throws InterruptedException {
            stop();
            assertThat(failure.get()).as("workload failure").isNull();
        }

        void stop() throws InterruptedException {
            stop = true;
            for (Thread t : threads) {
                t.join(ProcessCluster.START.toMillis());
            }
        }
    }
}
