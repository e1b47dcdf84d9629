package io.remem.controller;

import io.remem.protocol.ClusterStatus;
import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetMode;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.NodeHeartbeat;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegistered;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.SlabDescriptor;
import io.remem.protocol.SlabRun;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.NodeKey;
import io.remem.protocol.auth.Scram;
import io.remem.protocol.auth.Secret;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.ThrowableAssert.ThrowingCallable;

class MetadataTest {
    private static final int SHIFT = 20;
    private static final long MIB = 1L << 20;
    private static final long GRANULE = 64 << 10;
    private static final long NO_QUOTA = Long.MAX_VALUE / 4;
    /** How long a closed link may stay closed before its node is declared dead; irrelevant to nodes with no closed link. */
    private static final long GRACE = 1_000_000_000L;
    private static final Repairer.Progress IDLE = new Repairer.Progress(0, 0, 0, 0);
    private static final long HEARTBEAT = 1000;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Most tenants here only need to exist; one verifier serves them all, since deriving one costs a key stretch. */
    private static final Scram.Verifier VERIFIER = newVerifier();

    private static LoopbackLinks links;

    private final NodeKeys nodeKeys = new NodeKeys();

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

    /** Registers a node that never registered before, signed with a key of its own. */
    private NodeRecord fresh(Metadata m, String host, int port, long capacity, Peer link) {
        return nodeKeys.registerNew(m, host, port, capacity, link);
    }

    /** Registers node {@code id} again, signed with the key it first registered with. */
    private NodeRecord again(Metadata m, long id, String host, int port, long capacity, Peer link) {
        return nodeKeys.registerAgain(m, id, host, port, capacity, link);
    }

    private static Scram.Verifier newVerifier() {
        return Scram.Verifier.of(Secret.generate(RANDOM), RANDOM, Scram.MIN_ITERATIONS);
    }

    /** Adds a tenant that may hold as much as it likes. */
    private static void tenant(Metadata m, String name) {
        tenant(m, name, NO_QUOTA);
    }

    private static void tenant(Metadata m, String name, long quota) {
        m.addTenant(name, quota, VERIFIER);
    }

    private static long[] ids(List<SlabRecord> run) {
        return run.stream().mapToLong(SlabRecord::id).toArray();
    }

    private static ClusterStatus.Node nodeStatus(ClusterStatus s, long id) {
        return s.nodes().stream().filter(n -> n.nodeId() == id).findFirst()
                .orElseThrow(() -> new AssertionError("node " + id + " missing from " + s.nodes()));
    }

    private static ClusterStatus status(Metadata m) {
        return m.status(IDLE);
    }

    private static void assertCode(ThrowingCallable call, ErrorCode code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(code));
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
            id = fresh(m, "a", 1, 8 * MIB, null).id;
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
            first = fresh(m, "first", 1, MIB, null).id;
        }
        // A crash in the middle of an append leaves half an entry behind.
        Files.write(dir.resolve(Journal.FILE_NAME), new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND);
        long second;
        try (Metadata m = recover()) {
            assertThat(status(m).nodes()).extracting(ClusterStatus.Node::nodeId).containsExactly(first);
            second = fresh(m, "second", 2, MIB, null).id;
        }
        try (Metadata m = recover()) {
            assertThat(status(m).nodes()).extracting(ClusterStatus.Node::nodeId).containsExactly(first, second);
        }
    }

    // ------------------------------------------------------------------ registration

    @Test
    void registerAssignsIncreasingIdsToNewNodes() {
        try (Metadata m = recover()) {
            NodeRecord a = fresh(m, "a", 1, MIB, null);
            NodeRecord b = fresh(m, "b", 2, MIB, null);
            NodeRecord c = fresh(m, "c", 3, MIB, null);
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
            NodeRecord a = fresh(m, "a", 1, MIB, null);
            NodeRecord other = fresh(m, "other", 9, MIB, null);
            NodeRecord again = again(m, a.id, "a-moved", 5, 4 * MIB, null);
            assertThat(again.id).isEqualTo(a.id);
            assertThat(again.address()).isEqualTo("a-moved:5");
            assertThat(again.capacity).isEqualTo(4 * MIB);
            ClusterStatus s = status(m);
            assertThat(s.nodes()).extracting(ClusterStatus.Node::nodeId).containsExactlyInAnyOrder(a.id, other.id);
            assertThat(nodeStatus(s, a.id).address()).isEqualTo("a-moved:5");
            // The next new node still gets a fresh id.
            assertThat(fresh(m, "new", 3, MIB, null).id).isGreaterThan(other.id);
        }
    }

    @Test
    void nodeIdsSurviveARestart() {
        long a;
        long b;
        try (Metadata m = recover()) {
            a = fresh(m, "host-a", 7001, 3 * MIB, null).id;
            b = fresh(m, "host-b", 7002, 5 * MIB, null).id;
            again(m, a, "host-a2", 7003, 6 * MIB, null);
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
            assertThat(again(m, b, "host-b", 7002, 5 * MIB, null).id).isEqualTo(b);
            assertThat(fresh(m, "host-c", 7004, MIB, null).id).isGreaterThan(Math.max(a, b));
            assertThat(m.liveNodes()).isEqualTo(3);
        }
    }

    @Test
    void aRegistrationNotSignedByTheKeyItPresentsIsRefusedAndChangesNothing() {
        KeyPair key = NodeKey.generate();
        byte[] publicKey = NodeKey.encodePublic(key);
        byte[] otherBinding = NodeKeys.BINDING.clone();
        otherBinding[0] ^= 1;
        List<NodeRegister> forged = List.of(
                // signed by another key than the one presented
                new NodeRegister(0, "a", 1, MIB, publicKey, NodeKey.sign(NodeKey.generate(), NodeKeys.BINDING, 0), List.of()),
                // signed over another session's binding: a registration recorded elsewhere and replayed here
                new NodeRegister(0, "a", 1, MIB, publicKey, NodeKey.sign(key, otherBinding, 0), List.of()),
                // signed for another node id than the one claimed
                new NodeRegister(0, "a", 1, MIB, publicKey, NodeKey.sign(key, NodeKeys.BINDING, 5), List.of()),
                // not signed at all
                new NodeRegister(0, "a", 1, MIB, publicKey, new byte[0], List.of()),
                // no key at all
                new NodeRegister(0, "a", 1, MIB, new byte[0], NodeKey.sign(key, NodeKeys.BINDING, 0), List.of()));
        try (Metadata m = recover()) {
            for (NodeRegister reg : forged) {
                assertThatThrownBy(() -> m.register(reg, links.open(), NodeKeys.BINDING))
                        .isInstanceOfSatisfying(AuthenticationFailure.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
            }
            assertThat(status(m).nodes()).isEmpty();
            assertThat(m.liveNodes()).isZero();
            // The same registration, properly signed, is accepted, and gets the first id: the refusals used none.
            assertThat(m.register(NodeKeys.signed(key, 0, "a", 1, MIB, List.of()), null, NodeKeys.BINDING).id).isEqualTo(1);
        }
        try (Metadata m = recover()) {
            assertThat(status(m).nodes()).extracting(ClusterStatus.Node::nodeId).containsExactly(1L);
        }
    }

    @Test
    void aReturningNodeIdPresentedWithAnotherKeyIsRefusedAndTheNodeKeepsItsRecord() {
        long id;
        try (Metadata m = recover()) {
            Peer link = links.open();
            NodeRecord a = fresh(m, "a", 1, 8 * MIB, link);
            id = a.id;
            // Properly signed, but by a key the id is not bound to: a process without a's data directory.
            NodeRegister impostor = NodeKeys.signed(NodeKey.generate(), id, "evil", 666, 64 * MIB, List.of());
            assertThatThrownBy(() -> m.register(impostor, links.open(), NodeKeys.BINDING))
                    .isInstanceOf(AuthenticationFailure.class);
            assertThat(m.node(id)).isSameAs(a);
            assertThat(a.address()).isEqualTo("a:1");
            assertThat(a.capacity).isEqualTo(8 * MIB);
            assertThat(a.link).isSameAs(link);
            assertThat(a.publicKey).isEqualTo(NodeKey.encodePublic(nodeKeys.keyOf(id)));
        }
        // The id's key is journaled: after a restart another key is still refused, and the node's own accepted.
        try (Metadata m = recover()) {
            NodeRegister impostor = NodeKeys.signed(NodeKey.generate(), id, "evil", 666, 64 * MIB, List.of());
            assertThatThrownBy(() -> m.register(impostor, null, NodeKeys.BINDING)).isInstanceOf(AuthenticationFailure.class);
            assertThat(nodeStatus(status(m), id).address()).isEqualTo("a:1");
            assertThat(again(m, id, "a", 2, 8 * MIB, null).address()).isEqualTo("a:2");
        }
    }

    @Test
    void drainingSurvivesRestartsAndRegistrationsUntilUndrained() {
        long id;
        try (Metadata m = recover()) {
            NodeRecord n = fresh(m, "a", 1, 64 * MIB, links.open());
            id = n.id;
            tenant(m, "tenant-a");
            assertThat(m.drain(id, true)).isSameAs(n);
            assertThat(n.draining).isTrue();
            assertThat(n.placeable()).isFalse();
            assertCode(() -> m.drain(id + 100, true), ErrorCode.INVALID_ARGUMENT);
        }
        try (Metadata m = recover()) {
            assertThat(m.node(id).draining).isTrue();
            assertThat(nodeStatus(status(m), id).draining()).isTrue();
            // A node registers again after every restart; that must not end its drain: it still takes no new slabs.
            NodeRecord n = again(m, id, "a", 1, 64 * MIB, links.open());
            assertThat(n.draining).isTrue();
            assertCode(() -> m.reserve("tenant-a", MIB, 1), ErrorCode.CLUSTER_OUT_OF_CAPACITY);
            m.drain(id, false);
        }
        try (Metadata m = recover()) {
            assertThat(m.node(id).draining).isFalse();
            again(m, id, "a", 1, 64 * MIB, links.open());
            assertThat(m.reserve("tenant-a", MIB, 1)).hasSize(1);
        }
    }

    // ------------------------------------------------------------------ slabs: ids and persistence

    @Test
    void reserveSplitsARunIntoSlabsWithConsecutiveIdsAndGranuleRoundedTail() {
        try (Metadata m = recover()) {
            NodeRecord n = fresh(m, "a", 1, 100 * MIB, links.open());
            tenant(m, "tenant-a");
            List<SlabRecord> run = m.reserve("tenant-a", 2 * MIB + 1, 1);
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
            node = fresh(m, "mem-1", 7001, 16 * MIB, links.open()).id;
            tenant(m, "tenant-a", 8 * MIB);
            List<SlabRecord> run = m.reserve("tenant-a", 3 * MIB, 1);
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
            assertThat(status(m).tenants()).containsExactly(
                    new ClusterStatus.Tenant("tenant-a", 8 * MIB, 3 * MIB, 3, List.of(VERIFIER.keyId())));
        }
    }

    @Test
    void anUncommittedReservationIsNotPersistedAsSlabs() {
        long[] ids;
        try (Metadata m = recover()) {
            fresh(m, "mem-1", 7001, 16 * MIB, links.open());
            tenant(m, "tenant-a");
            ids = ids(m.reserve("tenant-a", 2 * MIB, 1));
        }
        try (Metadata m = recover()) {
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThatThrownBy(() -> m.lookup("tenant-a", ids[0], 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB));
        }
    }

    @Test
    void aLeaseAndItsSlabsSurviveRestartsAndEndingItFreesThemForGood() {
        long[] leased;
        try (Metadata m = recover()) {
            fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            m.leaseKeeper().open("tenant-a", 42, 8);
            List<SlabRecord> run = m.reserve("tenant-a", 2 * MIB, 1);
            m.commit(run, 42);
            m.commit(m.reserve("tenant-a", MIB, 1)); // no lease: never reclaimed
            leased = ids(run);
            List<ClusterStatus.Lease> held = status(m).leases();
            assertThat(held).hasSize(1);
            assertThat(held.getFirst()).isEqualTo(new ClusterStatus.Lease("tenant-a", 42, 2, 2 * MIB,
                    held.getFirst().expiresInMillis()));
            assertThat(held.getFirst().expiresInMillis()).isBetween(1L, 30_000L);
        }
        try (Metadata m = recover()) {
            assertThat(m.leaseKeeper().renew("tenant-a", 42)).as("the lease outlives a restart").isTrue();
            assertThat(m.status("tenant-a").leases()).extracting(ClusterStatus.Lease::slabs).containsExactly(2);
            assertThat(m.status("someone-else").leases()).isEmpty();
            assertThat(m.leaseKeeper().end("tenant-a", 42, true)).as("not expired: left alone").isNull();
            assertThat(m.leaseKeeper().end("tenant-a", 42, false)).extracting(SlabRecord::id)
                    .containsExactlyInAnyOrder(leased[0], leased[1]);
            assertThat(m.leaseKeeper().end("tenant-a", 42, false)).as("ended already").isNull();
            assertThat(m.usedBy("tenant-a")).isEqualTo(MIB);
        }
        try (Metadata m = recover()) {
            assertThat(m.leaseKeeper().renew("tenant-a", 42)).as("an ended lease stays ended").isFalse();
            assertThat(m.slab(leased[0])).isNull();
            assertThat(m.usedBy("tenant-a")).isEqualTo(MIB);
            assertThat(status(m).leases()).isEmpty();
        }
    }

    @Test
    void anAllocationForALeaseThatEndedIsRefusedWithLeaseExpired() {
        try (Metadata m = recover()) {
            fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            List<SlabRecord> run = m.reserve("tenant-a", MIB, 1);
            assertCode(() -> m.commit(run, 99), ErrorCode.LEASE_EXPIRED);
            m.abort(run);
            assertThat(m.usedBy("tenant-a")).isZero();
            m.leaseKeeper().open("tenant-a", 99, 8);
            m.commit(m.reserve("tenant-a", MIB, 1), 99);
            m.leaseKeeper().open("tenant-a", 100, 2);
            m.leaseKeeper().open("tenant-a", 100, 2); // a renewal, not a third lease
            assertCode(() -> m.leaseKeeper().open("tenant-a", 101, 2), ErrorCode.OVERLOADED);
            assertThat(m.usedBy("tenant-a")).isEqualTo(MIB);
            tenant(m, "tenant-b");
            List<SlabRecord> theirs = m.reserve("tenant-b", MIB, 1);
            assertCode(() -> m.commit(theirs, 99), ErrorCode.LEASE_EXPIRED); // another tenant's lease is no lease
            m.abort(theirs);
        }
    }

    @Test
    void aDatasetSurvivesRestartsCannotBeFreedSlabBySlabAndIsDeletedWhole() {
        long[] ids;
        try (Metadata m = recover()) {
            fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            List<SlabRecord> run = m.reserve("tenant-a", 3 * MIB, 1);
            m.datasetDirectory().commit(run, "users", 3 * MIB - 5, 1, DatasetMode.MRSW);
            ids = ids(run);
            List<SlabRecord> again = m.reserve("tenant-a", MIB, 1);
            assertCode(() -> m.datasetDirectory().commit(again, "users", MIB, 1, DatasetMode.NONE), ErrorCode.DATASET_EXISTS);
            m.abort(again);
            assertCode(() -> m.free("tenant-a", ids[0], 1), ErrorCode.INVALID_ARGUMENT);
        }
        try (Metadata m = recover()) {
            m.leaseKeeper().open("tenant-a", 5, 8);
            DatasetInfo.Opened opened = m.datasetDirectory().open("tenant-a", "tenant-a", "users", 5);
            assertThat(opened.info()).isEqualTo(new DatasetInfo("tenant-a", "users", 3 * MIB - 5, 1, DatasetMode.MRSW, 1));
            assertThat(opened.access()).isEqualTo(DatasetAccess.READ_WRITE);
            assertThat(opened.run().slabs()).extracting(SlabDescriptor::slabId).containsExactly(ids[0], ids[1], ids[2]);
            assertCode(() -> m.datasetDirectory().open("tenant-b", "tenant-b", "users", 0), ErrorCode.NO_SUCH_DATASET);
            assertThat(m.datasetDirectory().list("tenant-b")).isEmpty();
            assertThat(m.datasetDirectory().list(null)).containsExactly(opened.info());

            m.datasetDirectory().open("tenant-a", "tenant-a", "users", 5); // twice by one session: one close leaves it open
            m.datasetDirectory().close("tenant-a", "tenant-a", "users", 5);
        }
        try (Metadata m = recover()) {
            // Open by a session, which a restart does not forget: deleting is refused without force.
            assertCode(() -> m.datasetDirectory().delete("tenant-a", "users", false, 0), ErrorCode.DATASET_IN_USE);
            assertThat(m.datasetDirectory().list("tenant-a")).extracting(DatasetInfo::openBy).containsExactly(1);
            m.leaseKeeper().end("tenant-a", 5, false); // the session's end closes what it had open, and leaves the dataset
            assertThat(m.datasetDirectory().list("tenant-a")).extracting(DatasetInfo::openBy).containsExactly(0);
            assertThat(m.usedBy("tenant-a")).isEqualTo(3 * MIB);
            assertThat(m.datasetDirectory().delete("tenant-a", "users", false, 0)).extracting(SlabRecord::id)
                    .containsExactly(ids[0], ids[1], ids[2]);
            assertThat(m.usedBy("tenant-a")).isZero();
        }
        try (Metadata m = recover()) {
            assertThat(m.datasetDirectory().list(null)).isEmpty();
            assertThat(m.slab(ids[0])).isNull();
        }
    }

    /** Slab ids from {@code draws} in turn (each the draw plus one), then at random. */
    private static RandomGenerator scriptedIds(long... draws) {
        return new RandomGenerator() {
            private final SplittableRandom rest = new SplittableRandom(3);
            private int next;

            @Override
            public long nextLong() {
                return rest.nextLong();
            }

            @Override
            public long nextLong(long bound) {
                return next < draws.length ? draws[next++] : rest.nextLong(bound);
            }
        };
    }

    @Test
    void aGrowableDatasetGrowsIntoItsIdWindowWhichNoOtherRunTakesAndTheGrowthSurvivesRestarts() {
        long first = 1000;
        // The dataset draws 999 (ids from 1000); then an allocation draws 1005 (inside the dataset's window: refused)
        // and 999 + WINDOW (just past it: taken).
        RandomGenerator ids = scriptedIds(first - 1, first + 4, first - 1 + Datasets.WINDOW);
        try (Metadata m = Metadata.recover(config(SHIFT), new SplittableRandom(7), ids)) {
            fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            tenant(m, "tenant-b");
            List<SlabRecord> run = m.reserve("tenant-a", MIB + 5, 1, RunShape.dataset(true));
            assertThat(run).extracting(SlabRecord::size).containsExactly(MIB, MIB); // whole slabs, the last one too
            m.datasetDirectory().commit(run, "logs", MIB + 5, 1, DatasetMode.NONE);
            assertThat(ids(m.reserve("tenant-b", MIB, 1))).containsExactly(first + Datasets.WINDOW);

            // Within its slabs it grows with no new slab; past them, by whole slabs from the next id on.
            assertThat(m.datasetDirectory().planGrowth("tenant-a", "tenant-a", "logs", 2 * MIB, MIB).bytes()).isZero();
            DatasetDirectory.Growth g = m.datasetDirectory().planGrowth("tenant-a", "tenant-a", "logs", 3 * MIB + 1, MIB);
            assertThat(g.firstId()).isEqualTo(first + 2);
            assertThat(g.bytes()).isEqualTo(MIB + 1);
            List<SlabRecord> more = m.reserve("tenant-a", g.bytes(), 1, RunShape.growth(g.window(), g.firstId()));
            assertThat(more).extracting(SlabRecord::size).containsExactly(MIB, MIB);
            m.datasetDirectory().commitGrowth(more, "tenant-a", "logs", 3 * MIB + 1);
            // Asking for no more than it has changes nothing; only its owner may ask for more.
            assertThat(m.datasetDirectory().planGrowth("tenant-a", "tenant-a", "logs", MIB, MIB)).isNull();
            assertCode(() -> m.datasetDirectory().planGrowth("tenant-b", "tenant-a", "logs", 4 * MIB, MIB),
                    ErrorCode.NO_SUCH_DATASET);
        }
        try (Metadata m = recover()) {
            DatasetInfo.Opened o = m.datasetDirectory().open("tenant-a", "tenant-a", "logs", 0);
            assertThat(o.info().bytes()).isEqualTo(3 * MIB + 1);
            assertThat(o.run().slabs()).extracting(SlabDescriptor::slabId)
                    .containsExactly(first, first + 1, first + 2, first + 3);
            assertThat(m.usedBy("tenant-a")).isEqualTo(4 * MIB);
            // The window is rebuilt from the journal: the id right after the dataset is still kept for it.
            assertCode(() -> m.reserve("tenant-b", MIB, 1, new RunShape(first + 4, 0, false, 0)),
                    ErrorCode.INVALID_ARGUMENT);
            m.datasetDirectory().grant("tenant-a", "logs", "tenant-b", DatasetAccess.READ);
            assertThat(m.datasetDirectory().planGrowth("tenant-b", "tenant-a", "logs", MIB, MIB)).isNull();
            assertCode(() -> m.datasetDirectory().planGrowth("tenant-b", "tenant-a", "logs", 8 * MIB, MIB),
                    ErrorCode.ACCESS_DENIED);
        }
    }

    @Test
    void aDatasetNotCreatedGrowableKeepsNoIdWindow() {
        long first = 5000;
        // The dataset draws 4999 (ids 5000 and 5001, its last slab partial); the allocation after it draws 5001 and
        // gets 5002, right behind it: a window costs no quota, so only a growable dataset's whole slabs buy one.
        try (Metadata m = Metadata.recover(config(SHIFT), new SplittableRandom(7), scriptedIds(first - 1, first + 1))) {
            fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            List<SlabRecord> run = m.reserve("tenant-a", MIB + 5, 1, RunShape.dataset(false));
            m.datasetDirectory().commit(run, "small", MIB + 5, 1, DatasetMode.NONE);
            assertThat(ids(m.reserve("tenant-a", MIB, 1))).containsExactly(first + 2);
        }
    }

    @Test
    void aDatasetNotCreatedGrowableGrowsOnlyWithinItsLastSlab() {
        try (Metadata m = recover()) {
            fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            m.datasetDirectory().commit(m.reserve("tenant-a", MIB + 5, 1, RunShape.dataset(false)), "tight", MIB + 5,
                    1, DatasetMode.NONE);
            long granule = Limits.SLAB_GRANULE;
            assertThat(m.datasetDirectory().planGrowth("tenant-a", "tenant-a", "tight", MIB + granule, MIB).bytes())
                    .isZero();
            assertThatThrownBy(() -> m.datasetDirectory().planGrowth("tenant-a", "tenant-a", "tight", 2 * MIB, MIB))
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("not created growable").hasMessageContaining("to " + (MIB + granule));
        }
    }

    @Test
    void aGrantLetsAnotherTenantOpenADatasetUntilRevokedAndSurvivesRestarts() {
        try (Metadata m = recover()) {
            fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "owner");
            tenant(m, "reader");
            m.datasetDirectory().commit(m.reserve("owner", 2 * MIB, 1), "shared", 2 * MIB, 1,
                    DatasetMode.NONE);
            assertCode(() -> m.datasetDirectory().open("reader", "owner", "shared", 0), ErrorCode.NO_SUCH_DATASET);
            assertCode(() -> m.datasetDirectory().grant("owner", "shared", "owner", DatasetAccess.READ),
                    ErrorCode.INVALID_ARGUMENT);
            assertCode(() -> m.datasetDirectory().grant("owner", "nothing", "reader", DatasetAccess.READ),
                    ErrorCode.NO_SUCH_DATASET);
            assertCode(() -> m.datasetDirectory().grant("owner", "shared", "ghost", DatasetAccess.READ),
                    ErrorCode.INVALID_ARGUMENT); // a name that may be created later inherits nothing
            m.datasetDirectory().grant("owner", "shared", "reader", DatasetAccess.READ);
        }
        try (Metadata m = recover()) {
            m.leaseKeeper().open("reader", 77, 8);
            DatasetInfo.Opened o = m.datasetDirectory().open("reader", "owner", "shared", 77);
            assertThat(o.access()).isEqualTo(DatasetAccess.READ);
            assertThat(o.info().grants()).as("the grantee does not see the ACL").isEmpty();
            assertThat(m.datasetDirectory().list("reader")).extracting(DatasetInfo::name).containsExactly("shared");
            assertThat(m.datasetDirectory().list("owner").getFirst().grants()).containsEntry("reader", DatasetAccess.READ);
            assertThat(m.datasetDirectory().list("owner").getFirst().openBy()).as("opened by the grantee's session")
                    .isEqualTo(1);
            assertCode(() -> m.datasetDirectory().delete("owner", "shared", false, 0), ErrorCode.DATASET_IN_USE);
            m.leaseKeeper().end("reader", 77, false);
            m.datasetDirectory().grant("owner", "shared", "reader", DatasetAccess.NONE);
            assertCode(() -> m.datasetDirectory().open("reader", "owner", "shared", 0), ErrorCode.NO_SUCH_DATASET);
            m.datasetDirectory().grant("owner", "shared", "reader", DatasetAccess.READ_WRITE);
            m.leaseKeeper().open("reader", 78, 8);
            m.datasetDirectory().open("reader", "owner", "shared", 78);
            m.removeTenant("reader", false);
            assertThat(m.datasetDirectory().list("owner").getFirst().openBy())
                    .as("a removed tenant's sessions have nothing open").isZero();
            tenant(m, "reader"); // the name comes back: the grant does not
            assertCode(() -> m.datasetDirectory().open("reader", "owner", "shared", 0), ErrorCode.NO_SUCH_DATASET);
        }
    }

    @Test
    void removingATenantDeletesItsDatasetsAndForceDeletesOneInUse() {
        try (Metadata m = recover()) {
            fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            m.datasetDirectory().commit(m.reserve("tenant-a", MIB, 1), "kept", MIB, 1, DatasetMode.NONE);
            m.datasetDirectory().commit(m.reserve("tenant-a", MIB, 1), "busy", MIB, 1, DatasetMode.NONE);
            m.leaseKeeper().open("tenant-a", 8, 8);
            m.datasetDirectory().open("tenant-a", "tenant-a", "busy", 8);
            assertThat(m.datasetDirectory().delete("tenant-a", "busy", true, 0)).hasSize(1);
            m.removeTenant("tenant-a", true);
            assertThat(m.datasetDirectory().list(null)).isEmpty();
        }
        try (Metadata m = recover()) {
            assertThat(m.datasetDirectory().list(null)).isEmpty();
        }
    }

    @Test
    void freedSlabsStayFreedAcrossRestarts() {
        long[] kept;
        long[] gone;
        try (Metadata m = recover()) {
            fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            List<SlabRecord> keep = m.reserve("tenant-a", MIB, 1);
            m.commit(keep);
            List<SlabRecord> free = m.reserve("tenant-a", 3 * MIB, 1);
            m.commit(free);
            kept = ids(keep);
            gone = ids(free);
            assertThat(m.free("tenant-a", gone[0], 3)).extracting(SlabRecord::id).containsExactly(gone[0], gone[1], gone[2]);
        }
        // The first restart still replays the freed slabs' entries; the second sees only the compacted snapshot.
        for (int restart = 0; restart < 2; restart++) {
            try (Metadata m = recover()) {
                assertThat(m.usedBy("tenant-a")).as("restart %d", restart).isEqualTo(MIB);
                assertThat(m.slab(kept[0])).isNotNull();
                for (long id : gone) {
                    assertThat(m.slab(id)).isNull();
                }
                assertCode(() -> m.lookup("tenant-a", gone[0], 1), ErrorCode.NO_SUCH_SLAB);
            }
        }
    }

    /**
     * Proposes the given numbers, in order, as {@link SlabIds} asks for them: each run's first id is one more. A test
     * that knows which ids will be proposed can check that taken ones are passed over.
     */
    private static RandomGenerator proposing(long... draws) {
        return new RandomGenerator() {
            private int next;

            @Override
            public long nextLong() {
                throw new AssertionError("SlabIds draws within a bound");
            }

            @Override
            public long nextLong(long bound) {
                assertThat(next).as("more ids drawn than the test proposes").isLessThan(draws.length);
                long d = draws[next++];
                assertThat(d).isLessThan(bound);
                return d;
            }
        };
    }

    @Test
    void anIdHeldOrReservedIsNotHandedOutAgainEvenWhenTheRandomSourceProposesIt() {
        ControllerConfig c = config(SHIFT);
        long nodeId;
        // Each reservation is offered ids that are taken first: 100 + 1 is the first id of the first run.
        try (Metadata m = Metadata.recover(c, new SplittableRandom(7), proposing(100, 100, 200, 101, 200, 300))) {
            nodeId = fresh(m, "mem-1", 7001, 64 * MIB, links.open()).id;
            tenant(m, "tenant-a");
            List<SlabRecord> first = m.reserve("tenant-a", 2 * MIB, 1);
            assertThat(ids(first)).containsExactly(101, 102);
            // 101 is reserved by a run not yet committed: passed over.
            List<SlabRecord> second = m.reserve("tenant-a", MIB, 1);
            assertThat(ids(second)).containsExactly(201);
            m.commit(first);
            m.commit(second);
            // A run overlapping a held slab in any of its ids is passed over too: 102..103 overlaps 102.
            List<SlabRecord> third = m.reserve("tenant-a", 2 * MIB, 1);
            assertThat(ids(third)).containsExactly(301, 302);
            m.commit(third);
        }
        // After a restart the held ids come from the journal, and are still passed over.
        try (Metadata m = Metadata.recover(c, new SplittableRandom(7), proposing(100, 200, 301, 400))) {
            again(m, nodeId, "mem-1", 7001, 64 * MIB, links.open());
            assertThat(ids(m.reserve("tenant-a", MIB, 1))).containsExactly(401);
        }
    }

    @Test
    void anAbortedReservationGivesBackWhatItCharged() {
        try (Metadata m = recover()) {
            NodeRecord n = fresh(m, "mem-1", 7001, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            List<SlabRecord> run = m.reserve("tenant-a", 2 * MIB, 1);
            assertThat(n.reserved).isEqualTo(2 * MIB);
            m.abort(run);
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThat(n.reserved).isZero();
            assertThat(n.slabs).isZero();
            assertThat(m.slab(run.getFirst().id())).isNull();
        }
        // Nothing of it was journaled.
        try (Metadata m = recover()) {
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThat(m.allSlabs()).isEmpty();
        }
    }

    @Test
    void nodeIdsAreNeverReusedAcrossRepeatedRestarts() {
        long highest;
        try (Metadata m = recover()) {
            fresh(m, "a", 1, MIB, null);
            highest = fresh(m, "b", 2, MIB, null).id;
        }
        for (int i = 0; i < 3; i++) {
            recover().close();
        }
        try (Metadata m = recover()) {
            assertThat(fresh(m, "c", 3, MIB, null).id).isGreaterThan(highest);
        }
    }

    // ------------------------------------------------------------------ quotas and capacity

    @Test
    void reserveBeyondTheQuotaIsRefusedNamingTenantAndQuota() {
        try (Metadata m = recover()) {
            tenant(m, "tenant-q", 4 * MIB);
            // No memory node at all: the quota is checked before placement.
            assertThatThrownBy(() -> m.reserve("tenant-q", 5 * MIB, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                    .hasMessageContaining("tenant-q")
                    .hasMessageContaining(String.valueOf(4 * MIB));
            assertThat(m.usedBy("tenant-q")).isZero();
        }
    }

    @Test
    void theQuotaCountsWhatIsAlreadyHeldAndGranuleRounding() {
        try (Metadata m = recover()) {
            fresh(m, "a", 1, 64 * MIB, links.open());
            long quota = 2 * MIB;
            tenant(m, "tenant-a", quota);
            tenant(m, "tenant-b", quota);
            m.commit(m.reserve("tenant-a", MIB + 1, 1)); // charged MIB + one granule
            assertThat(m.usedBy("tenant-a")).isEqualTo(MIB + GRANULE);
            // Exactly up to the quota is allowed...
            m.commit(m.reserve("tenant-a", MIB - GRANULE - 5, 1));
            assertThat(m.usedBy("tenant-a")).isEqualTo(quota);
            // ...one more byte (one more granule) is not.
            assertThatThrownBy(() -> m.reserve("tenant-a", 1, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                    .hasMessageContaining("tenant-a")
                    .hasMessageContaining(String.valueOf(quota));
            // Another tenant has its own account.
            m.reserve("tenant-b", 1, 1);
            assertThat(m.usedBy("tenant-b")).isEqualTo(GRANULE);
        }
    }

    @Test
    void freeingGivesQuotaBack() {
        try (Metadata m = recover()) {
            fresh(m, "a", 1, 64 * MIB, links.open());
            tenant(m, "tenant-a", 2 * MIB);
            List<SlabRecord> run = m.reserve("tenant-a", 2 * MIB, 1);
            m.commit(run);
            assertThatThrownBy(() -> m.reserve("tenant-a", MIB, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED));
            m.free("tenant-a", run.getFirst().id(), 2);
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThat(m.reserve("tenant-a", 2 * MIB, 1)).hasSize(2);
        }
    }

    @Test
    void aRunNeedingTooManySlabsIsRefused() {
        try (Metadata m = recover()) {
            tenant(m, "tenant-a", Long.MAX_VALUE);
            long bytes = ((long) SlabRun.MAX_SLABS << SHIFT) + 1;
            assertThatThrownBy(() -> m.reserve("tenant-a", bytes, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
        }
    }

    @Test
    void withNoPlaceableNodeReserveFailsOutOfCapacityAndChargesNothing() throws Exception {
        try (Metadata m = recover()) {
            NodeRecord dead = fresh(m, "dead", 3, 64 * MIB, links.open());
            assertThat(m.detectFailures(dead.lastHeartbeatNanos + 10_000_000_000L, 1_000_000_000L, GRACE)).containsExactly(dead);
            NodeRecord noLink = fresh(m, "no-link", 1, 64 * MIB, null);
            NodeRecord closed = fresh(m, "closed", 2, 64 * MIB, links.closed());
            tenant(m, "tenant-a");
            assertThat(noLink.alive).isTrue();
            assertThat(closed.alive).isTrue();
            assertThatThrownBy(() -> m.reserve("tenant-a", MIB, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY));
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThat(List.of(noLink, closed, dead)).allSatisfy(n -> assertThat(n.reserved).isZero());
        }
    }

    @Test
    void aRunThatDoesNotFitIsRolledBackEntirely() {
        try (Metadata m = recover()) {
            NodeRecord n = fresh(m, "small", 1, 2 * MIB, links.open());
            tenant(m, "tenant-a");
            // The first two slabs fit, the third does not.
            assertThatThrownBy(() -> m.reserve("tenant-a", 3 * MIB, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY))
                    .hasMessageContaining(String.valueOf(MIB));
            assertThat(m.usedBy("tenant-a")).isZero();
            assertThat(n.reserved).isZero();
            assertThat(n.slabs).isZero();
            // The node's capacity is all still there.
            assertThat(m.reserve("tenant-a", 2 * MIB, 1)).hasSize(2);
            assertThat(n.reserved).isEqualTo(2 * MIB);
        }
    }

    @Test
    void nodeCapacityBoundsPlacementAndFreeingReturnsIt() {
        try (Metadata m = recover()) {
            NodeRecord n = fresh(m, "a", 1, 3 * MIB, links.open());
            tenant(m, "tenant-a");
            List<SlabRecord> run = m.reserve("tenant-a", 3 * MIB, 1);
            m.commit(run);
            assertThat(n.free()).isZero();
            assertThatThrownBy(() -> m.reserve("tenant-a", 1, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY));
            m.free("tenant-a", run.get(1).id(), 1);
            assertThat(n.free()).isEqualTo(MIB);
            assertThat(n.slabs).isEqualTo(2);
            assertThat(m.reserve("tenant-a", MIB, 1)).hasSize(1);
        }
    }

    @Test
    void replicasOfOneSlabGoToDistinctNodes() {
        try (Metadata m = recover()) {
            NodeRecord a = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord b = fresh(m, "b", 2, 64 * MIB, links.open());
            NodeRecord c = fresh(m, "c", 3, 64 * MIB, links.open());
            tenant(m, "tenant-a");
            List<SlabRecord> run = m.reserve("tenant-a", 10 * MIB, 2);
            assertThat(run).allSatisfy(s -> {
                assertThat(s.replicas()).hasSize(2).doesNotHaveDuplicates();
                assertThat(Arrays.stream(s.replicas()).boxed().toList()).isSubsetOf(a.id, b.id, c.id);
            });
            // Each replica is charged to its node; the tenant pays for what it asked for.
            assertThat(a.reserved + b.reserved + c.reserved).isEqualTo(20 * MIB);
            assertThat(m.usedBy("tenant-a")).isEqualTo(10 * MIB);
            assertThatThrownBy(() -> m.reserve("tenant-a", MIB, 4))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY));
            assertThat(a.reserved + b.reserved + c.reserved).isEqualTo(20 * MIB);
        }
    }

    // ------------------------------------------------------------------ ownership

    @Test
    void lookupAndFreeOnlyServeTheOwningTenant() {
        try (Metadata m = recover()) {
            fresh(m, "a", 1, 64 * MIB, links.open());
            tenant(m, "alice");
            tenant(m, "mallory");
            List<SlabRecord> run = m.reserve("alice", 2 * MIB, 1);
            m.commit(run);
            long first = run.getFirst().id();
            // Another tenant's slab is answered as one that does not exist, so slab ids cannot be probed.
            assertCode(() -> m.lookup("mallory", first, 1), ErrorCode.NO_SUCH_SLAB);
            assertCode(() -> m.free("mallory", first, 2), ErrorCode.NO_SUCH_SLAB);
            assertThat(m.slab(first)).isNotNull();
            // A run reaching past the owned slabs is refused as a whole: nothing is freed.
            assertCode(() -> m.free("alice", first, 3), ErrorCode.NO_SUCH_SLAB);
            assertCode(() -> m.lookup("alice", first, 0), ErrorCode.INVALID_ARGUMENT);
            assertThat(m.usedBy("alice")).isEqualTo(2 * MIB);
            assertThat(m.lookup("alice", first, 2).slabs()).hasSize(2);
            m.free("alice", first, 2);
            assertCode(() -> m.lookup("alice", first, 1), ErrorCode.NO_SUCH_SLAB);
        }
    }

    @Test
    void anotherTenantsSlabAndAMissingOneGetTheSameAnswer() {
        try (Metadata m = recover()) {
            fresh(m, "a", 1, 64 * MIB, links.open());
            tenant(m, "alice");
            tenant(m, "mallory");
            List<SlabRecord> run = m.reserve("alice", MIB, 1);
            m.commit(run);
            long id = run.getFirst().id();
            // The same id, asked by the same tenant, while it is alice's and once it no longer exists: nothing in the
            // answer may tell the two apart.
            RememException othersLookup = catchThrowableOfType(RememException.class, () -> m.lookup("mallory", id, 1));
            RememException othersFree = catchThrowableOfType(RememException.class, () -> m.free("mallory", id, 1));
            m.free("alice", id, 1);
            RememException missingLookup = catchThrowableOfType(RememException.class, () -> m.lookup("mallory", id, 1));
            RememException missingFree = catchThrowableOfType(RememException.class, () -> m.free("mallory", id, 1));
            for (RememException e : List.of(othersLookup, othersFree, missingLookup, missingFree)) {
                assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
            }
            assertThat(othersLookup.getMessage()).isEqualTo(missingLookup.getMessage());
            assertThat(othersLookup.detail()).isEqualTo(missingLookup.detail());
            assertThat(othersFree.getMessage()).isEqualTo(missingFree.getMessage());
            assertThat(othersFree.detail()).isEqualTo(missingFree.detail());
        }
    }

    @Test
    void anAbsurdSlabCountIsRefusedBeforeAnythingIsSizedByIt() {
        try (Metadata m = recover()) {
            fresh(m, "a", 1, 64 * MIB, links.open());
            tenant(m, "alice");
            List<SlabRecord> run = m.reserve("alice", MIB, 1);
            m.commit(run);
            long first = run.getFirst().id();
            // A list sized by this count would throw OutOfMemoryError, not the RememException asserted here.
            for (int count : new int[] {Integer.MAX_VALUE, SlabRun.MAX_SLABS + 1, -1, Integer.MIN_VALUE}) {
                assertThatThrownBy(() -> m.lookup("alice", first, count))
                        .as("lookup of %d slabs", count)
                        .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                        .hasMessageContaining(String.valueOf(count));
                assertThatThrownBy(() -> m.free("alice", first, count))
                        .as("free of %d slabs", count)
                        .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
            }
            // Ids past the end of the id space are refused the same way, rather than wrapping around.
            assertCode(() -> m.lookup("alice", Long.MAX_VALUE, 2), ErrorCode.INVALID_ARGUMENT);
            assertCode(() -> m.lookup("alice", -1, 1), ErrorCode.INVALID_ARGUMENT);
            assertThat(m.usedBy("alice")).isEqualTo(MIB);
            assertThat(m.lookup("alice", first, 1).slabs()).hasSize(1);
        }
    }

    // ------------------------------------------------------------------ tenants

    @Test
    void reserveForATenantNobodyAddedIsRefusedAndChargesNothing() {
        try (Metadata m = recover()) {
            NodeRecord n = fresh(m, "a", 1, 64 * MIB, links.open());
            assertThatThrownBy(() -> m.reserve("ghost", MIB, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("ghost");
            assertThat(m.tenantExists("ghost")).isFalse();
            assertThat(m.usedBy("ghost")).isZero();
            assertThat(n.reserved).isZero();
            // Nor did asking make a record for it.
            assertThat(status(m).tenants()).isEmpty();
        }
    }

    @Test
    void aTenantAddedWithoutAQuotaOfItsOwnGetsTheConfiguredDefault() {
        ControllerConfig c = config(SHIFT).withDefaultQuota(3 * MIB);
        try (Metadata m = Metadata.recover(c, new SplittableRandom(7))) {
            fresh(m, "a", 1, 64 * MIB, links.open());
            m.addTenant("plain", -1, VERIFIER);
            m.addTenant("own", 5 * MIB, VERIFIER);
            assertThat(m.quotaOf("plain")).isEqualTo(3 * MIB);
            assertThat(m.quotaOf("own")).isEqualTo(5 * MIB);
            m.commit(m.reserve("plain", 3 * MIB, 1));
            assertThatThrownBy(() -> m.reserve("plain", 1, 1))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                    .hasMessageContaining(String.valueOf(3 * MIB));
            m.commit(m.reserve("own", 5 * MIB, 1));
            // The quota is the tenant record's, so changing the record changes what it may hold.
            m.setQuota("plain", 4 * MIB);
            assertThat(m.reserve("plain", MIB, 1)).hasSize(1);
        }
    }

    @Test
    void removeTenantRefusesATenantHoldingSlabsUnlessForcedAndThenFreesAndReturnsThem() {
        long nodeId;
        long[] alices;
        long bobs;
        try (Metadata m = recover()) {
            NodeRecord n = fresh(m, "a", 1, 64 * MIB, links.open());
            nodeId = n.id;
            tenant(m, "alice");
            tenant(m, "bob");
            tenant(m, "carol");
            List<SlabRecord> run = m.reserve("alice", 2 * MIB, 1);
            m.commit(run);
            alices = ids(run);
            List<SlabRecord> other = m.reserve("bob", MIB, 1);
            m.commit(other);
            bobs = other.getFirst().id();

            assertThatThrownBy(() -> m.removeTenant("alice", false))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("alice")
                    .hasMessageContaining("force");
            assertThat(m.tenantExists("alice")).isTrue();
            assertThat(m.lookup("alice", alices[0], 2).slabs()).hasSize(2);

            List<SlabRecord> freed = m.removeTenant("alice", true);
            // Returned, for the caller to delete them on their nodes.
            assertThat(freed).extracting(SlabRecord::id).containsExactlyInAnyOrder(alices[0], alices[1]);
            assertThat(freed).allSatisfy(s -> assertThat(s.replicas()).containsExactly(nodeId));
            assertThat(m.slab(alices[0])).isNull();
            assertThat(m.slab(alices[1])).isNull();
            assertThat(n.reserved).isEqualTo(MIB);
            assertThat(n.slabs).isEqualTo(1);
            assertThat(m.usedBy("alice")).isZero();
            assertThat(m.tenantExists("alice")).isFalse();
            assertThat(m.tenantVerifier("alice", VERIFIER.keyId())).isNull();
            assertCode(() -> m.lookup("alice", alices[0], 1), ErrorCode.NO_SUCH_SLAB);
            assertCode(() -> m.reserve("alice", MIB, 1), ErrorCode.INVALID_ARGUMENT);
            // A tenant that holds nothing needs no force; one that does not exist cannot be removed.
            assertThat(m.removeTenant("carol", false)).isEmpty();
            assertCode(() -> m.removeTenant("carol", true), ErrorCode.INVALID_ARGUMENT);
            assertThat(status(m).tenants()).extracting(ClusterStatus.Tenant::name).containsExactly("bob");
        }
        try (Metadata m = recover()) {
            assertThat(status(m).tenants()).extracting(ClusterStatus.Tenant::name).containsExactly("bob");
            assertThat(m.slab(alices[0])).isNull();
            assertThat(m.slab(bobs)).isNotNull();
            assertThat(m.node(nodeId).reserved).isEqualTo(MIB);
            // The name may be given to a new tenant, which starts with nothing.
            tenant(m, "alice");
            assertThat(m.usedBy("alice")).isZero();
        }
    }

    @Test
    void tenantRecordsSurviveRestarts() {
        Scram.Verifier first = newVerifier();
        Scram.Verifier second = newVerifier();
        try (Metadata m = recover()) {
            m.addTenant("alice", 5 * MIB, first);
            m.addTenantKey("alice", second);
            m.setQuota("alice", 7 * MIB);
            tenant(m, "bob", MIB);
            tenant(m, "gone");
            m.removeTenant("gone", false);
        }
        // The first restart replays every change; the second only the compacted snapshot.
        for (int restart = 0; restart < 2; restart++) {
            try (Metadata m = recover()) {
                assertThat(m.quotaOf("alice")).as("restart %d", restart).isEqualTo(7 * MIB);
                assertThat(m.tenantVerifier("alice", first.keyId())).usingRecursiveComparison().isEqualTo(first);
                assertThat(m.tenantVerifier("alice", second.keyId())).usingRecursiveComparison().isEqualTo(second);
                assertThat(m.tenantExists("gone")).isFalse();
                assertThat(status(m).tenants()).containsExactly(
                        new ClusterStatus.Tenant("alice", 7 * MIB, 0, 0, List.of(first.keyId(), second.keyId())),
                        new ClusterStatus.Tenant("bob", MIB, 0, 0, List.of(VERIFIER.keyId())));
            }
        }
    }

    @Test
    void tenantKeysCanBeAddedAndRevokedButNotDuplicatedAndNeverTheLast() {
        Scram.Verifier first = newVerifier();
        Scram.Verifier second = newVerifier();
        try (Metadata m = recover()) {
            m.addTenant("alice", -1, first);
            // Adding the tenant again is refused, whatever the key: keys are added to it instead.
            assertThatThrownBy(() -> m.addTenant("alice", -1, second))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("already exists");
            // Its only key cannot be revoked: no one could log in as it again.
            assertThatThrownBy(() -> m.revokeTenantKey("alice", first.keyId()))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("last");
            // A key id it already has is refused, even with other key material: it would shadow the first.
            Scram.Verifier sameId = new Scram.Verifier(first.keyId(), second.salt(), second.iterations(),
                    second.storedKey(), second.serverKey());
            assertThatThrownBy(() -> m.addTenantKey("alice", sameId))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining(first.keyId());
            assertThat(m.tenantVerifier("alice", first.keyId())).usingRecursiveComparison().isEqualTo(first);

            m.addTenantKey("alice", second);
            m.revokeTenantKey("alice", first.keyId());
            assertThat(m.tenantVerifier("alice", first.keyId())).isNull();
            assertThat(m.tenantVerifier("alice", second.keyId())).usingRecursiveComparison().isEqualTo(second);
            assertThatThrownBy(() -> m.revokeTenantKey("alice", second.keyId()))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("last");
            assertCode(() -> m.revokeTenantKey("alice", first.keyId()), ErrorCode.INVALID_ARGUMENT);
            assertCode(() -> m.addTenantKey("nobody", newVerifier()), ErrorCode.INVALID_ARGUMENT);
            assertCode(() -> m.revokeTenantKey("nobody", second.keyId()), ErrorCode.INVALID_ARGUMENT);
        }
        try (Metadata m = recover()) {
            assertThat(m.tenantVerifier("alice", first.keyId())).isNull();
            assertThat(m.tenantVerifier("alice", second.keyId())).usingRecursiveComparison().isEqualTo(second);
        }
    }

    @Test
    void aTenantHoldsAtMostTheMaximumNumberOfKeys() {
        try (Metadata m = recover()) {
            m.addTenant("alice", -1, VERIFIER);
            for (int i = 1; i < ClusterStatus.MAX_KEYS; i++) {
                m.addTenantKey("alice", newVerifier());
            }
            assertThatThrownBy(() -> m.addTenantKey("alice", newVerifier()))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("revoke one first");
            assertThat(status(m).tenants().getFirst().keyIds()).hasSize(ClusterStatus.MAX_KEYS);
        }
    }

    // ------------------------------------------------------------------ failure detection

    @Test
    void detectFailuresMarksASilentNodeDeadAndReportsItOnce() {
        long timeout = 5_000_000_000L;
        try (Metadata m = recover()) {
            NodeRecord quiet = fresh(m, "quiet", 1, MIB, null);
            NodeRecord chatty = fresh(m, "chatty", 2, MIB, null);
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
            NodeRecord n = fresh(m, "n", 1, 8 * MIB, null);
            m.heartbeat(n, new NodeHeartbeat(8 * MIB, GRANULE, 0, 0));
            assertThat(n.backed).isEqualTo(GRANULE);
            assertThat(m.detectFailures(n.lastHeartbeatNanos + 2 * timeout, timeout, GRACE)).containsExactly(n);
            // It may have been dropped from slabs while it was away: it must register again to learn which.
            assertThatThrownBy(() -> m.heartbeat(n, new NodeHeartbeat(8 * MIB, 3 * GRANULE, 0, 0)))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NODE_UNAVAILABLE));
            assertThat(n.alive).isFalse();
            assertThat(n.backed).isEqualTo(GRANULE);
            assertThat(m.liveNodes()).isZero();

            NodeRecord again = again(m, n.id, "n", 1, 8 * MIB, null);
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
            NodeRecord n = fresh(m, "n", 1, MIB, null);
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
            a = fresh(m, "a", 1, MIB, null).id;
            b = fresh(m, "b", 2, MIB, null).id;
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
     * (so some node must be placeable), then swapped for the wanted record through {@link Metadata#update}. Adds the
     * tenant the first time.
     */
    private static SlabRecord place(Metadata m, int readable, int factor, long... replicas) {
        if (!m.tenantExists("t")) {
            tenant(m, "t");
        }
        SlabRecord placed = m.reserve("t", MIB, 1).getFirst();
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
            NodeRecord na = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord nb = fresh(m, "b", 2, 64 * MIB, links.open());
            NodeRecord nc = fresh(m, "c", 3, 64 * MIB, links.open());
            a = na.id;
            b = nb.id;
            c = nc.id;
            s1 = place(m, 2, 2, a, b).id();
            SlabRecord only = place(m, 1, 2, a, c); // a is the only readable replica; c is being copied
            s2 = only.id();
            s3 = place(m, 2, 2, b, a).id();
            SlabRecord other = place(m, 2, 2, b, c);
            s4 = other.id();
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(1, 0, 0, 0, 0, 0, 0)); // s2 lacks a readable copy
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
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(3, 1, 0, 0, 0, 0, 0));
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
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(3, 0, 0, 0, 0, 0, 0));
        }
    }

    @Test
    void dropDeadNodeDropsACopyingReplicaButNotTheLastReadableOne() {
        try (Metadata m = recover()) {
            NodeRecord na = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord nc = fresh(m, "c", 3, 64 * MIB, links.open());
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
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(1, 1, 0, 0, 0, 0, 0));
        }
    }

    @Test
    void twoReplicasDeclaredDeadTogetherAreBothKeptUntilOneReturns() {
        long timeout = 1_000_000_000L;
        try (Metadata m = recover()) {
            NodeRecord na = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord nb = fresh(m, "b", 2, 64 * MIB, links.open());
            SlabRecord s = place(m, 2, 2, na.id, nb.id);
            long later = Math.max(na.lastHeartbeatNanos, nb.lastHeartbeatNanos) + 2 * timeout;
            List<NodeRecord> dead = m.detectFailures(later, timeout, GRACE);
            assertThat(dead).containsExactlyInAnyOrder(na, nb);
            for (NodeRecord n : dead) { // what Controller.detectFailures does
                m.dropDeadNode(n);
            }
            // Whichever of the two returns first still holds every acknowledged write, and must keep it.
            List<NodeRegister.HeldSlab> held = List.of(new NodeRegister.HeldSlab(s.id(), s.epoch()));
            assertThat(m.reconcile(na, held, HEARTBEAT).keep()).containsExactly(s.id());
            assertThat(m.reconcile(nb, held, HEARTBEAT).keep()).containsExactly(s.id());
        }
    }

    @Test
    void aClosedLinkGetsTheShorterGraceASilentOneTheFullTimeout() {
        long timeout = 10_000_000_000L;
        long grace = 1_000_000_000L;
        try (Metadata m = recover()) {
            NodeRecord quiet = fresh(m, "quiet", 1, MIB, null);    // never connected: heartbeats decide
            NodeRecord crashed = fresh(m, "crashed", 2, MIB, null);
            NodeRecord back = fresh(m, "back", 3, MIB, null);
            long t0 = System.nanoTime();
            for (NodeRecord n : List.of(quiet, crashed, back)) {
                n.lastHeartbeatNanos = t0;
            }
            // The connections of two nodes closed at t0 (what ControllerService.onClose records)...
            crashed.linkLostNanos = t0;
            back.linkLostNanos = t0;
            // ...and one of them registered again at once.
            again(m, back.id, "back", 3, MIB, links.open());
            assertThat(back.linkLostNanos).isZero();
            back.lastHeartbeatNanos = t0;
            // Only a node with no link counts as gone: one connected again is judged by its heartbeats, even with a
            // close time left behind.
            NodeRecord stale = fresh(m, "stale", 4, MIB, links.open());
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
            NodeRecord n = fresh(m, "n", 1, MIB, null);
            long t0 = n.lastHeartbeatNanos;
            n.linkLostNanos = t0;
            assertThat(m.detectFailures(t0 + timeout / 2, timeout, grace)).isEmpty();
            assertThat(m.detectFailures(t0 + 2 * timeout, timeout, grace)).containsExactly(n);
        }
    }

    @Test
    void reconcileKeepsOnlyTheHeldSlabsTheNodeIsAReadableReplicaOf() {
        try (Metadata m = recover()) {
            NodeRecord na = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord nb = fresh(m, "b", 2, 64 * MIB, links.open());
            NodeRecord nc = fresh(m, "c", 3, 64 * MIB, links.open());
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
            assertThat(m.reconcile(na, held, HEARTBEAT).keep()).containsExactly(both.id());
            assertThat(m.reconcile(nb, held, HEARTBEAT).keep()).containsExactly(notOnA.id(), copyingToA.id(), both.id());
            assertThat(m.reconcile(nc, held, HEARTBEAT).keep()).containsExactly(notOnA.id());
            assertThat(m.reconcile(na, List.of(), HEARTBEAT).keep()).isEmpty();

            // Dropped from a slab while it was away: it must not keep it.
            assertThat(m.markDead(na)).isTrue();
            m.dropDeadNode(na);
            assertThat(m.reconcile(na, held, HEARTBEAT).keep()).isEmpty();
        }
    }

    @Test
    void aDamagedCopyWithAnotherLiveReadableReplicaIsDroppedOnRegistration() {
        long id;
        long b;
        try (Metadata m = recover()) {
            NodeRecord na = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord nb = fresh(m, "b", 2, 64 * MIB, links.open());
            b = nb.id;
            SlabRecord s = place(m, 2, 2, na.id, nb.id);
            id = s.id();
            List<NodeRegister.HeldSlab> held = List.of(new NodeRegister.HeldSlab(id, s.epoch(), NodeRegister.DAMAGED));
            NodeRegistered reply = m.reconcile(na, held, HEARTBEAT);
            assertThat(reply.nodeId()).isEqualTo(na.id);
            assertThat(reply.heartbeatIntervalMillis()).isEqualTo(HEARTBEAT);
            // Neither kept nor to be restored: the node deletes its copy, and b's is copied anew.
            assertThat(reply.keep()).isEmpty();
            assertThat(reply.restore()).isEmpty();
            assertThat(m.isQuarantined(id)).isFalse();
            SlabRecord after = m.slab(id);
            assertThat(after.replicas()).containsExactly(nb.id);
            assertThat(after.readable()).isEqualTo(1);
            assertThat(after.epoch()).isEqualTo(s.epoch() + 1);
            assertThat(na.reserved).isZero();
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(1, 0, 0, 0, 0, 0, 0));
            // b's copy, not damaged, is kept.
            assertThat(m.reconcile(nb, List.of(new NodeRegister.HeldSlab(id, after.epoch())), HEARTBEAT).keep())
                    .containsExactly(id);
        }
        try (Metadata m = recover()) {
            assertThat(m.slab(id).replicas()).containsExactly(b);
        }
    }

    @Test
    void aDamagedCopyThatIsTheOnlyReadableOneIsRestoredAndQuarantined() {
        try (Metadata m = recover()) {
            NodeRecord na = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord nb = fresh(m, "b", 2, 64 * MIB, links.open());
            NodeRecord nc = fresh(m, "c", 3, 64 * MIB, links.open());
            SlabRecord copying = place(m, 1, 2, na.id, nb.id);   // b is still being copied: a's is the only readable copy
            SlabRecord otherDead = place(m, 2, 2, na.id, nc.id); // c holds the other one, but c is dead
            SlabRecord fine = place(m, 1, 1, na.id);
            assertThat(m.markDead(nc)).isTrue();
            List<NodeRegister.HeldSlab> held = List.of(
                    new NodeRegister.HeldSlab(copying.id(), 0, NodeRegister.DAMAGED),
                    new NodeRegister.HeldSlab(otherDead.id(), 0, NodeRegister.DAMAGED),
                    new NodeRegister.HeldSlab(fine.id(), 0));
            NodeRegistered reply = m.reconcile(na, held, HEARTBEAT);
            assertThat(reply.keep()).containsExactly(fine.id());
            // With what the controller knows of each, so the node can check its data against its checksums.
            assertThat(reply.restore()).containsExactly(
                    new NodeRegistered.Restore(copying.id(), "t", MIB, 0),
                    new NodeRegistered.Restore(otherDead.id(), "t", MIB, 0));
            assertThat(m.isQuarantined(copying.id())).isTrue();
            assertThat(m.isQuarantined(otherDead.id())).isTrue();
            assertThat(m.isQuarantined(fine.id())).isFalse();
            // The record keeps the copy: if it checks out, it is the slab's data.
            assertThat(m.slab(copying.id())).isSameAs(copying);
            assertThat(m.slab(otherDead.id())).isSameAs(otherDead);
            assertThat(repair(m).quarantined()).isEqualTo(2);
            // One passed its checks after all: it serves again.
            m.restored(copying.id(), na.id);
            assertThat(m.isQuarantined(copying.id())).isFalse();
            assertThat(repair(m).quarantined()).isEqualTo(1);
        }
    }

    @Test
    void aCopyReportedDamagedIsDroppedWhereAnotherLiveCopyExistsAndQuarantinedWhereItIsTheOnlyOne() {
        long both;
        long only;
        long b;
        try (Metadata m = recover()) {
            NodeRecord na = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord nb = fresh(m, "b", 2, 64 * MIB, links.open());
            NodeRecord nc = fresh(m, "c", 3, 64 * MIB, links.open());
            b = nb.id;
            both = place(m, 2, 2, na.id, nb.id).id();
            SlabRecord onlyRecord = place(m, 1, 2, na.id, nc.id); // c is still being copied
            only = onlyRecord.id();
            // Another live readable copy on b: a's is dropped, and true tells the caller to delete it on a.
            assertThat(m.damaged(both, na.id)).isTrue();
            assertThat(m.slab(both).replicas()).containsExactly(nb.id);
            assertThat(m.slab(both).epoch()).isEqualTo(1);
            assertThat(m.isQuarantined(both)).isFalse();
            // The only readable copy: kept, quarantined, and not to be deleted.
            assertThat(m.damaged(only, na.id)).isFalse();
            assertThat(m.slab(only)).isSameAs(onlyRecord);
            assertThat(m.isQuarantined(only)).isTrue();
            assertThat(repair(m).quarantined()).isEqualTo(1);
            // A copy still being made holds no acknowledged write: dropped; a's stays quarantined.
            assertThat(m.damaged(only, nc.id)).isTrue();
            assertThat(m.slab(only).replicas()).containsExactly(na.id);
            assertThat(m.isQuarantined(only)).isTrue();
            // A slab the node does not hold, or that does not exist: nothing to keep, nothing changes.
            SlabRecord bothNow = m.slab(both);
            assertThat(m.damaged(both, na.id)).isTrue();
            assertThat(m.damaged(123_456_789L, na.id)).isTrue();
            assertThat(m.slab(both)).isSameAs(bothNow);
        }
        // The drops are journaled; the quarantine is not: the node reports its damaged copy when it registers.
        try (Metadata m = recover()) {
            assertThat(m.slab(both).replicas()).containsExactly(b);
            assertThat(m.slab(only).replicas()).hasSize(1);
            assertThat(m.isQuarantined(only)).isFalse();
        }
    }

    @Test
    void statusCountsUnderReplicatedAndUnavailableSlabs() {
        try (Metadata m = recover()) {
            NodeRecord na = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord nb = fresh(m, "b", 2, 64 * MIB, links.open());
            NodeRecord nc = fresh(m, "c", 3, 64 * MIB, links.open());
            NodeRecord nd = fresh(m, "d", 4, 64 * MIB, links.open());
            place(m, 2, 2, na.id, nb.id);         // fine
            place(m, 1, 1, nc.id);                // fine: factor 1
            place(m, 1, 2, nb.id, nc.id);         // under: the copy on c does not count yet
            place(m, 3, 2, na.id, nb.id, nc.id);  // more than enough
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(1, 0, 0, 0, 0, 0, 0));

            // A draining node's replicas still serve, but do not count toward the factor.
            nc.draining = true;
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(2, 0, 0, 0, 0, 0, 0));
            nc.draining = false;

            // A dead node's replicas count for nothing.
            place(m, 1, 1, nd.id);
            assertThat(m.markDead(nd)).isTrue();
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(2, 1, 0, 0, 0, 0, 0));
            assertThat(m.markDead(na)).isTrue();
            // a,b -> b alone: under; a,b,c -> b,c: still two. Nothing new unavailable.
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(3, 1, 0, 0, 0, 0, 0));
            assertThat(m.markDead(nb)).isTrue();
            // Now the a,b slab has no live readable replica, nor has the b(,c copying) one.
            assertThat(repair(m)).isEqualTo(new ClusterStatus.Repair(4, 3, 0, 0, 0, 0, 0));

            // The copy progress is reported as the repairer gives it.
            ClusterStatus.Repair r = m.status(new Repairer.Progress(2, 10 * MIB, 30 * MIB, 7)).repair();
            assertThat(r).isEqualTo(new ClusterStatus.Repair(4, 3, 2, 10 * MIB, 30 * MIB, 7, 0));
        }
    }

    @Test
    void updateReplacesTheCurrentRecordJournaledAndRefusesAStaleOne() {
        long a;
        long c;
        long id;
        try (Metadata m = recover()) {
            NodeRecord na = fresh(m, "a", 1, 64 * MIB, links.open());
            NodeRecord nc = fresh(m, "c", 3, 64 * MIB, null);
            a = na.id;
            c = nc.id;
            tenant(m, "t");
            SlabRecord s0 = m.reserve("t", MIB, 1).getFirst();
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
            SlabRecord other = m.reserve("t", MIB, 1).getFirst();
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
            NodeRecord holder = fresh(m, "holder", 1, 64 * MIB, links.open());
            tenant(m, "t");
            SlabRecord s = m.reserve("t", MIB, 1).getFirst();
            m.commit(List.of(s));
            NodeRecord noLink = fresh(m, "no-link", 2, 64 * MIB, null);
            NodeRecord closed = fresh(m, "closed", 3, 64 * MIB, links.closed());
            NodeRecord draining = fresh(m, "draining", 4, 64 * MIB, links.open());
            draining.draining = true;
            NodeRecord dead = fresh(m, "dead", 5, 64 * MIB, links.open());
            m.markDead(dead);
            NodeRecord full = fresh(m, "full", 6, MIB / 2, links.open()); // placeable, but too small
            NodeRecord excluded = fresh(m, "excluded", 7, 64 * MIB, links.open());
            assertThat(m.copyTarget(s, Set.of(excluded.id))).isNull();
            NodeRecord good = fresh(m, "good", 8, 2 * MIB, links.open());
            for (int i = 0; i < 20; i++) {
                assertThat(m.copyTarget(s, Set.of(excluded.id))).isSameAs(good);
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
            NodeRecord a = fresh(m, "host-a", 7001, 32 * MIB, links.open());
            NodeRecord b = fresh(m, "host-b", 7002, 16 * MIB, null); // not placeable: gets nothing
            m.heartbeat(a, new NodeHeartbeat(32 * MIB, 5 * GRANULE, 0, 0));
            tenant(m, "alice", 10 * MIB);
            tenant(m, "bob", 20 * MIB);
            m.commit(m.reserve("bob", 1, 1));
            m.commit(m.reserve("alice", 2 * MIB, 1));

            ClusterStatus s = status(m);
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
                    new ClusterStatus.Tenant("alice", 10 * MIB, 2 * MIB, 2, List.of(VERIFIER.keyId())),
                    new ClusterStatus.Tenant("bob", 20 * MIB, GRANULE, 1, List.of(VERIFIER.keyId())));
        }
    }

    @Test
    void aTenantsStatusShowsItselfAndNothingOfTheClusterOrOtherTenants() {
        try (Metadata m = recover()) {
            fresh(m, "host-a", 7001, 32 * MIB, links.open());
            tenant(m, "alice", 10 * MIB);
            tenant(m, "bob");
            m.commit(m.reserve("alice", MIB, 1));
            m.commit(m.reserve("bob", 2 * MIB, 1));
            ClusterStatus s = m.status("alice");
            assertThat(s.slabShift()).isEqualTo(SHIFT);
            assertThat(s.nodes()).isEmpty();
            assertThat(s.tenants()).containsExactly(new ClusterStatus.Tenant("alice", 10 * MIB, MIB, 1, List.of(VERIFIER.keyId())));
            assertThat(s.repair()).isEqualTo(ClusterStatus.Repair.NONE);
        }
    }

    @Test
    void describeNamesEachReplicaByItsAddress() {
        try (Metadata m = recover()) {
            NodeRecord a = fresh(m, "host-a", 7001, 32 * MIB, links.open());
            tenant(m, "tenant-a");
            List<SlabRecord> run = m.reserve("tenant-a", 2 * MIB, 1);
            SlabRun described = m.describe(run);
            assertThat(described.slabs()).extracting(SlabDescriptor::slabId)
                    .containsExactly(Arrays.stream(ids(run)).boxed().toArray(Long[]::new));
            assertThat(described.bytes()).isEqualTo(2 * MIB);
            assertThat(described.slabs()).allSatisfy(d ->
                    assertThat(d.replicas()).containsExactly(new Replica(a.id, "host-a", 7001)));
        }
    }
}
