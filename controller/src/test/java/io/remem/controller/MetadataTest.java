package io.remem.controller;

import io.remem.protocol.ClusterStatus;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.NodeHeartbeat;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.SlabDescriptor;
import io.remem.protocol.SlabRun;
import io.remem.transport.HostPort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetadataTest {
    private static final int SHIFT = 20;
    private static final long MIB = 1L << 20;
    private static final long GRANULE = 64 << 10;
    private static final long NO_QUOTA = Long.MAX_VALUE / 4;

    private static LoopbackLinks links;

    @TempDir
    Path dir;

    @BeforeAll
    static void startLinks() {
        links = new LoopbackLinks();
    }

    @AfterAll
    static void stopLinks() {
        links.close();
    }

    // ------------------------------------------------------------------ helpers

    private ControllerConfig config(int shift) {
        return new ControllerConfig(new HostPort("127.0.0.1", 0), dir).withSlabShift(shift);
    }

    private Metadata recover() {
        return Metadata.recover(config(SHIFT), new SplittableRandom(7));
    }

    private static NodeRegister fresh(String host, int port, long capacity) {
        return new NodeRegister(0, host, port, capacity);
    }

    private static long[] ids(List<SlabRecord> run) {
        return run.stream().mapToLong(SlabRecord::id).toArray();
    }

    private static ClusterStatus.Node nodeStatus(ClusterStatus s, long id) {
        return s.nodes().stream().filter(n -> n.nodeId() == id).findFirst()
                .orElseThrow(() -> new AssertionError("node " + id + " missing from " + s.nodes()));
    }

    private static ClusterStatus status(Metadata m) {
        return m.status(t -> 1234L);
    }

    // ------------------------------------------------------------------ recovery

    @Test
    void recoverOnAnEmptyDirectoryStartsEmpty() {
        try (Metadata m = recover()) {
            ClusterStatus s = status(m);
            assertThat(s.slabShift()).isEqualTo(SHIFT);
            assertThat(s.nodes()).isEmpty();
            assertThat(s.tenants()).isEmpty();
            assertThat(m.liveNodes()).isZero();
            assertThat(m.slabShift()).isEqualTo(SHIFT);
            assertThat(m.usedBy("anyone")).isZero();
        }
        assertThat(dir.resolve(Journal.FILE_NAME)).exists();
    }

    @Test
    void recoverCreatesAMissingDataDirectory() {
        Path nested = dir.resolve("x/y");
        ControllerConfig c = new ControllerConfig(new HostPort("127.0.0.1", 0), nested).withSlabShift(SHIFT);
        try (Metadata m = Metadata.recover(c, new SplittableRandom(1))) {
            assertThat(status(m).nodes()).isEmpty();
        }
        assertThat(nested.resolve(Journal.FILE_NAME)).exists();
    }

    @Test
    void recoverWithADifferentSlabShiftIsRefusedAndLeavesTheDataIntact() {
        long id;
        try (Metadata m = recover()) {
            id = m.register(fresh("a", 1, 8 * MIB), null).id;
        }
        assertThatThrownBy(() -> Metadata.recover(config(SHIFT + 1), new SplittableRandom(1)))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining(String.valueOf(1L << SHIFT))
                .hasMessageContaining(dir.toString());
        try (Metadata m = recover()) {
            assertThat(status(m).nodes()).extracting(ClusterStatus.Node::nodeId).containsExactly(id);
        }
    }

    @Test
    void aTornJournalTailIsDroppedAndLaterChangesSurviveTheNextRestart() throws IOException {
        long first;
        try (Metadata m = recover()) {
            first = m.register(fresh("first", 1, MIB), null).id;
        }
        // A crash in the middle of an append leaves half an entry behind.
        Files.write(dir.resolve(Journal.FILE_NAME), new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND);
        long second;
        try (Metadata m = recover()) {
            assertThat(status(m).nodes()).extracting(ClusterStatus.Node::nodeId).containsExactly(first);
            second = m.register(fresh("second", 2, MIB), null).id;
        }
        try (Metadata m = recover()) {
            assertThat(status(m).nodes()).extracting(ClusterStatus.Node::nodeId).containsExactly(first, second);
        }
    }

    // ------------------------------------------------------------------ registration

    @Test
    void registerAssignsIncreasingIdsToNewNodes() {
        try (Metadata m = recover()) {
            NodeRecord a = m.register(fresh("a", 1, MIB), null);
            NodeRecord b = m.register(fresh("b", 2, MIB), null);
            NodeRecord c = m.register(fresh("c", 3, MIB), null);
            assertThat(a.id).isPositive();
            assertThat(b.id).isGreaterThan(a.id);
            assertThat(c.id).isGreaterThan(b.id);
            assertThat(m.liveNodes()).isEqualTo(3);
            assertThat(m.node(b.id)).isSameAs(b);
            assertThat(b.address()).isEqualTo("b:2");
            assertThat(b.alive).isTrue();
        }
    }

    @Test
    void reRegisteringWithAKnownIdKeepsTheIdAndUpdatesTheAddress() {
        try (Metadata m = recover()) {
            NodeRecord a = m.register(fresh("a", 1, MIB), null);
            NodeRecord other = m.register(fresh("other", 9, MIB), null);
            NodeRecord again = m.register(new NodeRegister(a.id, "a-moved", 5, 4 * MIB), null);
            assertThat(again.id).isEqualTo(a.id);
            assertThat(again.address()).isEqualTo("a-moved:5");
            assertThat(again.capacity).isEqualTo(4 * MIB);
            ClusterStatus s = status(m);
            assertThat(s.nodes()).extracting(ClusterStatus.Node::nodeId).containsExactlyInAnyOrder(a.id, other.id);
            assertThat(nodeStatus(s, a.id).address()).isEqualTo("a-moved:5");
            // The next new node still gets a fresh id.
            assertThat(m.register(fresh("new", 3, MIB), null).id).isGreaterThan(other.id);
        }
    }

    @Test
    void nodeIdsSurviveARestart() {
        long a;
        long b;
        try (Metadata m = recover()) {
            a = m.register(fresh("host-a", 7001, 3 * MIB), null).id;
            b = m.register(fresh("host-b", 7002, 5 * MIB), null).id;
            m.register(new NodeRegister(a, "host-a2", 7003, 6 * MIB), null);
        }
        try (Metadata m = recover()) {
            ClusterStatus s = status(m);
            assertThat(s.nodes()).extracting(ClusterStatus.Node::nodeId).containsExactlyInAnyOrder(a, b);
            assertThat(nodeStatus(s, a).address()).isEqualTo("host-a2:7003");
            assertThat(nodeStatus(s, a).capacity()).isEqualTo(6 * MIB);
            assertThat(nodeStatus(s, b).address()).isEqualTo("host-b:7002");
            assertThat(nodeStatus(s, b).capacity()).isEqualTo(5 * MIB);
            // Not heard from since the restart.
            assertThat(s.nodes()).noneMatch(ClusterStatus.Node::alive);
            assertThat(m.liveNodes()).isZero();
            // A returning node keeps its id; a new one gets an id never handed out before.
            assertThat(m.register(new NodeRegister(b, "host-b", 7002, 5 * MIB), null).id).isEqualTo(b);
            assertThat(m.register(fresh("host-c", 7004, MIB), null).id).isGreaterThan(Math.max(a, b));
            assertThat(m.liveNodes()).isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ slabs: ids and persistence

    @Test
    void reserveSplitsARunIntoSlabsWithConsecutiveIdsAndGranuleRoundedTail() {
        try (Metadata m = recover()) {
            NodeRecord n = m.register(fresh("a", 1, 100 * MIB), links.open());
            List<SlabRecord> run = m.reserve("tenant-a", 2 * MIB + 1, 1, NO_QUOTA);
            assertThat(run).hasSize(3);
            assertThat(run).extracting(SlabRecord::size).containsExactly(MIB, MIB, GRANULE);
            assertThat(run.get(1).id()).isEqualTo(run.get(0).id() + 1);
            assertThat(run.get(2).id()).isEqualTo(run.get(0).id() + 2);
            assertThat(run).allSatisfy(s -> {
                assertThat(s.tenant()).isEqualTo("tenant-a");
                assertThat(s.replicas()).containsExactly(n.id);
            });
            assertThat(m.usedBy("tenant-a")).isEqualTo(2 * MIB + GRANULE);
            assertThat(n.reserved).isEqualTo(2 * MIB + GRANULE);
        }
    }

    @Test
    void slabsAndTheirAccountsSurviveARestart() {
        long node;
        long[] ids;
        try (Metadata m = recover()) {
            node = m.register(fresh("mem-1", 7001, 16 * MIB), links.open()).id;
            List<SlabRecord> run = m.reserve("tenant-a", 3 * MIB, 1, NO_QUOTA);
            m.commit(run);
            ids = ids(run);
        }
        try (Metadata m = recover()) {
            assertThat(m.usedBy("tenant-a")).isEqualTo(3 * MIB);
            SlabRun looked = m.lookup("tenant-a", ids[0], 3);
            assertThat(looked.slabs()).extracting(SlabDescriptor::slabId).containsExactly(ids[0], ids[1], ids[2]);
            assertThat(looked.slabs()).allSatisfy(d -> {
                assertThat(d.size()).isEqualTo(MIB);
                assertThat(d.replicas()).containsExactly(new Replica(node, "mem-1", 7001));
            });
            ClusterStatus.Node n = nodeStatus(status(m), node);
            assertThat(n.reservedBytes()).isEqualTo(3 * MIB);
            assertThat(n.slabs()).isEqualTo(3);
            assertThat(status(m).tenants()).containsExactly(new ClusterStatus.Tenant("tenant-a", 1234L, 3 * MIB, 3));
        }
    }

    @Test
    void anUncommittedReservationIsNotPersistedAsSlabs() {
        long[] ids;
        try (Metadata m = recover()) {
            m.register(fresh("mem-1", 7001, 16 * MIB), links.open());
            ids = ids(m.reserve("tenant-a", 2 * MIB, 1, NO_QUOTA));
        }
        try (Metadata m = recover()) {
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThatThrownBy(() -> m.lookup("tenant-a", ids[0], 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB));
        }
    }

    @Test
    void slabIdsAreNeverReusedAfterFreeAndRestart() {
        long nodeId;
        long highest;
        try (Metadata m = recover()) {
            nodeId = m.register(fresh("mem-1", 7001, 64 * MIB), links.open()).id;
            List<SlabRecord> keep = m.reserve("tenant-a", MIB, 1, NO_QUOTA);
            m.commit(keep);
            List<SlabRecord> gone = m.reserve("tenant-a", 3 * MIB, 1, NO_QUOTA);
            m.commit(gone);
            highest = gone.getLast().id();
            assertThat(highest).isGreaterThan(keep.getFirst().id());
            assertThat(m.free("tenant-a", gone.getFirst().id(), 3)).extracting(SlabRecord::id)
                    .containsExactly(ids(gone)[0], ids(gone)[1], ids(gone)[2]);
        }
        // The first restart still replays the freed slabs' entries; the second sees only the compacted
        // snapshot, in which only the watermark remembers the freed ids.
        try (Metadata m = recover()) {
            assertThat(m.usedBy("tenant-a")).isEqualTo(MIB);
        }
        try (Metadata m = recover()) {
            assertThat(m.usedBy("tenant-a")).isEqualTo(MIB);
            m.register(new NodeRegister(nodeId, "mem-1", 7001, 64 * MIB), links.open());
            List<SlabRecord> next = m.reserve("tenant-a", MIB, 1, NO_QUOTA);
            assertThat(next.getFirst().id()).isGreaterThan(highest);
        }
    }

    @Test
    void idsOfAnAbortedReservationAreNeverReused() {
        long nodeId;
        long aborted;
        try (Metadata m = recover()) {
            nodeId = m.register(fresh("mem-1", 7001, 64 * MIB), links.open()).id;
            List<SlabRecord> run = m.reserve("tenant-a", 2 * MIB, 1, NO_QUOTA);
            m.abort(run);
            aborted = run.getLast().id();
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThat(m.node(nodeId).reserved).isZero();
            List<SlabRecord> next = m.reserve("tenant-a", MIB, 1, NO_QUOTA);
            assertThat(next.getFirst().id()).isGreaterThan(aborted);
            m.abort(next);
            aborted = next.getLast().id();
        }
        recover().close();
        try (Metadata m = recover()) {
            m.register(new NodeRegister(nodeId, "mem-1", 7001, 64 * MIB), links.open());
            assertThat(m.reserve("tenant-a", MIB, 1, NO_QUOTA).getFirst().id()).isGreaterThan(aborted);
        }
    }

    @Test
    void nodeIdsAreNeverReusedAcrossRepeatedRestarts() {
        long highest;
        try (Metadata m = recover()) {
            m.register(fresh("a", 1, MIB), null);
            highest = m.register(fresh("b", 2, MIB), null).id;
        }
        for (int i = 0; i < 3; i++) {
            recover().close();
        }
        try (Metadata m = recover()) {
            assertThat(m.register(fresh("c", 3, MIB), null).id).isGreaterThan(highest);
        }
    }

    // ------------------------------------------------------------------ quotas and capacity

    @Test
    void reserveBeyondTheQuotaIsRefusedNamingTenantAndQuota() {
        try (Metadata m = recover()) {
            // No memory node at all: the quota is checked before placement.
            assertThatThrownBy(() -> m.reserve("tenant-q", 5 * MIB, 1, 4 * MIB))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                    .hasMessageContaining("tenant-q")
                    .hasMessageContaining(String.valueOf(4 * MIB));
            assertThat(m.usedBy("tenant-q")).isZero();
        }
    }

    @Test
    void theQuotaCountsWhatIsAlreadyHeldAndGranuleRounding() {
        try (Metadata m = recover()) {
            m.register(fresh("a", 1, 64 * MIB), links.open());
            long quota = 2 * MIB;
            m.commit(m.reserve("tenant-a", MIB + 1, 1, quota)); // charged MIB + one granule
            assertThat(m.usedBy("tenant-a")).isEqualTo(MIB + GRANULE);
            // Exactly up to the quota is allowed...
            m.commit(m.reserve("tenant-a", MIB - GRANULE - 5, 1, quota));
            assertThat(m.usedBy("tenant-a")).isEqualTo(quota);
            // ...one more byte (one more granule) is not.
            assertThatThrownBy(() -> m.reserve("tenant-a", 1, 1, quota))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                    .hasMessageContaining("tenant-a")
                    .hasMessageContaining(String.valueOf(quota));
            // Another tenant has its own account.
            m.reserve("tenant-b", 1, 1, quota);
            assertThat(m.usedBy("tenant-b")).isEqualTo(GRANULE);
        }
    }

    @Test
    void freeingGivesQuotaBack() {
        try (Metadata m = recover()) {
            m.register(fresh("a", 1, 64 * MIB), links.open());
            List<SlabRecord> run = m.reserve("tenant-a", 2 * MIB, 1, 2 * MIB);
            m.commit(run);
            assertThatThrownBy(() -> m.reserve("tenant-a", MIB, 1, 2 * MIB))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED));
            m.free("tenant-a", run.getFirst().id(), 2);
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThat(m.reserve("tenant-a", 2 * MIB, 1, 2 * MIB)).hasSize(2);
        }
    }

    @Test
    void aRunNeedingTooManySlabsIsRefused() {
        try (Metadata m = recover()) {
            long bytes = ((long) SlabRun.MAX_SLABS << SHIFT) + 1;
            assertThatThrownBy(() -> m.reserve("tenant-a", bytes, 1, Long.MAX_VALUE))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
        }
    }

    @Test
    void withNoPlaceableNodeReserveFailsOutOfCapacityAndChargesNothing() throws Exception {
        try (Metadata m = recover()) {
            NodeRecord dead = m.register(fresh("dead", 3, 64 * MIB), links.open());
            assertThat(m.detectFailures(dead.lastHeartbeatNanos + 10_000_000_000L, 1_000_000_000L)).containsExactly(dead);
            NodeRecord noLink = m.register(fresh("no-link", 1, 64 * MIB), null);
            NodeRecord closed = m.register(fresh("closed", 2, 64 * MIB), links.closed());
            assertThat(noLink.alive).isTrue();
            assertThat(closed.alive).isTrue();
            assertThatThrownBy(() -> m.reserve("tenant-a", MIB, 1, NO_QUOTA))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY));
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThat(List.of(noLink, closed, dead)).allSatisfy(n -> assertThat(n.reserved).isZero());
        }
    }

    @Test
    void aRunThatDoesNotFitIsRolledBackEntirely() {
        try (Metadata m = recover()) {
            NodeRecord n = m.register(fresh("small", 1, 2 * MIB), links.open());
            // The first two slabs fit, the third does not.
            assertThatThrownBy(() -> m.reserve("tenant-a", 3 * MIB, 1, NO_QUOTA))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY))
                    .hasMessageContaining(String.valueOf(MIB));
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThat(n.reserved).isZero();
            assertThat(n.slabs).isZero();
            // The node's capacity is all still there.
            assertThat(m.reserve("tenant-a", 2 * MIB, 1, NO_QUOTA)).hasSize(2);
            assertThat(n.reserved).isEqualTo(2 * MIB);
        }
    }

    @Test
    void nodeCapacityBoundsPlacementAndFreeingReturnsIt() {
        try (Metadata m = recover()) {
            NodeRecord n = m.register(fresh("a", 1, 3 * MIB), links.open());
            List<SlabRecord> run = m.reserve("tenant-a", 3 * MIB, 1, NO_QUOTA);
            m.commit(run);
            assertThat(n.free()).isZero();
            assertThatThrownBy(() -> m.reserve("tenant-a", 1, 1, NO_QUOTA))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY));
            m.free("tenant-a", run.get(1).id(), 1);
            assertThat(n.free()).isEqualTo(MIB);
            assertThat(n.slabs).isEqualTo(2);
            assertThat(m.reserve("tenant-a", MIB, 1, NO_QUOTA)).hasSize(1);
        }
    }

    @Test
    void replicasOfOneSlabGoToDistinctNodes() {
        try (Metadata m = recover()) {
            NodeRecord a = m.register(fresh("a", 1, 64 * MIB), links.open());
            NodeRecord b = m.register(fresh("b", 2, 64 * MIB), links.open());
            NodeRecord c = m.register(fresh("c", 3, 64 * MIB), links.open());
            List<SlabRecord> run = m.reserve("tenant-a", 10 * MIB, 2, NO_QUOTA);
            assertThat(run).allSatisfy(s -> {
                assertThat(s.replicas()).hasSize(2).doesNotHaveDuplicates();
                assertThat(Arrays.stream(s.replicas()).boxed().toList()).isSubsetOf(a.id, b.id, c.id);
            });
            // Each replica is charged to its node; the tenant pays for what it asked for.
            assertThat(a.reserved + b.reserved + c.reserved).isEqualTo(20 * MIB);
            assertThat(m.usedBy("tenant-a")).isEqualTo(10 * MIB);
            assertThatThrownBy(() -> m.reserve("tenant-a", MIB, 4, NO_QUOTA))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY));
            assertThat(a.reserved + b.reserved + c.reserved).isEqualTo(20 * MIB);
        }
    }

    // ------------------------------------------------------------------ ownership

    @Test
    void lookupAndFreeOnlyServeTheOwningTenant() {
        try (Metadata m = recover()) {
            m.register(fresh("a", 1, 64 * MIB), links.open());
            List<SlabRecord> run = m.reserve("alice", 2 * MIB, 1, NO_QUOTA);
            m.commit(run);
            long first = run.getFirst().id();
            assertThatThrownBy(() -> m.lookup("mallory", first, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ACCESS_DENIED));
            assertThatThrownBy(() -> m.free("mallory", first, 2))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ACCESS_DENIED));
            // A run reaching past the owned slabs is refused as a whole: nothing is freed.
            assertThatThrownBy(() -> m.free("alice", first, 3))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB));
            assertThatThrownBy(() -> m.lookup("alice", first, 0))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
            assertThat(m.usedBy("alice")).isEqualTo(2 * MIB);
            assertThat(m.lookup("alice", first, 2).slabs()).hasSize(2);
            m.free("alice", first, 2);
            assertThatThrownBy(() -> m.lookup("alice", first, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB));
        }
    }

    // ------------------------------------------------------------------ failure detection

    @Test
    void detectFailuresMarksASilentNodeDeadAndReportsItOnce() {
        long timeout = 5_000_000_000L;
        try (Metadata m = recover()) {
            NodeRecord quiet = m.register(fresh("quiet", 1, MIB), null);
            NodeRecord chatty = m.register(fresh("chatty", 2, MIB), null);
            long t0 = Math.max(quiet.lastHeartbeatNanos, chatty.lastHeartbeatNanos);

            assertThat(m.detectFailures(t0 + timeout / 2, timeout)).isEmpty();
            assertThat(m.liveNodes()).isEqualTo(2);

            chatty.lastHeartbeatNanos = t0 + timeout; // as if it had just reported
            List<NodeRecord> dead = m.detectFailures(t0 + timeout + timeout / 2, timeout);
            assertThat(dead).containsExactly(quiet);
            assertThat(quiet.alive).isFalse();
            assertThat(chatty.alive).isTrue();
            assertThat(m.liveNodes()).isEqualTo(1);
            assertThat(nodeStatus(status(m), quiet.id).alive()).isFalse();

            // Reported once, not again on every sweep.
            assertThat(m.detectFailures(t0 + 3 * timeout, timeout)).containsExactly(chatty);
            assertThat(m.detectFailures(t0 + 10 * timeout, timeout)).isEmpty();
            assertThat(m.liveNodes()).isZero();
        }
    }

    @Test
    void aHeartbeatRevivesADeadNode() {
        long timeout = 1_000_000_000L;
        try (Metadata m = recover()) {
            NodeRecord n = m.register(fresh("n", 1, 8 * MIB), null);
            assertThat(m.detectFailures(n.lastHeartbeatNanos + 2 * timeout, timeout)).containsExactly(n);
            m.heartbeat(n, new NodeHeartbeat(8 * MIB, 3 * GRANULE, 0, 0));
            assertThat(n.alive).isTrue();
            assertThat(n.backed).isEqualTo(3 * GRANULE);
            assertThat(m.liveNodes()).isEqualTo(1);
            assertThat(m.detectFailures(n.lastHeartbeatNanos + timeout / 2, timeout)).isEmpty();
            assertThat(m.detectFailures(n.lastHeartbeatNanos + 2 * timeout, timeout)).containsExactly(n);
        }
    }

    @Test
    void recoveredNodesThatNeverReportedAreNotReportedAsNewlyDead() {
        try (Metadata m = recover()) {
            m.register(fresh("n", 1, MIB), null);
        }
        try (Metadata m = recover()) {
            assertThat(m.detectFailures(System.nanoTime() + 1_000_000_000_000L, 1)).isEmpty();
        }
    }

    // ------------------------------------------------------------------ status

    @Test
    void statusReportsNodesAndTenants() {
        try (Metadata m = recover()) {
            NodeRecord a = m.register(fresh("host-a", 7001, 32 * MIB), links.open());
            NodeRecord b = m.register(fresh("host-b", 7002, 16 * MIB), null); // not placeable: gets nothing
            m.heartbeat(a, new NodeHeartbeat(32 * MIB, 5 * GRANULE, 0, 0));
            m.commit(m.reserve("bob", 1, 1, NO_QUOTA));
            m.commit(m.reserve("alice", 2 * MIB, 1, NO_QUOTA));

            ClusterStatus s = m.status(t -> t.equals("alice") ? 10 * MIB : 20 * MIB);
            assertThat(s.slabShift()).isEqualTo(SHIFT);
            assertThat(s.nodes()).hasSize(2);
            ClusterStatus.Node na = nodeStatus(s, a.id);
            assertThat(na.host()).isEqualTo("host-a");
            assertThat(na.port()).isEqualTo(7001);
            assertThat(na.alive()).isTrue();
            assertThat(na.capacity()).isEqualTo(32 * MIB);
            assertThat(na.backedBytes()).isEqualTo(5 * GRANULE);
            assertThat(na.reservedBytes()).isEqualTo(2 * MIB + GRANULE);
            assertThat(na.slabs()).isEqualTo(3);
            assertThat(na.millisSinceHeartbeat()).isBetween(0L, 60_000L);
            ClusterStatus.Node nb = nodeStatus(s, b.id);
            assertThat(nb.address()).isEqualTo("host-b:7002");
            assertThat(nb.capacity()).isEqualTo(16 * MIB);
            assertThat(nb.reservedBytes()).isZero();
            assertThat(nb.slabs()).isZero();
            // Tenants in name order, each with its own quota.
            assertThat(s.tenants()).containsExactly(
                    new ClusterStatus.Tenant("alice", 10 * MIB, 2 * MIB, 2),
                    new ClusterStatus.Tenant("bob", 20 * MIB, GRANULE, 1));
        }
    }

    @Test
    void describeNamesEachReplicaByItsAddress() {
        try (Metadata m = recover()) {
            NodeRecord a = m.register(fresh("host-a", 7001, 32 * MIB), links.open());
            List<SlabRecord> run = m.reserve("tenant-a", 2 * MIB, 1, NO_QUOTA);
            SlabRun described = m.describe(run);
            assertThat(described.slabs()).extracting(SlabDescriptor::slabId)
                    .containsExactly(Arrays.stream(ids(run)).boxed().toArray(Long[]::new));
            assertThat(described.bytes()).isEqualTo(2 * MIB);
            assertThat(described.slabs()).allSatisfy(d ->
                    assertThat(d.replicas()).containsExactly(new Replica(a.id, "host-a", 7001)));
        }
    }
}
