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
    /** How long a closed link may stay closed before its node is declared dead; irrelevant to nodes with no closed link. */
    private static final long GRACE = 1_000_000_000L;
    private static final Repairer.Progress IDLE = new Repairer.Progress(0, 0, 0, 0);

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
        return m.status(t -> 1234L, IDLE);
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
            // Not heard from since the restart, but presumed alive until they have had a full timeout to return.
            assertThat(s.nodes()).allMatch(ClusterStatus.Node::alive);
            assertThat(m.liveNodes()).isEqualTo(2);
            // A returning node keeps its id; a new one gets an id never handed out before.
            assertThat(m.register(new NodeRegister(b, "host-b", 7002, 5 * MIB), null).id).isEqualTo(b);
            assertThat(m.register(fresh("host-c", 7004, MIB), null).id).isGreaterThan(Math.max(a, b));
            assertThat(m.liveNodes()).isEqualTo(3);
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
            assertThat(m.detectFailures(dead.lastHeartbeatNanos + 10_000_000_000L, 1_000_000_000L, GRACE)).containsExactly(dead);
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

            assertThat(m.detectFailures(t0 + timeout / 2, timeout, GRACE)).isEmpty();
            assertThat(m.liveNodes()).isEqualTo(2);

            chatty.lastHeartbeatNanos = t0 + timeout; // as if it had just reported
            List<NodeRecord> dead = m.detectFailures(t0 + timeout + timeout / 2, timeout, GRACE);
            assertThat(dead).containsExactly(quiet);
            assertThat(quiet.alive).isFalse();
            assertThat(chatty.alive).isTrue();
            assertThat(m.liveNodes()).isEqualTo(1);
            assertThat(nodeStatus(status(m), quiet.id).alive()).isFalse();

            // Reported once, not again on every sweep.
            assertThat(m.detectFailures(t0 + 3 * timeout, timeout, GRACE)).containsExactly(chatty);
            assertThat(m.detectFailures(t0 + 10 * timeout, timeout, GRACE)).isEmpty();
            assertThat(m.liveNodes()).isZero();
        }
    }

    @Test
    void aHeartbeatFromADeadNodeIsRefusedAndOnlyRegisteringAgainRevivesIt() {
        long timeout = 1_000_000_000L;
        try (Metadata m = recover()) {
            NodeRecord n = m.register(fresh("n", 1, 8 * MIB), null);
            m.heartbeat(n, new NodeHeartbeat(8 * MIB, GRANULE, 0, 0));
            assertThat(n.backed).isEqualTo(GRANULE);
            assertThat(m.detectFailures(n.lastHeartbeatNanos + 2 * timeout, timeout, GRACE)).containsExactly(n);
            // It may have been dropped from slabs while it was away: it must register again to learn which.
            assertThatThrownBy(() -> m.heartbeat(n, new NodeHeartbeat(8 * MIB, 3 * GRANULE, 0, 0)))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NODE_UNAVAILABLE));
            assertThat(n.alive).isFalse();
            assertThat(n.backed).isEqualTo(GRANULE);
            assertThat(m.liveNodes()).isZero();

            NodeRecord again = m.register(new NodeRegister(n.id, "n", 1, 8 * MIB), null);
            assertThat(again).isSameAs(n);
            assertThat(n.alive).isTrue();
            m.heartbeat(n, new NodeHeartbeat(8 * MIB, 3 * GRANULE, 0, 0));
            assertThat(n.backed).isEqualTo(3 * GRANULE);
            assertThat(m.liveNodes()).isEqualTo(1);
            assertThat(m.detectFailures(n.lastHeartbeatNanos + timeout / 2, timeout, GRACE)).isEmpty();
            assertThat(m.detectFailures(n.lastHeartbeatNanos + 2 * timeout, timeout, GRACE)).containsExactly(n);
        }
    }

    @Test
    void markDeadMarksANodeDeadOnce() {
        try (Metadata m = recover()) {
            NodeRecord n = m.register(fresh("n", 1, MIB), null);
            assertThat(m.markDead(n)).isTrue();
            assertThat(n.alive).isFalse();
            assertThat(m.markDead(n)).isFalse();
            // Already dead: the detector does not report it again.
            assertThat(m.detectFailures(n.lastHeartbeatNanos + 100 * GRACE, GRACE, GRACE)).isEmpty();
        }
    }

    @Test
    void recoveredNodesArePresumedAliveUntilTheTimeoutPasses() {
        long timeout = 5_000_000_000L;
        long a;
        long b;
        try (Metadata m = recover()) {
            a = m.register(fresh("a", 1, MIB), null).id;
            b = m.register(fresh("b", 2, MIB), null).id;
            // Dead before the restart: presumed alive again after it all the same.
            assertThat(m.markDead(m.node(b))).isTrue();
        }
        long before = System.nanoTime();
        try (Metadata m = recover()) {
            long after = System.nanoTime();
            assertThat(m.node(a).alive).isTrue();
            assertThat(m.node(b).alive).isTrue();
            assertThat(m.liveNodes()).isEqualTo(2);
            assertThat(m.node(a).lastHeartbeatNanos - before).isNotNegative();
            assertThat(after - m.node(a).lastHeartbeatNanos).isNotNegative();
            // Not dead within the timeout, though no connection ever came...
            assertThat(m.detectFailures(before + timeout / 2, timeout, GRACE)).isEmpty();
            assertThat(m.detectFailures(before + timeout, timeout, GRACE)).isEmpty();
            assertThat(m.liveNodes()).isEqualTo(2);
            // ...but once it has passed without a registration.
            assertThat(m.detectFailures(after + timeout + 1, timeout, GRACE))
                    .extracting(n -> n.id).containsExactlyInAnyOrder(a, b);
            assertThat(m.liveNodes()).isZero();
            assertThat(m.detectFailures(after + 10 * timeout, timeout, GRACE)).isEmpty();
        }
    }

    // ------------------------------------------------------------------ replica sets

    /**
     * A committed 1 MiB slab of tenant "t" with exactly the given replica set at epoch 0. It is placed like any slab
     * (so some node must be placeable), then swapped for the wanted record through {@link Metadata#update}.
     */
    private static SlabRecord place(Metadata m, int readable, int factor, long... replicas) {
        SlabRecord placed = m.reserve("t", MIB, 1, NO_QUOTA).getFirst();
        m.commit(List.of(placed));
        SlabRecord wanted = new SlabRecord(placed.id(), "t", MIB, replicas, 0, readable, factor);
        assertThat(m.update(placed, wanted)).isTrue();
        assertThat(m.slab(placed.id())).isSameAs(wanted);
        return wanted;
    }

    private static ClusterStatus.Repair repair(Metadata m) {
        return status(m).repair();
    }

    @Test
    void dropDeadNodeDropsItWhereAnotherReadableReplicaIsLeftAndKeepsItWhereItIsTheOnlyOne() {
        long s1;
        long s2;
        long s3;
        long s4;
        long a;
        long b;
        long c;
        try (Metadata m = recover()) {
            NodeRecord na = m.register(fresh("a", 1, 64 * MIB), links.open());
            NodeRecord nb = m.register(fresh("b", 2, 64 * MIB), links.open());
            NodeRecord nc = m.register(fresh("c", 3, 64 * MIB), links.open());
            a = na.id;
            b = nb.id;
            c = nc.id;
            s1 = place(m, 2, 2, a, b).id();
            SlabRecord only = place(m, 1, 2, a, c); // a is the only readable replica; c is being copied
            s2 = only.id();
            s3 = place(m, 2, 2, b, a).id();
            SlabRecord other = place(m, 2, 2, b, c);
            s4 = other.id();
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(1, 0, 0, 0, 0, 0)); // s2 lacks a readable copy
            assertThat(na.reserved).isEqualTo(3 * MIB);

            assertThat(m.markDead(na)).isTrue();
            List<SlabRecord> changed = m.dropDeadNode(na);
            assertThat(changed).extracting(SlabRecord::id).containsExactlyInAnyOrder(s1, s3);
            assertThat(changed).allSatisfy(r -> {
                assertThat(r.replicas()).containsExactly(b);
                assertThat(r.readable()).isEqualTo(1);
                assertThat(r.epoch()).isEqualTo(1);
                assertThat(r.factor()).isEqualTo(2);
                assertThat(m.slab(r.id())).isSameAs(r);
            });
            assertThat(m.slab(s2)).isSameAs(only);
            assertThat(m.slab(s4)).isSameAs(other);
            // The charges follow the replicas; the tenant still holds four slabs.
            assertThat(na.reserved).isEqualTo(MIB);
            assertThat(na.slabs).isEqualTo(1);
            assertThat(nb.reserved).isEqualTo(3 * MIB);
            assertThat(nc.reserved).isEqualTo(2 * MIB);
            assertThat(m.usedBy("t")).isEqualTo(4 * MIB);
            // s1, s3 have one live replica of two, s2 none: all three are under-replicated, s2 unavailable too.
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(3, 1, 0, 0, 0, 0));
            // Lookups fail over to the rest.
            SlabDescriptor d = m.lookup("t", s1, 1).slabs().getFirst();
            assertThat(d.epoch()).isEqualTo(1);
            assertThat(d.readable()).isEqualTo(1);
            assertThat(d.replicas()).extracting(Replica::nodeId).containsExactly(b);
            // Nothing more to drop the second time.
            assertThat(m.dropDeadNode(na)).isEmpty();
        }
        // Journaled: a restart sees the same replica sets.
        try (Metadata m = recover()) {
            assertThat(m.slab(s1).replicas()).containsExactly(b);
            assertThat(m.slab(s1).epoch()).isEqualTo(1);
            assertThat(m.slab(s1).readable()).isEqualTo(1);
            assertThat(m.slab(s1).factor()).isEqualTo(2);
            assertThat(m.slab(s3).replicas()).containsExactly(b);
            assertThat(m.slab(s2).replicas()).containsExactly(a, c);
            assertThat(m.slab(s2).readable()).isEqualTo(1);
            assertThat(m.slab(s2).epoch()).isZero();
            assertThat(m.slab(s4).replicas()).containsExactly(b, c);
            assertThat(m.node(a).reserved).isEqualTo(MIB);
            assertThat(m.node(b).reserved).isEqualTo(3 * MIB);
            // Every node is presumed alive after the restart: nothing is unavailable, three slabs still lack a copy.
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(3, 0, 0, 0, 0, 0));
        }
    }

    @Test
    void dropDeadNodeDropsACopyingReplicaButNotTheLastReadableOne() {
        try (Metadata m = recover()) {
            NodeRecord na = m.register(fresh("a", 1, 64 * MIB), links.open());
            NodeRecord nc = m.register(fresh("c", 3, 64 * MIB), links.open());
            SlabRecord s = place(m, 1, 2, na.id, nc.id);
            assertThat(m.markDead(nc)).isTrue();
            List<SlabRecord> changed = m.dropDeadNode(nc);
            assertThat(changed).singleElement().satisfies(r -> {
                assertThat(r.replicas()).containsExactly(na.id);
                assertThat(r.readable()).isEqualTo(1);
                assertThat(r.epoch()).isEqualTo(1);
            });
            assertThat(nc.reserved).isZero();
            assertThat(nc.slabs).isZero();
            // Now the other one dies: it is the last copy, so it stays.
            assertThat(m.markDead(na)).isTrue();
            assertThat(m.dropDeadNode(na)).isEmpty();
            assertThat(m.slab(s.id()).replicas()).containsExactly(na.id);
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(1, 1, 0, 0, 0, 0));
        }
    }

    @Test
    void twoReplicasDeclaredDeadTogetherAreBothKeptUntilOneReturns() {
        long timeout = 1_000_000_000L;
        try (Metadata m = recover()) {
            NodeRecord na = m.register(fresh("a", 1, 64 * MIB), links.open());
            NodeRecord nb = m.register(fresh("b", 2, 64 * MIB), links.open());
            SlabRecord s = place(m, 2, 2, na.id, nb.id);
            long later = Math.max(na.lastHeartbeatNanos, nb.lastHeartbeatNanos) + 2 * timeout;
            List<NodeRecord> dead = m.detectFailures(later, timeout, GRACE);
            assertThat(dead).containsExactlyInAnyOrder(na, nb);
            for (NodeRecord n : dead) { // what Controller.detectFailures does
                m.dropDeadNode(n);
            }
            // Whichever of the two returns first still holds every acknowledged write, and must keep it.
            List<NodeRegister.HeldSlab> held = List.of(new NodeRegister.HeldSlab(s.id(), s.epoch()));
            assertThat(m.keep(na, held)).containsExactly(s.id());
            assertThat(m.keep(nb, held)).containsExactly(s.id());
        }
    }

    @Test
    void aClosedLinkGetsTheShorterGraceASilentOneTheFullTimeout() {
        long timeout = 10_000_000_000L;
        long grace = 1_000_000_000L;
        try (Metadata m = recover()) {
            NodeRecord quiet = m.register(fresh("quiet", 1, MIB), null);    // never connected: heartbeats decide
            NodeRecord crashed = m.register(fresh("crashed", 2, MIB), null);
            NodeRecord back = m.register(fresh("back", 3, MIB), null);
            long t0 = System.nanoTime();
            for (NodeRecord n : List.of(quiet, crashed, back)) {
                n.lastHeartbeatNanos = t0;
            }
            // The connections of two nodes closed at t0 (what ControllerService.onClose records)...
            crashed.linkLostNanos = t0;
            back.linkLostNanos = t0;
            // ...and one of them registered again at once.
            m.register(new NodeRegister(back.id, "back", 3, MIB), links.open());
            assertThat(back.linkLostNanos).isZero();
            back.lastHeartbeatNanos = t0;
            // Only a node with no link counts as gone: one connected again is judged by its heartbeats, even with a
            // close time left behind.
            NodeRecord stale = m.register(fresh("stale", 4, MIB), links.open());
            stale.lastHeartbeatNanos = t0;
            stale.linkLostNanos = t0;

            assertThat(m.detectFailures(t0 + grace / 2, timeout, grace)).isEmpty();
            assertThat(m.detectFailures(t0 + grace, timeout, grace)).isEmpty();
            assertThat(m.detectFailures(t0 + 2 * grace, timeout, grace)).containsExactly(crashed);
            assertThat(crashed.alive).isFalse();
            assertThat(quiet.alive).isTrue();
            assertThat(back.alive).isTrue();
            assertThat(stale.alive).isTrue();
            assertThat(m.detectFailures(t0 + timeout, timeout, grace)).isEmpty();
            assertThat(m.detectFailures(t0 + timeout + 1, timeout, grace)).containsExactlyInAnyOrder(quiet, back, stale);
        }
    }

    @Test
    void aClosedLinkWithinItsGraceIsStillBoundByTheHeartbeatTimeout() {
        long timeout = 1_000_000_000L;
        long grace = 10_000_000_000L; // longer than the timeout: the timeout wins
        try (Metadata m = recover()) {
            NodeRecord n = m.register(fresh("n", 1, MIB), null);
            long t0 = n.lastHeartbeatNanos;
            n.linkLostNanos = t0;
            assertThat(m.detectFailures(t0 + timeout / 2, timeout, grace)).isEmpty();
            assertThat(m.detectFailures(t0 + 2 * timeout, timeout, grace)).containsExactly(n);
        }
    }

    @Test
    void keepReturnsOnlyTheHeldSlabsTheNodeIsAReadableReplicaOf() {
        try (Metadata m = recover()) {
            NodeRecord na = m.register(fresh("a", 1, 64 * MIB), links.open());
            NodeRecord nb = m.register(fresh("b", 2, 64 * MIB), links.open());
            NodeRecord nc = m.register(fresh("c", 3, 64 * MIB), links.open());
            SlabRecord both = place(m, 2, 2, na.id, nb.id);
            SlabRecord copyingToA = place(m, 1, 2, nb.id, na.id);
            SlabRecord notOnA = place(m, 2, 2, nb.id, nc.id);
            SlabRecord freed = place(m, 1, 1, na.id);
            m.free("t", freed.id(), 1);
            List<NodeRegister.HeldSlab> held = List.of(
                    new NodeRegister.HeldSlab(freed.id(), 0),
                    new NodeRegister.HeldSlab(notOnA.id(), 0),
                    new NodeRegister.HeldSlab(copyingToA.id(), 0),
                    new NodeRegister.HeldSlab(both.id(), 0),
                    new NodeRegister.HeldSlab(999_999, 3));
            assertThat(m.keep(na, held)).containsExactly(both.id());
            assertThat(m.keep(nb, held)).containsExactly(notOnA.id(), copyingToA.id(), both.id());
            assertThat(m.keep(nc, held)).containsExactly(notOnA.id());
            assertThat(m.keep(na, List.of())).isEmpty();

            // Dropped from a slab while it was away: it must not keep it.
            assertThat(m.markDead(na)).isTrue();
            m.dropDeadNode(na);
            assertThat(m.keep(na, held)).isEmpty();
        }
    }

    @Test
    void statusCountsUnderReplicatedAndUnavailableSlabs() {
        try (Metadata m = recover()) {
            NodeRecord na = m.register(fresh("a", 1, 64 * MIB), links.open());
            NodeRecord nb = m.register(fresh("b", 2, 64 * MIB), links.open());
            NodeRecord nc = m.register(fresh("c", 3, 64 * MIB), links.open());
            NodeRecord nd = m.register(fresh("d", 4, 64 * MIB), links.open());
            place(m, 2, 2, na.id, nb.id);         // fine
            place(m, 1, 1, nc.id);                // fine: factor 1
            place(m, 1, 2, nb.id, nc.id);         // under: the copy on c does not count yet
            place(m, 3, 2, na.id, nb.id, nc.id);  // more than enough
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(1, 0, 0, 0, 0, 0));

            // A draining node's replicas still serve, but do not count toward the factor.
            nc.draining = true;
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(2, 0, 0, 0, 0, 0));
            nc.draining = false;

            // A dead node's replicas count for nothing.
            place(m, 1, 1, nd.id);
            assertThat(m.markDead(nd)).isTrue();
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(2, 1, 0, 0, 0, 0));
            assertThat(m.markDead(na)).isTrue();
            // a,b -> b alone: under; a,b,c -> b,c: still two. Nothing new unavailable.
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(3, 1, 0, 0, 0, 0));
            assertThat(m.markDead(nb)).isTrue();
            // Now the a,b slab has no live readable replica, nor has the b(,c copying) one.
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(4, 3, 0, 0, 0, 0));

            // The copy progress is reported as the repairer gives it.
            ClusterStatus.Repair r = m.status(t -> 0, new Repairer.Progress(2, 10 * MIB, 30 * MIB, 7)).repair();
            assertThat(r).isEqualTo(new ClusterStatus.Repair(4, 3, 2, 10 * MIB, 30 * MIB, 7));
        }
    }

    @Test
    void updateReplacesTheCurrentRecordJournaledAndRefusesAStaleOne() {
        long a;
        long c;
        long id;
        try (Metadata m = recover()) {
            NodeRecord na = m.register(fresh("a", 1, 64 * MIB), links.open());
            NodeRecord nc = m.register(fresh("c", 3, 64 * MIB), null);
            a = na.id;
            c = nc.id;
            SlabRecord s0 = m.reserve("t", MIB, 1, NO_QUOTA).getFirst();
            m.commit(List.of(s0));
            id = s0.id();
            assertThat(s0.replicas()).containsExactly(a);

            SlabRecord s1 = s0.withCopy(c);
            assertThat(m.update(s0, s1)).isTrue();
            assertThat(m.slab(id)).isSameAs(s1);
            assertThat(nc.reserved).isEqualTo(MIB);
            assertThat(nc.slabs).isEqualTo(1);
            assertThat(m.usedBy("t")).isEqualTo(MIB);

            // s0 is stale now: a change computed from it is refused and changes nothing.
            assertThat(m.update(s0, s0.without(a))).isFalse();
            // So is an equal-looking copy of the current record: the check is on the very record.
            SlabRecord lookalike = new SlabRecord(id, "t", MIB, s1.replicas(), s1.epoch(), s1.readable(), s1.factor());
            assertThat(m.update(lookalike, s1.copied(c))).isFalse();
            assertThat(m.slab(id)).isSameAs(s1);
            assertThat(na.reserved).isEqualTo(MIB);
            assertThat(nc.reserved).isEqualTo(MIB);

            // A freed slab cannot be brought back by an update.
            SlabRecord other = m.reserve("t", MIB, 1, NO_QUOTA).getFirst();
            m.commit(List.of(other));
            m.free("t", other.id(), 1);
            assertThat(m.update(other, other.withCopy(c))).isFalse();
            assertThat(m.slab(other.id())).isNull();
            assertThat(nc.slabs).isEqualTo(1);
        }
        try (Metadata m = recover()) {
            SlabRecord s = m.slab(id);
            assertThat(s.replicas()).containsExactly(a, c);
            assertThat(s.readable()).isEqualTo(1);
            assertThat(s.epoch()).isEqualTo(1);
            assertThat(m.node(c).reserved).isEqualTo(MIB);
        }
    }

    @Test
    void copyTargetIsAPlaceableNodeNotHoldingTheSlabWithRoom() throws Exception {
        try (Metadata m = recover()) {
            NodeRecord holder = m.register(fresh("holder", 1, 64 * MIB), links.open());
            SlabRecord s = m.reserve("t", MIB, 1, NO_QUOTA).getFirst();
            m.commit(List.of(s));
            NodeRecord noLink = m.register(fresh("no-link", 2, 64 * MIB), null);
            NodeRecord closed = m.register(fresh("closed", 3, 64 * MIB), links.closed());
            NodeRecord draining = m.register(fresh("draining", 4, 64 * MIB), links.open());
            draining.draining = true;
            NodeRecord dead = m.register(fresh("dead", 5, 64 * MIB), links.open());
            m.markDead(dead);
            NodeRecord full = m.register(fresh("full", 6, MIB / 2), links.open()); // placeable, but too small
            NodeRecord excluded = m.register(fresh("excluded", 7, 64 * MIB), links.open());
            assertThat(m.copyTarget(s, java.util.Set.of(excluded.id))).isNull();
            NodeRecord good = m.register(fresh("good", 8, 2 * MIB), links.open());
            for (int i = 0; i < 20; i++) {
                assertThat(m.copyTarget(s, java.util.Set.of(excluded.id))).isSameAs(good);
            }
            assertThat(s.holds(holder.id)).isTrue();
            assertThat(List.of(noLink, closed, draining, dead)).noneMatch(NodeRecord::placeable);
            assertThat(full.free()).isLessThan(s.size());
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

            ClusterStatus s = m.status(t -> t.equals("alice") ? 10 * MIB : 20 * MIB, IDLE);
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
