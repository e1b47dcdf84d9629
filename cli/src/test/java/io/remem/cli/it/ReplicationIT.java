package io.remem.cli.it;

import io.remem.client.FarSegment;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.ClusterStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replication, failover, re-replication, restart and drain, with every process in its own JVM and every kill a
 * SIGKILL. A checked workload runs throughout; no acknowledged write may be lost and no atomic applied twice.
 */
class ReplicationIT {
    @TempDir
    Path dir;

    private static RememSession connect(ProcessCluster cluster, String tenant) {
        return cluster.connect( RememOptions.builder().tenant(tenant)
                .cacheBytes(1 << 20).failoverTimeout(Duration.ofSeconds(60)).build());
    }

    private static long slabsOn(ClusterStatus s, long nodeId) {
        return s.nodes().stream().filter(n -> n.nodeId() == nodeId).findFirst().orElseThrow().slabs();
    }

    @Test
    void aKillMidWorkloadLosesNothingAndNeitherDoesASecondKillAfterReReplication() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3, "96m", "--slab-size", "4m");
             RememSession s = connect(cluster, "replicated")) {
            FarSegment data = s.memory().allocate(24L << 20); // 6 slabs, 2 copies each by default
            try (CheckedWorkload w = new CheckedWorkload(s, data, false)) {
                w.awaitProgress(20_000);
                RememProcess first = cluster.nodes().get(0);
                long firstId = cluster.nodeId(first);
                first.kill();
                w.awaitProgress(20_000);
                ClusterStatus repaired = cluster.awaitRepaired();
                assertThat(slabsOn(repaired, firstId)).as("the dead node holds nothing any more").isZero();
                assertThat(repaired.repair().copiedSlabs()).as("slabs copied to restore the factor").isPositive();

                RememProcess second = cluster.nodes().get(1);
                second.kill();
                w.awaitProgress(20_000);
                w.stopAndCheck();
            }
            ClusterStatus end = cluster.status();
            assertThat(end.repair().unavailable()).as("every slab still has a live replica").isZero();
        }
    }

    @Test
    void aStalledNodeIsAPauseForWritersOnlyAndAnErrorForNoOne() throws Exception {
        Duration nodeTimeout = Duration.ofSeconds(3); // ProcessCluster's
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3, "96m", "--slab-size", "4m");
             RememSession s = connect(cluster, "stalled");
             Liveness liveness = new Liveness()) {
            FarSegment data = s.memory().allocate(24L << 20);
            try (CheckedWorkload w = new CheckedWorkload(s, data, false, liveness)) {
                w.awaitProgress(10_000);
                RememProcess stalled = cluster.nodes().get(0);
                long id = cluster.nodeId(stalled);
                liveness.reset();
                stalled.stop(); // SIGSTOP: connections stay open, nothing answers
                cluster.awaitStatus(st -> st.nodes().stream().anyMatch(n -> n.nodeId() == id && !n.alive()),
                        "node " + id + " declared dead");
                long before = w.ops();
                Thread.sleep(nodeTimeout.toMillis());
                assertThat(w.ops()).as("operations after the stalled node was failed").isGreaterThan(before);
                ClusterStatus repaired = cluster.awaitRepaired();
                assertThat(slabsOn(repaired, id)).as("the stalled node holds nothing any more").isZero();
                System.out.printf("ReplicationIT SIGSTOP: longest operation %d ms, longest time with none completing %d ms%n",
                        liveness.longestOp().duration().toMillis(), liveness.longestStall().toMillis());
                assertThat(liveness.longestOp().duration()).as("longest operation (%s)", liveness.longestOp().what())
                        .isLessThanOrEqualTo(nodeTimeout.plusSeconds(1));
                // One thread: once it needs a write-back to the stalled node it waits for the verdict, about the node
                // timeout after the stop. FailoverIT shows that many threads' reads go on meanwhile.
                assertThat(liveness.longestStall()).as("longest time with no operation completing")
                        .isLessThanOrEqualTo(nodeTimeout.plusSeconds(1));

                stalled.resume(); // it comes back, re-registers, and is given nothing it lost
                cluster.awaitLiveNodes(3);
                w.awaitProgress(10_000);
                w.stopAndCheck();
            }
            assertThat(cluster.status().repair().unavailable()).isZero();
        }
    }

    @Test
    void aKillDuringReReplicationLosesNothingAtThreeCopies() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 4, "160m", "--slab-size", "8m");
             // Everything at three copies, the workload's far counter too: two kills leave each slab a copy.
             RememSession s = cluster.connect(RememOptions.builder().tenant("triple").replication(3)
                     .cacheBytes(1 << 20).failoverTimeout(Duration.ofSeconds(60)).build())) {
            FarSegment data = s.memory().allocate(48L << 20, 3);
            try (CheckedWorkload w = new CheckedWorkload(s, data, false)) {
                w.awaitProgress(10_000);
                cluster.nodes().get(0).kill();
                cluster.awaitStatus(st -> st.repair().copying() > 0 || st.repair().copiedSlabs() > 0,
                        "re-replication to start");
                cluster.nodes().get(1).kill();
                w.awaitProgress(10_000);
                cluster.awaitStatus(st -> st.repair().copying() == 0 && st.repair().unavailable() == 0
                        && st.nodes().stream().filter(ClusterStatus.Node::alive).count() == 2, "repair to settle");
                w.stopAndCheck();
            }
        }
    }

    @Test
    void aMemoryNodeWithADataDirComesBackWithItsSlabs() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 0, "64m", "--slab-size", "4m")) {
            Path data = dir.resolve("node-data");
            RememProcess node = cluster.startNode("64m", "--data-dir", data.toString());
            cluster.awaitLiveNodes(1);
            try (RememSession s = connect(cluster, "durable")) {
                FarSegment seg = s.memory().allocate(16L << 20); // one node: one copy
                CheckedWorkload w = new CheckedWorkload(s, seg, false);
                w.awaitProgress(10_000);
                w.stopAndCheck();
                s.memory().flush();
                node.kill();
                // Reads that miss now wait for the node (there is no other copy); it comes back with its files.
                Thread restarter = Thread.ofPlatform().start(() -> {
                    try {
                        Thread.sleep(1000);
                        cluster.startNode("64m", "--data-dir", data.toString());
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                w.checkAll();
                restarter.join();
                assertThat(cluster.nodes().getLast().output()).contains("recovered 6 slab(s)"); // 4 of data, 2 of small objects
            }
        }
    }

    @Test
    void aStaleReplicaIsDroppedWhenItsNodeRestartsAndNeverServed() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 0, "64m", "--slab-size", "4m")) {
            Path dataA = dir.resolve("a-data");
            RememProcess a = cluster.startNode("64m", "--data-dir", dataA.toString());
            RememProcess b = cluster.startNode("64m", "--data-dir", dir.resolve("b-data").toString());
            cluster.awaitLiveNodes(2);
            try (RememSession s = connect(cluster, "stale")) {
                FarSegment seg = s.memory().allocate(8L << 20);
                try (CheckedWorkload w = new CheckedWorkload(s, seg, false)) {
                    w.awaitProgress(5_000);
                    long aId = cluster.nodeId(a);
                    a.kill();
                    cluster.awaitStatus(st -> st.nodes().stream().anyMatch(n -> n.nodeId() == aId && !n.alive()),
                            "node " + aId + " declared dead");
                    w.awaitProgress(10_000); // written to b only: a's files are now stale
                    RememProcess back = cluster.startNode("64m", "--data-dir", dataA.toString());
                    back.await("keeps 0 of the|recovered", ProcessCluster.START);
                    cluster.awaitRepaired(); // b's copy goes to a again
                    w.awaitProgress(5_000);
                    b.kill(); // from now on every read comes from a
                    w.awaitProgress(5_000);
                    w.stopAndCheck();
                }
            }
            assertThat(cluster.controller().output()).contains("which is not a current replica there");
        }
    }

    @Test
    void aControllerRestartMidWorkloadIsInvisibleToTheWorkload() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 2, "96m", "--slab-size", "4m");
             RememSession s = connect(cluster, "steady")) {
            FarSegment data = s.memory().allocate(16L << 20);
            try (CheckedWorkload w = new CheckedWorkload(s, data, true)) {
                w.awaitProgress(5_000);
                cluster.controller().kill();
                // Data keeps flowing without a controller; the workload's next allocation waits for it to return.
                Thread.sleep(1500);
                cluster.startController();
                cluster.awaitLiveNodes(2);
                w.awaitProgress(5_000); // at least nine allocations and frees reached the new controller
                w.stopAndCheck();
            }
        }
    }

    @Test
    void aDrainUnderLoadMovesEverySlabAndTheNodeCanThenBeKilled() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3, "96m", "--slab-size", "4m");
             RememSession s = connect(cluster, "drained")) {
            FarSegment data = s.memory().allocate(24L << 20);
            try (CheckedWorkload w = new CheckedWorkload(s, data, false)) {
                w.awaitProgress(5_000);
                RememProcess victim = cluster.nodes().get(0);
                long id = cluster.nodeId(victim);
                assertThat(slabsOn(cluster.status(), id)).isPositive();
                try (RememProcess drain = RememProcess.start("drain", dir.resolve("logs"), "memnode", "drain",
                        "--controller", cluster.controllerAddress(), "--admin-secret-file",
                        cluster.adminSecretFile().toString(), "--wait", Long.toString(id))) {
                    drain.await("memory node " + id + " is drained", ProcessCluster.START);
                }
                ClusterStatus after = cluster.awaitRepaired();
                assertThat(slabsOn(after, id)).isZero();
                assertThat(after.nodes().stream().filter(n -> n.nodeId() == id).findFirst().orElseThrow().draining()).isTrue();
                victim.kill();
                w.awaitProgress(5_000);
                w.stopAndCheck();
            }
        }
    }
}
