package io.remem.cli.it;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.collections.Codec;
import io.remem.collections.FarMap;
import io.remem.collections.SharedFarMap;
import io.remem.testkit.Linearizability;
import io.remem.testkit.Linearizability.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A shared FarMap used by three client JVMs at once while a memory node is SIGKILLed: every operation's invocation
 * and completion is recorded, and each key's history must be linearizable (Knossos-style search,
 * {@link Linearizability}). Also: a map written in one JVM is read by name in another.
 */
class SharedMapIT {
    private static final int CLIENTS = 3;
    private static final int KEYS = 8;
    private static final long MILLIS = 9_000;

    @TempDir
    Path dir;

    @Test
    void everyKeysHistoryFromThreeJvmsIsLinearizableThroughAMemoryNodeKill() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3, "64m", "--slab-size", "1m");
             RememSession s = cluster.connect(RememOptions.builder().tenant("shared").cacheBytes(1 << 20).replication(2).build());
             SharedFarMap<String, Long> created = FarMap.open(s.memory(), "ledger", Codec.utf8(), Codec.int64(), 1 << 20)) {
            List<RememProcess> clients = new ArrayList<>();
            try {
                for (int i = 1; i <= CLIENTS; i++) {
                    clients.add(RememProcess.start("map-ops-" + i, dir.resolve("logs"), MapOps.class.getName(),
                            Map.of("REMEM_SECRET", new String(cluster.secretOf("shared").reveal())),
                            cluster.controllerAddress(), "shared", "ledger", Integer.toString(i), Long.toString(MILLIS),
                            Integer.toString(KEYS)));
                }
                for (RememProcess c : clients) {
                    c.await("^OP ", ProcessCluster.START);
                }
                Thread.sleep(MILLIS / 3);
                cluster.nodes().get(1).kill();
                for (RememProcess c : clients) {
                    assertThat(c.awaitExit(Duration.ofMillis(MILLIS).plus(ProcessCluster.START))).as(c.output()).isZero();
                }
            } finally {
                for (RememProcess c : clients) {
                    c.close();
                }
            }
            Map<String, List<Op>> byKey = new HashMap<>();
            int unknown = 0;
            for (RememProcess c : clients) {
                for (String line : c.output().split("\n")) {
                    if (line.startsWith("OP ")) {
                        String[] f = line.split(" ");
                        Op op = new Op(f[1], Linearizability.Kind.valueOf(f[2]), num(f[4]), num(f[5]), num(f[6]),
                                Long.parseLong(f[7]), Long.parseLong(f[8]), true);
                        if (!Boolean.parseBoolean(f[9])) {
                            op = op.unknown();
                            unknown++;
                        }
                        byKey.computeIfAbsent(f[3], k -> new ArrayList<>()).add(op);
                    }
                }
            }
            int total = byKey.values().stream().mapToInt(List::size).sum();
            assertThat(byKey).hasSize(KEYS);
            for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
                long t0 = System.nanoTime();
                Linearizability.Result r = Linearizability.check(e.getValue(), null);
                assertThat(r.linearizable()).as("key %s: %d operations, stuck after %d at %s", e.getKey(),
                        e.getValue().size(), r.placed(), r.stuckAt()).isTrue();
                System.out.printf("SharedMapIT: key %s, %d operations linearizable (checked in %d ms)%n", e.getKey(),
                        e.getValue().size(), (System.nanoTime() - t0) / 1_000_000);
            }
            System.out.printf("SharedMapIT: %d operations from %d JVMs, %d of unknown outcome, a memory node killed%n",
                    total, CLIENTS, unknown);
            assertThat(total).as("enough operations to mean something").isGreaterThan(300);
            assertThat(created.size()).as("what the clients left, read here").isBetween(1, KEYS);
        }
    }

    private static Long num(String s) {
        return s.equals("-") ? null : Long.valueOf(s);
    }
}
