package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.remem.memnode.Ops.Run;
import io.remem.protocol.Bodies;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegister.HeldSlab;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.Role;
import io.remem.protocol.SlabSync;
import io.remem.transport.Connections;
import io.remem.transport.DirectLink;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;
import io.remem.transport.Reply;
import io.remem.transport.RequestHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

import static io.remem.memnode.Ops.assertCode;
import static io.remem.memnode.Ops.declareEpoch;
import static io.remem.memnode.Ops.faa;
import static io.remem.memnode.Ops.pattern;
import static io.remem.memnode.Ops.read;
import static io.remem.memnode.Ops.readAll;
import static io.remem.memnode.Ops.word;
import static io.remem.memnode.Ops.writev;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memory nodes on loopback TCP, each driven by its own {@link ScriptedController}: copying a slab to a new replica
 * (SLAB_SYNC), keeping slabs in a data directory across a restart, and reconciling the slabs a node holds with the
 * controller's answer to its registration.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MemNodeFaultToleranceTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long MIB = 1L << 20;
    private static final long CAPACITY = 32 * MIB;

    private static EventLoops loops;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create("scripted-controllers", 2);
    }

    @AfterAll
    static void stopLoops() {
        if (loops != null) {
            loops.close();
        }
    }

    /** Closes what the test opened, newest first: clients, then nodes, then controllers and sources. */
    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    // ------------------------------------------------------------------ helpers

    private ScriptedController controller(long nodeId) {
        ScriptedController c = ScriptedController.start(loops, nodeId);
        toClose.add(c);
        return c;
    }

    private MemNode node(ScriptedController c, Path dataDir) {
        MemNodeConfig config = new MemNodeConfig(new HostPort("127.0.0.1", 0), null, CAPACITY,
                new HostPort("127.0.0.1", c.port()), 2, WAIT, dataDir);
        MemNode n = MemNode.start(config);
        toClose.add(n);
        return n;
    }

    /** A node registered with {@code c}, whose first answer it has applied. */
    private MemNode registeredNode(ScriptedController c, Path dataDir) throws InterruptedException {
        MemNode n = node(c, dataDir);
        assertThat(n.awaitRegistered(WAIT)).as("registered").isTrue();
        return n;
    }

    private DirectLink client(MemNode n, String tenant) {
        return session(n, Role.CLIENT, tenant);
    }

    private DirectLink session(MemNode n, Role role, String tenant) {
        DirectLink l = DirectLink.connect("127.0.0.1", n.address().port(), Duration.ofSeconds(2), WAIT);
        toClose.add(l);
        l.hello(role, tenant);
        return l;
    }

    private static Replica replicaOf(MemNode n) {
        return new Replica(n.nodeId(), "127.0.0.1", n.address().port());
    }

    private static void replicaRead(DirectLink replica, long slab, long offset, byte[] into) throws InterruptedException {
        Await.result(replica.readAsync(Opcode.REPLICA_READ, slab, offset, MemorySegment.ofArray(into)), WAIT);
    }

    private static RememException replicaReadFailure(DirectLink replica, long slab, long offset, int length)
            throws InterruptedException {
        return Await.failure(replica.readAsync(Opcode.REPLICA_READ, slab, offset, MemorySegment.ofArray(new byte[length])),
                WAIT);
    }

    private static List<Long> heldIds(NodeRegister reg) {
        return reg.held().stream().map(HeldSlab::slabId).toList();
    }

    private static void assertSame(byte[] actual, byte[] expected, String what) {
        int at = Arrays.mismatch(actual, expected);
        assertThat(at).as(what + ": first differing byte (-1 if none)"
                + (at >= 0 && at < Math.min(actual.length, expected.length)
                ? " holds " + actual[at] + " instead of " + expected[at] : "")).isEqualTo(-1);
    }

    /** Copies {@code data} into {@code model} at {@code offset}, as a write does to the slab. */
    private static void apply(byte[] model, long offset, byte[] data) {
        System.arraycopy(data, 0, model, (int) offset, data.length);
    }

    /**
     * A stand-in for the source replica of a SLAB_SYNC that holds its REPLICA_READ answers until {@link #release}d,
     * so a test can look at the new replica while the copy is surely still running. Its content is {@code bytes}.
     */
    static final class GatedSource implements RequestHandler, AutoCloseable {
        private final LongFunction<Byte> bytes;
        private final Connections.Listener listener;
        private final List<Runnable> held = new ArrayList<>();
        private final CountDownLatch firstRead = new CountDownLatch(1);
        private boolean released; // guarded by this

        GatedSource(LongFunction<Byte> bytes) {
            this.bytes = bytes;
            this.listener = Connections.listen(loops, "127.0.0.1", 0, () -> this, "gated-source", WAIT);
        }

        Replica replica() {
            return new Replica(99, "127.0.0.1", listener.port());
        }

        byte[] content(long offset, int length) {
            byte[] b = new byte[length];
            for (int i = 0; i < length; i++) {
                b[i] = bytes.apply(offset + i);
            }
            return b;
        }

        void awaitFirstRead() throws InterruptedException {
            assertThat(firstRead.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the copy started reading").isTrue();
        }

        synchronized void release() {
            released = true;
            held.forEach(Runnable::run);
            held.clear();
        }

        @Override
        public Object onHello(Peer peer, Hello hello) {
            if (hello.role() != Role.REPLICA) {
                throw new RememException(ErrorCode.WRONG_ROLE, "the gated source serves replica sessions only");
            }
            return "replica";
        }

        @Override
        public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
            if (h.opcode() != Opcode.REPLICA_READ) {
                throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not served by the gated source");
            }
            Bodies.expectEnd(body, "replicaRead");
            byte[] data = content(h.offset(), h.length());
            Reply reply = peer.replyLater(h);
            Runnable answer = () -> reply.send(data.length, out -> out.writeBytes(data));
            synchronized (this) {
                if (released) {
                    answer.run();
                } else {
                    held.add(answer);
                }
            }
            firstRead.countDown();
        }

        @Override
        public void close() {
            release();
            listener.close();
        }
    }

    private GatedSource gatedSource(LongFunction<Byte> bytes) {
        GatedSource s = new GatedSource(bytes);
        toClose.add(s);
        return s;
    }

    // ------------------------------------------------------------------ SLAB_SYNC

    @Test
    void slabSyncCopiesTheSlabByteForByteFromTheSourceReplica() throws Exception {
        ScriptedController ctlA = controller(1);
        ScriptedController ctlB = controller(2);
        MemNode a = registeredNode(ctlA, null);
        MemNode b = registeredNode(ctlB, null);
        long slab = 7;
        long size = 6 * MIB; // more pieces than the copier keeps in flight
        ctlA.create(slab, size, "alice");
        DirectLink onA = client(a, "alice");
        byte[] model = new byte[(int) size];
        List<Run> runs = List.of(
                new Run(slab, 0, pattern(10_000, 1)),
                new Run(slab, SlabCopier.PIECE - 100, pattern(300, 2)),          // across two pieces
                new Run(slab, 2 * MIB + MIB / 2, pattern(70_000, 3)),           // across two chunks
                new Run(slab, 5 * MIB + 17, pattern(5, 4)),
                new Run(slab, size - 64, pattern(64, 5)));                      // the last line
        for (Run r : runs) {
            assertThat(writev(onA, r)).isEqualTo(1);
            apply(model, r.offset(), r.data());
        }
        assertThat(faa(onA, slab, 4 * MIB + 8, 0x0102_0304_0506_0708L)).isZero();
        System.arraycopy(read(onA, slab, 4 * MIB + 8, 8), 0, model, (int) (4 * MIB + 8), 8);
        // The controller fences the source for the new replica set, then has B copy at that epoch.
        ctlA.fence(slab, 2);

        Await.result(ctlB.syncAsync(slab, new SlabSync(size, "alice", 2, replicaOf(a))), WAIT);

        DirectLink onB = client(b, "alice");
        byte[] fromB = readAll(onB, slab, size);
        assertSame(fromB, readAll(onA, slab, size), "B against A");
        assertSame(fromB, model, "B against what was written");
        // The copy is as sparse as the source: chunks never written were not backed on B.
        assertThat(b.backedBytes()).isEqualTo(a.backedBytes());
        assertThat(b.backedBytes()).isLessThan(size);
        // The new replica is at the copy's epoch and serves like any other.
        declareEpoch(onB, slab, 2);
        assertThat(faa(onB, slab, 4 * MIB + 8, 1)).isEqualTo(0x0102_0304_0506_0708L);
        assertThat(writev(onB, new Run(slab, 3 * MIB, pattern(16, 6)))).isEqualTo(1);
        assertThat(read(onB, slab, 3 * MIB, 16)).isEqualTo(pattern(16, 6));
        assertThat(read(onA, slab, 3 * MIB, 16)).as("the replicas are independent copies").containsOnly(0);
        assertThat(ctlB.nextRegistration().held()).isEmpty();
        ctlB.dropLink();
        assertThat(ctlB.nextRegistration().held()).as("B lists the copy at its epoch").containsExactly(new HeldSlab(slab, 2));
    }

    @Test
    void aSlabBeingCopiedServesNoReadsAndKeepsTheClientWritesThatArriveMeanwhile() throws Exception {
        long size = 2 * MIB;
        // The source: a pattern at the start and in one place of the second piece, zeros (never written) elsewhere.
        GatedSource source = gatedSource(off -> (off < 200_000 || (off >= MIB + 300_000 && off < MIB + 370_000))
                ? (byte) (off * 7 + (off >>> 9) + 1) : 0);
        ScriptedController ctl = controller(2);
        MemNode b = registeredNode(ctl, null);
        long slab = 8;

        CompletableFuture<Void> sync = ctl.syncAsync(slab, new SlabSync(size, "alice", 4, source.replica()));
        source.awaitFirstRead(); // the slab exists on B as a replica being copied, and cannot finish yet

        DirectLink alice = client(b, "alice");
        assertCode(() -> read(alice, slab, 0, 64), ErrorCode.REPLICA_NOT_READY);
        assertCode(() -> faa(alice, slab, 512, 1), ErrorCode.REPLICA_NOT_READY);
        DirectLink replica = session(b, Role.REPLICA, "memnode");
        assertThat(replicaReadFailure(replica, slab, 0, 64).code()).isEqualTo(ErrorCode.REPLICA_NOT_READY);
        assertThat(sync).as("the copy waits for its reads").isNotDone();
        // Writes are taken: the client knows this replica, and the copy must not overwrite them.
        declareEpoch(alice, slab, 4);
        byte[] model = source.content(0, (int) size);
        List<Run> runs = List.of(
                new Run(slab, 4096, pattern(128, 1)),              // two whole lines over source data
                new Run(slab, 8192 + 16, pattern(8, 2)),           // 8 bytes inside one line over source data
                new Run(slab, 12_288 + 40, pattern(50, 3)),        // the end of one line and the start of the next
                new Run(slab, 199_990, pattern(20, 4)),            // where the source's data ends
                new Run(slab, MIB + 100, pattern(30, 5)),          // over source zeros, in a chunk the source never wrote
                new Run(slab, MIB + 300_000 - 8, pattern(8, 6)));  // 8 bytes in a line whose second half is source data
        for (Run r : runs) {
            assertThat(writev(alice, r)).isEqualTo(1);
            apply(model, r.offset(), r.data());
        }
        assertThat(sync).isNotDone();

        source.release();
        Await.result(sync, WAIT);

        assertSame(readAll(alice, slab, size), model, "the copy with the client's writes");
        byte[] viaReplica = new byte[4096];
        replicaRead(replica, slab, 4096, viaReplica);
        assertSame(viaReplica, Arrays.copyOfRange(model, 4096, 8192), "a replica session's read");
        long before = java.nio.ByteBuffer.wrap(model, 512, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(faa(alice, slab, 512, 1)).as("atomics work once the copy is done").isEqualTo(before);
        assertThat(word(alice, slab, 512)).isEqualTo(before + 1);
    }

    @Test
    void replicaSessionsReadAnyTenantsSlabAndNothingElse() throws Exception {
        ScriptedController ctl = controller(1);
        MemNode a = registeredNode(ctl, null);
        ctl.create(3, MIB, "alice");
        ctl.create(4, MIB, "bob");
        writev(client(a, "alice"), new Run(3, 100, pattern(50, 1)));
        writev(client(a, "bob"), new Run(4, 200, pattern(50, 2)));

        DirectLink replica = session(a, Role.REPLICA, "memnode");
        byte[] got = new byte[50];
        replicaRead(replica, 3, 100, got);
        assertThat(got).isEqualTo(pattern(50, 1));
        replicaRead(replica, 4, 200, got);
        assertThat(got).isEqualTo(pattern(50, 2));
        assertThat(replicaReadFailure(replica, 5, 0, 8).code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
        assertThat(replicaReadFailure(replica, 3, MIB - 4, 8).code()).isEqualTo(ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> read(replica, 3, 0, 8), ErrorCode.WRONG_ROLE);
        assertCode(() -> writev(replica, new Run(3, 0, pattern(8, 3))), ErrorCode.WRONG_ROLE);
        assertThat(read(client(a, "alice"), 3, 0, 8)).containsOnly(0);
        // And a client session cannot read another tenant's slab as a replica would.
        DirectLink alice = client(a, "alice");
        assertCode(() -> alice.call(Opcode.REPLICA_READ, 4, 200, 50, null, null, (h, x) -> null), ErrorCode.WRONG_ROLE);
    }

    @Test
    void aFailedCopyLeavesNoSlabBehind() throws Exception {
        ScriptedController ctlA = controller(1);
        ScriptedController ctlB = controller(2);
        MemNode a = registeredNode(ctlA, null);
        MemNode b = registeredNode(ctlB, null);

        // The source does not hold the slab.
        RememException e = Await.failure(ctlB.syncAsync(9, new SlabSync(MIB, "alice", 1, replicaOf(a))), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
        DirectLink alice = client(b, "alice");
        assertCode(() -> read(alice, 9, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> writev(alice, new Run(9, 0, pattern(8, 1))), ErrorCode.NO_SUCH_SLAB);

        // The source cannot be reached.
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        e = Await.failure(ctlB.syncAsync(9, new SlabSync(MIB, "alice", 1, new Replica(5, "127.0.0.1", closedPort))), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.NODE_UNAVAILABLE);
        assertCode(() -> read(alice, 9, 0, 8), ErrorCode.NO_SUCH_SLAB);

        // Nothing stays reserved: the whole capacity can still be copied into.
        ctlA.create(9, CAPACITY, "alice");
        writev(client(a, "alice"), new Run(9, CAPACITY - 8, pattern(8, 2)));
        Await.result(ctlB.syncAsync(9, new SlabSync(CAPACITY, "alice", 1, replicaOf(a))), WAIT);
        assertThat(read(alice, 9, CAPACITY - 8, 8)).isEqualTo(pattern(8, 2));
    }

    // ------------------------------------------------------------------ data directory

    @Test
    void slabsInTheDataDirectoryAreServedAgainOnlyOnceTheControllerKeepsThem(@TempDir Path dir) throws Exception {
        long kept = 5;
        long dropped = 6;
        byte[] model = new byte[(int) MIB];
        ScriptedController first = controller(7);
        MemNode n1 = registeredNode(first, dir);
        first.create(kept, MIB, "alice");
        first.create(dropped, MIB, "bob");
        DirectLink alice = client(n1, "alice");
        for (Run r : List.of(new Run(kept, 0, pattern(1000, 1)), new Run(kept, 3 * Slab.CHUNK_SIZE - 10, pattern(40, 2)),
                new Run(kept, MIB - 64, pattern(64, 3)))) {
            writev(alice, r);
            apply(model, r.offset(), r.data());
        }
        assertThat(faa(alice, kept, 8 * Slab.CHUNK_SIZE, 77)).isZero();
        System.arraycopy(read(alice, kept, 8 * Slab.CHUNK_SIZE, 8), 0, model, (int) (8 * Slab.CHUNK_SIZE), 8);
        writev(client(n1, "bob"), new Run(dropped, 0, pattern(100, 4)));
        first.fence(kept, 3);
        n1.close();
        assertThat(dir.resolve("slab-" + kept + ".meta")).as("close keeps the files").exists();
        assertThat(dir.resolve("slab-" + kept + ".data")).exists();
        assertThat(dir.resolve("slab-" + dropped + ".meta")).exists();

        // A new node on the directory lists what it found, under the id it was given, and serves none of it yet.
        ScriptedController second = controller(7);
        CompletableFuture<Void> answer = second.holdRegistrations();
        second.keep = reg -> List.of(kept);
        MemNode n2 = node(second, dir);
        NodeRegister reg = second.nextRegistration();
        assertThat(reg.nodeId()).as("the id saved in the directory").isEqualTo(7);
        assertThat(reg.held()).containsExactlyInAnyOrder(new HeldSlab(kept, 3), new HeldSlab(dropped, 0));
        DirectLink early = client(n2, "alice");
        assertCode(() -> read(early, kept, 0, 8), ErrorCode.REPLICA_NOT_READY);
        assertCode(() -> writev(early, new Run(kept, 0, pattern(8, 5))), ErrorCode.REPLICA_NOT_READY);
        assertCode(() -> faa(early, kept, 8 * Slab.CHUNK_SIZE, 1), ErrorCode.REPLICA_NOT_READY);
        assertCode(() -> read(client(n2, "bob"), dropped, 0, 8), ErrorCode.REPLICA_NOT_READY);
        assertThat(replicaReadFailure(session(n2, Role.REPLICA, "memnode"), kept, 0, 8).code())
                .isEqualTo(ErrorCode.REPLICA_NOT_READY);
        assertThat(n2.awaitRegistered(Duration.ofMillis(50))).isFalse();

        // The controller keeps one slab: it serves what was written before the restart; the other is gone for good.
        answer.complete(null);
        assertThat(n2.awaitRegistered(WAIT)).isTrue();
        assertSame(readAll(early, kept, MIB), model, "the kept slab after the restart");
        assertThat(word(early, kept, 8 * Slab.CHUNK_SIZE)).isEqualTo(77);
        assertCode(() -> read(client(n2, "bob"), dropped, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertThat(dir.resolve("slab-" + dropped + ".meta")).doesNotExist();
        assertThat(dir.resolve("slab-" + dropped + ".data")).doesNotExist();
        // The kept slab is at its epoch, and takes writes from sessions that know it.
        assertCode(() -> declareEpoch(early, kept, 2), ErrorCode.STALE_MAP);
        declareEpoch(early, kept, 3);
        assertThat(writev(early, new Run(kept, 500, pattern(10, 6)))).isEqualTo(1);
        apply(model, 500, pattern(10, 6));
        n2.close();

        // A controller that no longer counts this node as a replica of the slab has it deleted.
        ScriptedController third = controller(7);
        third.keep = ScriptedController.KEEP_NONE;
        MemNode n3 = registeredNode(third, dir);
        assertThat(third.nextRegistration().held()).containsExactly(new HeldSlab(kept, 3));
        assertCode(() -> read(client(n3, "alice"), kept, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertThat(dir.resolve("slab-" + kept + ".meta")).doesNotExist();
        assertThat(dir.resolve("slab-" + kept + ".data")).doesNotExist();
        n3.close();

        // Nothing is left to find.
        ScriptedController fourth = controller(7);
        registeredNode(fourth, dir);
        assertThat(fourth.nextRegistration().held()).isEmpty();
    }

    @Test
    void aCopyInterruptedByAStopIsDroppedAtTheNextStart(@TempDir Path dir) throws Exception {
        GatedSource source = gatedSource(off -> (byte) (off + 1));
        ScriptedController first = controller(3);
        MemNode n1 = registeredNode(first, dir);
        first.create(1, MIB, "alice");
        writev(client(n1, "alice"), new Run(1, 0, pattern(64, 1)));
        CompletableFuture<Void> sync = first.syncAsync(2, new SlabSync(MIB, "alice", 1, source.replica()));
        source.awaitFirstRead();
        assertThat(dir.resolve("slab-2.meta")).as("the copy is in the directory").exists();
        n1.close();

        ScriptedController second = controller(3);
        MemNode n2 = registeredNode(second, dir);
        assertThat(second.nextRegistration().held()).as("only the complete slab").containsExactly(new HeldSlab(1, 0));
        assertThat(dir.resolve("slab-2.meta")).doesNotExist();
        assertThat(dir.resolve("slab-2.data")).doesNotExist();
        assertThat(read(client(n2, "alice"), 1, 0, 64)).isEqualTo(pattern(64, 1));
    }

    // ------------------------------------------------------------------ reconcile on registration

    @Test
    void registeringAgainDeletesTheSlabsTheControllerDoesNotKeep() throws Exception {
        ScriptedController ctl = controller(4);
        MemNode n = registeredNode(ctl, null);
        assertThat(ctl.nextRegistration().held()).isEmpty();
        ctl.create(1, MIB, "alice");
        ctl.create(2, MIB, "alice");
        ctl.create(3, MIB, "bob");
        DirectLink alice = client(n, "alice");
        DirectLink bob = client(n, "bob");
        writev(alice, new Run(1, 0, pattern(64, 1)));
        writev(alice, new Run(2, 0, pattern(64, 2)));
        writev(bob, new Run(3, 0, pattern(64, 3)));
        ctl.fence(3, 8);
        long backed = n.backedBytes();

        ctl.keep = reg -> List.of(1L, 3L);
        ctl.dropLink();
        NodeRegister again = ctl.nextRegistration();
        assertThat(again.nodeId()).isEqualTo(4);
        assertThat(again.held()).containsExactlyInAnyOrder(new HeldSlab(1, 0), new HeldSlab(2, 0), new HeldSlab(3, 8));
        ctl.awaitApplied(2);

        assertCode(() -> read(alice, 2, 0, 64), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> writev(alice, new Run(2, 0, pattern(64, 4))), ErrorCode.NO_SUCH_SLAB);
        assertThat(read(alice, 1, 0, 64)).isEqualTo(pattern(64, 1));
        assertThat(read(bob, 3, 0, 64)).isEqualTo(pattern(64, 3));
        assertThat(n.backedBytes()).as("the deleted slab's memory is freed").isEqualTo(backed - Slab.CHUNK_SIZE);
        // The kept slabs are untouched, fences included.
        assertCode(() -> writev(bob, new Run(3, 0, pattern(64, 5))), ErrorCode.STALE_MAP);
        assertThat(writev(alice, new Run(1, 0, pattern(64, 6)))).isEqualTo(1);
        Await.until(() -> ctl.lastHeartbeat.get().slabCount() == 2, WAIT, "a heartbeat counting two slabs");
    }

    @Test
    void aCopyInProgressSurvivesARegistrationThatDoesNotListIt() throws Exception {
        GatedSource source = gatedSource(off -> (byte) (off * 3 + 1));
        ScriptedController ctl = controller(4);
        MemNode n = registeredNode(ctl, null);
        ctl.nextRegistration();
        CompletableFuture<Void> sync = ctl.syncAsync(6, new SlabSync(MIB, "alice", 2, source.replica()));
        source.awaitFirstRead();

        ctl.keep = ScriptedController.KEEP_NONE;
        ctl.dropLink();
        assertThat(ctl.nextRegistration().held()).containsExactly(new HeldSlab(6, 2));
        ctl.awaitApplied(2);
        // The copy started after the node's registration was answered (here: before the new one): it is newer.
        source.release();
        Await.failure(sync, WAIT); // its answer was due on the link that was dropped
        DirectLink alice = client(n, "alice");
        Await.until(() -> {
            try {
                read(alice, 6, 0, 8);
                return true;
            } catch (RememException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.REPLICA_NOT_READY);
                return false;
            }
        }, WAIT, "the copy finished");
        assertSame(readAll(alice, 6, MIB), source.content(0, (int) MIB), "the finished copy");
    }

    // ------------------------------------------------------------------ regressions: bugs a review found and fixed

    @Test
    void aSlabCreatedWhileTheRegistrationIsAnsweredIsNotReconciledAway() throws Exception {
        ScriptedController ctl = controller(1);
        MemNode n = registeredNode(ctl, null);
        CompletableFuture<CompletableFuture<Void>> created = new CompletableFuture<>();
        ctl.beforeAnswer = peer -> created.complete(peer.call(Opcode.SLAB_CREATE, 42, 0, 0, 64,
                new io.remem.protocol.SlabCreate(MIB, "alice")::encode, (h, b) -> null));
        ctl.dropLink();
        ctl.awaitApplied(2);
        Await.result(Await.result(created, WAIT), WAIT);
        assertThat(read(client(n, "alice"), 42, 0, 8)).as("the slab the controller just created").containsOnly(0);
    }

    @Test
    void aFenceSurvivesARestart(@TempDir Path dir) throws Exception {
        ScriptedController first = controller(1);
        MemNode n1 = registeredNode(first, dir);
        first.create(1, MIB, "alice");
        first.fence(1, 3);
        DirectLink before = client(n1, "alice");
        assertCode(() -> writev(before, new Run(1, 0, pattern(8, 1))), ErrorCode.STALE_MAP);
        n1.close();

        MemNode n2 = registeredNode(controller(1), dir);
        DirectLink stale = client(n2, "alice");
        assertCode(() -> writev(stale, new Run(1, 0, pattern(8, 1))), ErrorCode.STALE_MAP);
        declareEpoch(stale, 1, 3);
        assertThat(writev(stale, new Run(1, 0, pattern(8, 1)))).isEqualTo(1);
    }

    @Test
    void aFailingOldCopyDoesNotDeleteTheCopyThatReplacedIt() throws Exception {
        GatedSource oldSource = gatedSource(off -> (byte) (off + 1));
        GatedSource newSource = gatedSource(off -> (byte) (off + 2));
        ScriptedController ctl = controller(1);
        MemNode n = registeredNode(ctl, null);
        CompletableFuture<Void> first = ctl.syncAsync(5, new SlabSync(MIB, "alice", 1, oldSource.replica()));
        oldSource.awaitFirstRead();
        // The controller gave up on the first copy and asks again, from another source.
        CompletableFuture<Void> second = ctl.syncAsync(5, new SlabSync(MIB, "alice", 2, newSource.replica()));
        newSource.awaitFirstRead();
        oldSource.release(); // the old copy finds its slab deleted, and fails
        Await.failure(first, WAIT);

        DirectLink alice = client(n, "alice");
        assertCode(() -> read(alice, 5, 0, 8), ErrorCode.REPLICA_NOT_READY);
        newSource.release();
        Await.result(second, WAIT);
        assertSame(readAll(alice, 5, MIB), newSource.content(0, (int) MIB), "the second copy");
    }
}
