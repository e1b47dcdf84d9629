package io.remem.controller;

import io.remem.controller.FakeMemoryNodes.Event;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.SlabSync;
import io.remem.protocol.auth.Scram;
import io.remem.protocol.auth.Secret;
import io.remem.protocol.auth.Token;
import io.remem.protocol.auth.TokenKeys;
import io.remem.transport.HostPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.remem.controller.FakeMemoryNodes.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The repairer against fake memory nodes reached over real loopback connections: which node it copies to, what it
 * tells the nodes and in which order, and how the slab's record changes with each step.
 */
class RepairerTest {
    private static final long MIB = 1L << 20;
    private static final long NO_QUOTA = Long.MAX_VALUE / 4;
    private static final Repairer.Progress IDLE = new Repairer.Progress(0, 0, 0, 0);
    private static final Duration COPY_TTL = Duration.ofMinutes(11);
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    /** The cluster's token keys: the repairer signs copy capabilities with them, the fake nodes check them. */
    private final TokenKeys keys = TokenKeys.derive(List.of(Secret.generate(RANDOM)));
    private final NodeKeys nodeKeys = new NodeKeys();
    private FakeMemoryNodes fakes;
    private Metadata metadata;
    private ExecutorService workers;
    private int nextPort = 7001;

    @BeforeEach
    void setUp() {
        fakes = new FakeMemoryNodes(keys);
        metadata = Metadata.recover(new ControllerConfig(new HostPort("127.0.0.1", 0), dir).withSlabShift(20),
                new SplittableRandom(11));
        metadata.addTenant("t", NO_QUOTA, Scram.Verifier.of(Secret.generate(RANDOM), RANDOM, Scram.MIN_ITERATIONS));
        workers = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        // Let copies still running finish (each is bounded by its copy timeout) rather than interrupt them: an
        // interrupt in the middle of a journal write closes the journal's file, and the copy's last step fails noisily.
        workers.shutdown();
        if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
            workers.shutdownNow();
        }
        fakes.close();
        metadata.close();
    }

    // ------------------------------------------------------------------ helpers

    /** A registered memory node, "name":port, connected to a fake. */
    private record Member(NodeRecord record, FakeMemoryNodes.Node fake) {
        long id() {
            return record.id;
        }

        Replica replica() {
            return new Replica(record.id, record.host, record.port);
        }
    }

    private Member member(String name) {
        FakeMemoryNodes.Node fake = fakes.start(name);
        NodeRecord rec = nodeKeys.registerNew(metadata, name, nextPort++, 64 * MIB, fake.link);
        return new Member(rec, fake);
    }

    private Repairer repairer() {
        return repairer(Duration.ofSeconds(5));
    }

    private Repairer repairer(Duration copyTimeout) {
        return repairer(copyTimeout, keys);
    }

    /** A repairer that signs its copy capabilities with {@code signing}. */
    private Repairer repairer(Duration copyTimeout, TokenKeys signing) {
        TokenIssuer issuer = new TokenIssuer(signing, Clock.systemUTC(), Duration.ofMinutes(15), COPY_TTL);
        return new Repairer(metadata, workers, 4, 0.9, copyTimeout, issuer);
    }

    /** A committed 1 MiB slab of tenant "t" with exactly this replica set, at epoch 0. */
    private SlabRecord place(int readable, int factor, Member... replicas) {
        SlabRecord placed = metadata.reserve("t", MIB, 1).getFirst();
        metadata.commit(List.of(placed));
        long[] ids = Arrays.stream(replicas).mapToLong(Member::id).toArray();
        SlabRecord wanted = new SlabRecord(placed.id(), "t", MIB, ids, 0, readable, factor);
        assertThat(metadata.update(placed, wanted)).isTrue();
        return wanted;
    }

    private void kill(Member m) {
        assertThat(metadata.markDead(m.record)).isTrue();
        metadata.dropDeadNode(m.record);
    }

    private static List<Event> of(List<Event> events, Opcode op, long slabId) {
        return events.stream().filter(e -> e.op() == op && e.slabId() == slabId).toList();
    }

    private List<Event> events(Opcode op, long slabId) {
        return of(fakes.events(), op, slabId);
    }

    private ClusterStatus.Repair repairStatus(Repairer r) {
        return metadata.status(r.progress()).repair();
    }

    // ------------------------------------------------------------------ re-replication

    @Test
    void aSlabBelowItsFactorIsFencedThenCopiedToANodeThatDoesNotHoldItAndBecomesReadableThere() throws Exception {
        Member a = member("a");
        Member b = member("b");
        Member c = member("c");
        SlabRecord lost = place(2, 2, a, b);
        SlabRecord full = place(2, 2, a, b);
        SlabRecord stranded = place(1, 2, b); // only ever on b: unavailable once b dies, nothing to copy from
        // Nodes that must not be chosen: draining, not connected, dead.
        Member draining = member("draining");
        draining.record.draining = true;
        NodeRecord unconnected = nodeKeys.registerNew(metadata, "unconnected", nextPort++, 64 * MIB, null);
        kill(b);
        SlabRecord before = metadata.slab(lost.id());
        assertThat(before.replicas()).containsExactly(a.id());
        assertThat(before.epoch()).isEqualTo(1);
        // "full" also lost b: give it c so that only "lost" needs a copy.
        SlabRecord fullNow = metadata.slab(full.id());
        assertThat(metadata.update(fullNow, fullNow.withCopy(c.id()).copied(c.id()))).isTrue();
        assertThat(repairStatus(repairer())).isEqualTo(new ClusterStatus.Repair(2, 1, 0, 0, 0, 0, 0));

        CompletableFuture<Void> gate = new CompletableFuture<>();
        c.fake().onSync = s -> gate;
        CompletableFuture<Void> fenced = new CompletableFuture<>();
        a.fake().fenceGate = fenced;
        Repairer r = repairer();
        r.tick();
        await("SLAB_FENCE on a", () -> !events(Opcode.SLAB_FENCE, lost.id()).isEmpty());
        // No copy starts before the readable replica has acknowledged the fence.
        Thread.sleep(100);
        assertThat(events(Opcode.SLAB_SYNC, lost.id())).isEmpty();
        assertThat(metadata.slab(lost.id()).copying()).isTrue();
        fenced.complete(null);
        await("SLAB_SYNC on c", () -> !events(Opcode.SLAB_SYNC, lost.id()).isEmpty());

        // While the copy runs: c is a replica being copied, at the next epoch; clients write to it but read elsewhere.
        SlabRecord copying = metadata.slab(lost.id());
        assertThat(copying.replicas()).containsExactly(a.id(), c.id());
        assertThat(copying.readable()).isEqualTo(1);
        assertThat(copying.epoch()).isEqualTo(2);
        assertThat(c.record().reserved).isEqualTo(2 * MIB);
        assertThat(r.progress()).isEqualTo(new Repairer.Progress(1, 0, MIB, 0));
        // Still under-replicated until the copy is readable; "stranded" stays unavailable.
        assertThat(repairStatus(r)).isEqualTo(new ClusterStatus.Repair(2, 1, 1, 0, MIB, 0, 0));

        // First the readable replica is fenced at the new epoch, then the target told to copy from it.
        List<Event> log = fakes.events();
        List<Event> fences = of(log, Opcode.SLAB_FENCE, lost.id());
        assertThat(fences).containsExactly(new Event("a", Opcode.SLAB_FENCE, lost.id(), 2, null));
        List<Event> syncs = of(log, Opcode.SLAB_SYNC, lost.id());
        long now = System.currentTimeMillis();
        assertThat(syncs).singleElement().satisfies(e -> {
            assertThat(e.node()).isEqualTo("c");
            SlabSync sync = e.sync();
            assertThat(sync.size()).isEqualTo(MIB);
            assertThat(sync.tenant()).isEqualTo("t");
            assertThat(sync.epoch()).isEqualTo(2);
            assertThat(sync.source()).isEqualTo(a.replica());
            // The capability lets c read this slab, and only this one, from a, for the copy's lifetime.
            Token capability = keys.verify(sync.capability(), Token.Kind.REPLICA, now);
            assertThat(capability.slabId()).isEqualTo(lost.id());
            assertThat(capability.expiresAtMillis() - capability.issuedAtMillis()).isEqualTo(COPY_TTL.toMillis());
            assertThat(capability.issuedAtMillis()).isBetween(now - 60_000, now);
        });
        assertThat(log.indexOf(fences.getFirst())).isLessThan(log.indexOf(syncs.getFirst()));
        // Nothing for the slabs that need nothing or cannot be helped, nothing to the nodes that may not take it.
        assertThat(log).noneMatch(e -> e.slabId() == full.id() || e.slabId() == stranded.id());
        assertThat(draining.fake().events()).isEmpty();
        assertThat(b.fake().events()).isEmpty();
        assertThat(unconnected.reserved).isZero();

        // A tick while the copy runs starts nothing more.
        r.tick();
        Thread.sleep(50);
        assertThat(events(Opcode.SLAB_SYNC, lost.id())).hasSize(1);
        assertThat(metadata.slab(lost.id())).isSameAs(copying);

        gate.complete(null);
        await("the copy on c to become readable", () -> metadata.slab(lost.id()).readableOn(c.id()));
        SlabRecord done = metadata.slab(lost.id());
        assertThat(done.replicas()).containsExactly(a.id(), c.id());
        assertThat(done.readable()).isEqualTo(2);
        assertThat(done.epoch()).as("the epoch stays: writes already reached c").isEqualTo(2);
        await("the copy to be counted", () -> r.progress().copying() == 0);
        assertThat(r.progress()).isEqualTo(new Repairer.Progress(0, MIB, MIB, 1));
        assertThat(repairStatus(r)).isEqualTo(new ClusterStatus.Repair(1, 1, 0, MIB, MIB, 1, 0));
        assertThat(events(Opcode.SLAB_DELETE, lost.id())).isEmpty();

        // Nothing left to do.
        int seen = fakes.events().size();
        r.tick();
        Thread.sleep(50);
        assertThat(fakes.events()).hasSize(seen);
    }

    @Test
    void aFailedSyncDropsTheTargetAgainDeletesItThereAndIsRetriedOnTheNextTick() {
        Member a = member("a");
        Member b = member("b");
        Member c = member("c");
        SlabRecord s = place(2, 2, a, b);
        kill(b);
        c.fake().onSync = x -> CompletableFuture.failedFuture(new RememException(ErrorCode.NODE_UNAVAILABLE, "source gone"));
        Repairer r = repairer();
        r.tick();
        await("SLAB_DELETE on c", () -> !events(Opcode.SLAB_DELETE, s.id()).isEmpty());

        List<Event> log = fakes.events();
        Event sync = of(log, Opcode.SLAB_SYNC, s.id()).getFirst();
        Event delete = of(log, Opcode.SLAB_DELETE, s.id()).getFirst();
        assertThat(sync.node()).isEqualTo("c");
        assertThat(delete.node()).isEqualTo("c");
        assertThat(log.indexOf(sync)).isLessThan(log.indexOf(delete));
        SlabRecord after = metadata.slab(s.id());
        assertThat(after.replicas()).containsExactly(a.id());
        assertThat(after.readable()).isEqualTo(1);
        assertThat(after.epoch()).as("added at 2, dropped at 3").isEqualTo(3);
        assertThat(c.record().reserved).isZero();
        await("the copy to end", () -> r.progress().copying() == 0);
        assertThat(r.progress()).isEqualTo(IDLE);

        // The next pass tries again; this time the copy succeeds.
        c.fake().onSync = x -> CompletableFuture.completedFuture(null);
        r.tick();
        await("the second copy to become readable", () -> metadata.slab(s.id()).readableOn(c.id()));
        SlabRecord done = metadata.slab(s.id());
        assertThat(done.replicas()).containsExactly(a.id(), c.id());
        assertThat(done.epoch()).isEqualTo(4);
        List<Event> syncs = events(Opcode.SLAB_SYNC, s.id());
        assertThat(syncs).hasSize(2);
        assertThat(syncs.getLast().sync().epoch()).isEqualTo(4);
    }

    @Test
    void aCopyWhoseCapabilityTheNodesDoNotAcceptIsAbandoned() {
        Member a = member("a");
        Member b = member("b");
        Member c = member("c");
        SlabRecord s = place(2, 2, a, b);
        kill(b);
        // Signed with another cluster secret than the nodes hold: the target refuses the SLAB_SYNC, as a real one would.
        TokenKeys foreign = TokenKeys.derive(List.of(Secret.generate(RANDOM)));
        Repairer r = repairer(Duration.ofSeconds(5), foreign);
        r.tick();
        await("SLAB_DELETE on c", () -> !events(Opcode.SLAB_DELETE, s.id()).isEmpty());
        assertThat(events(Opcode.SLAB_SYNC, s.id())).extracting(Event::node).containsExactly("c");
        SlabRecord after = metadata.slab(s.id());
        assertThat(after.replicas()).containsExactly(a.id());
        assertThat(after.readable()).isEqualTo(1);
        await("the copy to end", () -> r.progress().copying() == 0);
        assertThat(r.progress().copiedSlabs()).isZero();
    }

    @Test
    void aSyncThatTimesOutIsAbandoned() {
        Member a = member("a");
        Member b = member("b");
        Member c = member("c");
        SlabRecord s = place(2, 2, a, b);
        kill(b);
        c.fake().onSync = x -> new CompletableFuture<>(); // never answers
        Repairer r = repairer(Duration.ofMillis(200));
        r.tick();
        await("SLAB_DELETE on c", () -> !events(Opcode.SLAB_DELETE, s.id()).isEmpty());
        assertThat(metadata.slab(s.id()).replicas()).containsExactly(a.id());
        assertThat(metadata.slab(s.id()).readable()).isEqualTo(1);
        await("the copy to end", () -> r.progress().copying() == 0);
    }

    @Test
    void whenNoReplicaCanBeFencedTheCopyIsAbandonedBeforeAnySync() {
        Member a = member("a");
        Member b = member("b");
        Member c = member("c");
        SlabRecord s = place(2, 2, a, b);
        kill(b);
        a.fake().failFence = true;
        Repairer r = repairer();
        r.tick();
        await("SLAB_DELETE on c", () -> !events(Opcode.SLAB_DELETE, s.id()).isEmpty());
        assertThat(events(Opcode.SLAB_FENCE, s.id())).extracting(Event::node).containsExactly("a");
        assertThat(events(Opcode.SLAB_SYNC, s.id())).isEmpty();
        assertThat(metadata.slab(s.id()).replicas()).containsExactly(a.id());
        assertThat(c.record().reserved).isZero();
    }

    @Test
    void withNowhereToCopyNothingChanges() {
        Member a = member("a");
        Member b = member("b");
        SlabRecord s = place(2, 2, a, b);
        kill(b);
        SlabRecord before = metadata.slab(s.id());
        Repairer r = repairer();
        r.tick();
        assertThat(metadata.slab(s.id())).isSameAs(before);
        assertThat(r.progress()).isEqualTo(IDLE);
        assertThat(fakes.events()).isEmpty();
    }

    @Test
    void aDeadReplicaKeptBecauseNoOtherCopyWasLiveIsDroppedOnceOneIs() {
        Member a = member("a");
        Member b = member("b");
        SlabRecord s = place(2, 2, a, b);
        // Both die in one sweep: neither may drop the other, since the first to return holds every write.
        assertThat(metadata.markDead(a.record)).isTrue();
        assertThat(metadata.markDead(b.record)).isTrue();
        metadata.dropDeadNode(a.record);
        metadata.dropDeadNode(b.record);
        assertThat(metadata.slab(s.id()).replicas()).containsExactly(a.id(), b.id());
        b.record.alive = true; // b returns; a never does, and would block every write to the slab
        repairer().tick();
        SlabRecord after = metadata.slab(s.id());
        assertThat(after.replicas()).containsExactly(b.id());
        assertThat(after.readable()).isEqualTo(1);
        assertThat(after.epoch()).isEqualTo(s.epoch() + 1);
    }

    @Test
    void aCopyLeftOverFromBeforeARestartIsDroppedAndDeletedThenStartedAfresh() {
        Member a = member("a");
        Member c = member("c");
        SlabRecord s = place(1, 2, a, c); // c was being copied when the controller stopped
        Repairer r = repairer();
        r.tick();
        await("SLAB_DELETE on c", () -> !events(Opcode.SLAB_DELETE, s.id()).isEmpty());
        SlabRecord dropped = metadata.slab(s.id());
        assertThat(dropped.replicas()).containsExactly(a.id());
        assertThat(dropped.epoch()).isEqualTo(1);
        assertThat(events(Opcode.SLAB_SYNC, s.id())).isEmpty();

        r.tick();
        await("the new copy to become readable", () -> metadata.slab(s.id()).readableOn(c.id()));
        assertThat(metadata.slab(s.id()).epoch()).isEqualTo(2);
        List<Event> log = fakes.events();
        Event delete = of(log, Opcode.SLAB_DELETE, s.id()).getFirst();
        Event sync = of(log, Opcode.SLAB_SYNC, s.id()).getFirst();
        assertThat(log.indexOf(delete)).isLessThan(log.indexOf(sync));
        assertThat(sync.sync().epoch()).isEqualTo(2);
    }

    // ------------------------------------------------------------------ moving slabs off nodes

    @Test
    void aDrainingNodesSlabIsCopiedElsewhereThenTheDrainingReplicaIsDropped() {
        Member a = member("a");
        Member b = member("b");
        Member c = member("c");
        SlabRecord s = place(2, 2, a, b);
        a.record().draining = true;
        Repairer r = repairer();
        assertThat(repairStatus(r).underReplicated()).isEqualTo(1);
        r.tick();
        await("the copy on c to become readable", () -> metadata.slab(s.id()).readableOn(c.id()));

        // Both readable replicas, the draining one too, are fenced before the copy; the source is one of them.
        List<Event> log = fakes.events();
        assertThat(of(log, Opcode.SLAB_FENCE, s.id())).extracting(Event::node, Event::offset)
                .containsExactlyInAnyOrder(tuple("a", 1L), tuple("b", 1L));
        Event sync = of(log, Opcode.SLAB_SYNC, s.id()).getFirst();
        assertThat(sync.node()).isEqualTo("c");
        assertThat(sync.sync().source()).isIn(a.replica(), b.replica());
        assertThat(of(log, Opcode.SLAB_FENCE, s.id())).allSatisfy(f -> assertThat(log.indexOf(f)).isLessThan(log.indexOf(sync)));
        // Until the next pass, the draining node still holds a readable copy.
        SlabRecord copied = metadata.slab(s.id());
        assertThat(copied.replicas()).containsExactly(a.id(), b.id(), c.id());
        assertThat(copied.readable()).isEqualTo(3);
        assertThat(events(Opcode.SLAB_DELETE, s.id())).isEmpty();

        await("the copy to end", () -> r.progress().copying() == 0);
        r.tick();
        SlabRecord moved = metadata.slab(s.id());
        assertThat(moved.replicas()).containsExactly(b.id(), c.id());
        assertThat(moved.readable()).isEqualTo(2);
        assertThat(moved.epoch()).isEqualTo(2);
        assertThat(a.record().reserved).isZero();
        assertThat(a.record().slabs).isZero();
        await("SLAB_DELETE on a", () -> !events(Opcode.SLAB_DELETE, s.id()).isEmpty());
        assertThat(events(Opcode.SLAB_DELETE, s.id())).extracting(Event::node).containsExactly("a");
        assertThat(repairStatus(r).underReplicated()).isZero();
        assertThat(r.progress().copiedSlabs()).isEqualTo(1);

        // Done: further passes leave it alone.
        int seen = fakes.events().size();
        r.tick();
        assertThat(metadata.slab(s.id())).isSameAs(moved);
        assertThat(fakes.events()).hasSize(seen);
    }

    @Test
    void aFullNodeStillGetsSlabsMovedOffAfterThePickedSlabWasFreed() {
        Member a = member("a");
        Member b = member("b");
        SlabRecord first = place(2, 2, a, b);
        a.record().backed = a.record().capacity - MIB; // above 90%
        Repairer r = repairer();
        r.tick(); // picks "first" to move off a, but there is nowhere to copy it
        assertThat(fakes.events()).isEmpty();
        metadata.free("t", first.id(), 1);
        SlabRecord second = place(2, 2, a, b);
        Member c = member("c");
        r.tick();
        await("the copy of the second slab on c", () -> metadata.slab(second.id()).holds(c.id()));
        await("the copy to end", () -> r.progress().copying() == 0);
        assertThat(metadata.slab(second.id()).readableOn(c.id())).isTrue();
    }

    @Test
    void aNodeAboveTheMemoryHighWaterMarkHasASlabMovedOff() {
        Member a = member("a");
        Member b = member("b");
        SlabRecord s = place(2, 2, a, b);
        a.record().backed = a.record().capacity - MIB; // above 90%
        Member c = member("c");
        Repairer r = repairer();
        r.tick();
        await("the copy on c to become readable", () -> metadata.slab(s.id()).readableOn(c.id()));
        await("the copy to end", () -> r.progress().copying() == 0);
        r.tick();
        SlabRecord moved = metadata.slab(s.id());
        assertThat(moved.replicas()).containsExactlyInAnyOrder(b.id(), c.id());
        assertThat(moved.readable()).isEqualTo(2);
        await("SLAB_DELETE on a", () -> !events(Opcode.SLAB_DELETE, s.id()).isEmpty());
        assertThat(events(Opcode.SLAB_DELETE, s.id())).extracting(Event::node).containsExactly("a");
        assertThat(b.fake().events()).noneMatch(e -> e.op() == Opcode.SLAB_DELETE);
    }
}
