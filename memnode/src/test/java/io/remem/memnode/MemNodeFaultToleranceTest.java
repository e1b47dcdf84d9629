package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.remem.memnode.Ops.Run;
import io.remem.protocol.Bodies;
import io.remem.protocol.Checksums;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Features;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.NodeRegister.HeldSlab;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.Role;
import io.remem.protocol.SlabCreate;
import io.remem.protocol.SlabSync;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Secret;
import io.remem.protocol.auth.Token;
import io.remem.protocol.auth.TokenKeys;
import io.remem.testkit.Await;
import io.remem.transport.Connections;
import io.remem.transport.DirectLink;
import io.remem.transport.EventLoops;
import io.remem.transport.HelloDecision;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;
import io.remem.transport.Reply;
import io.remem.transport.RequestHandler;
import io.remem.transport.ServerLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.zip.CRC32C;

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
    /** The secret the nodes prove to their scripted controllers and check tokens with. */
    private static final Secret clusterSecret = Tokens.newClusterSecret();

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
        Throwable first = null;
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception | AssertionError e) { // close the rest anyway, then report the first failure
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first instanceof Exception e) {
            throw e;
        }
        if (first instanceof AssertionError e) {
            throw e;
        }
    }

    // ------------------------------------------------------------------ helpers

    private ScriptedController controller(long nodeId) {
        ScriptedController c = ScriptedController.start(loops, nodeId, clusterSecret);
        toClose.add(c);
        return c;
    }

    private MemNode node(ScriptedController c, Path dataDir) {
        MemNodeConfig config = new MemNodeConfig(new HostPort("127.0.0.1", 0), CAPACITY,
                new HostPort("127.0.0.1", c.port()), List.of(clusterSecret)).withIoThreads(2).withCallTimeout(WAIT)
                .withDataDir(dataDir);
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

    private DirectLink connect(MemNode n) {
        DirectLink l = DirectLink.connect("127.0.0.1", n.address().port(), Duration.ofSeconds(2), WAIT);
        toClose.add(l);
        return l;
    }

    /** A session of {@code tenant}, with a session token as the controller would have issued it. */
    private DirectLink client(MemNode n, String tenant) {
        DirectLink l = connect(n);
        Tokens.openClient(l, clusterSecret, tenant);
        return l;
    }

    /** A REPLICA session with a capability for {@code slabId}, as a node copying that slab opens. */
    private DirectLink replica(MemNode n, long slabId) {
        DirectLink l = connect(n);
        Tokens.openReplica(l, clusterSecret, slabId, 0);
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
     * Like a memory node it admits only a REPLICA session whose capability the cluster secret signed, serves only the
     * slab the capability names, and ends each answer in the CRC32C of its bytes when the session asked for checksums
     * ({@link #corruptChecksums} sends a wrong one).
     */
    static final class GatedSource implements RequestHandler, AutoCloseable {
        private final LongFunction<Byte> bytes;
        private final Connections.Listener listener;
        private final List<Runnable> held = new ArrayList<>();
        private final CountDownLatch firstRead = new CountDownLatch(1);
        private final TokenKeys keys = TokenKeys.derive(List.of(clusterSecret));
        private final CRC32C crc = new CRC32C();
        private boolean released; // guarded by this
        volatile boolean corruptChecksums;

        GatedSource(LongFunction<Byte> bytes) {
            this.bytes = bytes;
            this.listener = Connections.listen(loops, "127.0.0.1", 0, () -> this, "gated-source", WAIT,
                    ServerLimits.DEFAULTS, null);
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
        public HelloDecision onHello(Peer peer, Hello hello) {
            if (hello.role() != Role.REPLICA) {
                throw new AuthenticationFailure("the gated source serves replica sessions only");
            }
            Token capability = keys.verify(hello.credential(), Token.Kind.REPLICA, System.currentTimeMillis());
            return new HelloDecision.Accept(capability.slabId());
        }

        @Override
        public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
            if (h.opcode() != Opcode.REPLICA_READ) {
                throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not served by the gated source");
            }
            Bodies.expectEnd(body, "replicaRead");
            if (h.slabId() != (long) peer.attachment()) {
                throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + h.slabId() + " is not the capability's");
            }
            byte[] data = content(h.offset(), h.length());
            boolean checksums = Features.has(peer.features(), Features.CHECKSUMS);
            int sum;
            synchronized (crc) {
                crc.reset();
                crc.update(data);
                sum = (int) crc.getValue() ^ (corruptChecksums ? 1 : 0);
            }
            Reply reply = peer.replyLater(h);
            Runnable answer = () -> reply.send(data.length + Checksums.BYTES, out -> {
                out.writeBytes(data);
                if (checksums) {
                    out.writeInt(sum);
                }
            });
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

        Await.result(ctlB.syncAsync(slab, size, "alice", 2, replicaOf(a)), WAIT);

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

        CompletableFuture<Void> sync = ctl.syncAsync(slab, size, "alice", 4, source.replica());
        source.awaitFirstRead(); // the slab exists on B as a replica being copied, and cannot finish yet

        DirectLink alice = client(b, "alice");
        assertCode(() -> read(alice, slab, 0, 64), ErrorCode.REPLICA_NOT_READY);
        assertCode(() -> faa(alice, slab, 512, 1), ErrorCode.REPLICA_NOT_READY);
        DirectLink replica = replica(b, slab);
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
        long before = ByteBuffer.wrap(model, 512, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(faa(alice, slab, 512, 1)).as("atomics work once the copy is done").isEqualTo(before);
        assertThat(word(alice, slab, 512)).isEqualTo(before + 1);
    }

    /**
     * A REPLICA session reads, of whichever tenant, the one slab its capability names: a capability is what the
     * controller hands a node for one copy, and must not open the rest of the node.
     */
    @Test
    void replicaSessionsReadTheSlabTheirCapabilityNamesAndNothingElse() throws Exception {
        ScriptedController ctl = controller(1);
        MemNode a = registeredNode(ctl, null);
        ctl.create(3, MIB, "alice");
        ctl.create(4, MIB, "bob");
        writev(client(a, "alice"), new Run(3, 100, pattern(50, 1)));
        writev(client(a, "bob"), new Run(4, 200, pattern(50, 2)));

        DirectLink forAlices = replica(a, 3);
        byte[] got = new byte[50];
        replicaRead(forAlices, 3, 100, got);
        assertThat(got).isEqualTo(pattern(50, 1));
        DirectLink forBobs = replica(a, 4);
        replicaRead(forBobs, 4, 200, got);
        assertThat(got).as("any tenant's slab, given its capability").isEqualTo(pattern(50, 2));

        // Slab 4 exists here, but the capability is for slab 3: answered as if slab 4 were not here at all.
        RememException other = replicaReadFailure(forAlices, 4, 200, 50);
        assertThat(other.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
        assertThat(replicaReadFailure(forAlices, 5, 0, 8).code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
        assertThat(replicaReadFailure(forAlices, 3, MIB - 4, 8).code()).isEqualTo(ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> read(forAlices, 3, 0, 8), ErrorCode.WRONG_ROLE);
        assertCode(() -> writev(forAlices, new Run(3, 0, pattern(8, 3))), ErrorCode.WRONG_ROLE);
        assertThat(read(client(a, "alice"), 3, 0, 8)).containsOnly(0);
        // And a client session cannot read another tenant's slab as a replica would.
        DirectLink alice = client(a, "alice");
        assertCode(() -> alice.call(Opcode.REPLICA_READ, 4, 200, 50, null, null, (h, x) -> null), ErrorCode.WRONG_ROLE);
        ctl.delete(4);
        assertThat(replicaReadFailure(forAlices, 4, 200, 50).getMessage()).as("the same answer as for a missing slab")
                .isEqualTo(other.getMessage());
        assertThat(forAlices.isOpen()).isTrue();
    }

    @Test
    void aFailedCopyLeavesNoSlabBehind() throws Exception {
        ScriptedController ctlA = controller(1);
        ScriptedController ctlB = controller(2);
        MemNode a = registeredNode(ctlA, null);
        MemNode b = registeredNode(ctlB, null);

        // The source does not hold the slab.
        RememException e = Await.failure(ctlB.syncAsync(9, MIB, "alice", 1, replicaOf(a)), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
        DirectLink alice = client(b, "alice");
        assertCode(() -> read(alice, 9, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> writev(alice, new Run(9, 0, pattern(8, 1))), ErrorCode.NO_SUCH_SLAB);

        // The source cannot be reached.
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        e = Await.failure(ctlB.syncAsync(9, MIB, "alice", 1, new Replica(5, "127.0.0.1", closedPort)), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.NODE_UNAVAILABLE);
        assertCode(() -> read(alice, 9, 0, 8), ErrorCode.NO_SUCH_SLAB);

        // Nothing stays reserved: the whole capacity can still be copied into.
        ctlA.create(9, CAPACITY, "alice");
        writev(client(a, "alice"), new Run(9, CAPACITY - 8, pattern(8, 2)));
        Await.result(ctlB.syncAsync(9, CAPACITY, "alice", 1, replicaOf(a)), WAIT);
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
        assertThat(replicaReadFailure(replica(n2, kept), kept, 0, 8).code())
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
        CompletableFuture<Void> sync = first.syncAsync(2, MIB, "alice", 1, source.replica());
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
        CompletableFuture<Void> sync = ctl.syncAsync(6, MIB, "alice", 2, source.replica());
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
                new SlabCreate(MIB, "alice")::encode, (h, b) -> null));
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
        CompletableFuture<Void> first = ctl.syncAsync(5, MIB, "alice", 1, oldSource.replica());
        oldSource.awaitFirstRead();
        // The controller gave up on the first copy and asks again, from another source.
        CompletableFuture<Void> second = ctl.syncAsync(5, MIB, "alice", 2, newSource.replica());
        newSource.awaitFirstRead();
        oldSource.release(); // the old copy finds its slab deleted, and fails
        Await.failure(first, WAIT);

        DirectLink alice = client(n, "alice");
        assertCode(() -> read(alice, 5, 0, 8), ErrorCode.REPLICA_NOT_READY);
        newSource.release();
        Await.result(second, WAIT);
        assertSame(readAll(alice, 5, MIB), newSource.content(0, (int) MIB), "the second copy");
    }

    // ------------------------------------------------------------------ security: capabilities, checksums, node key

    /**
     * The copying node presents the capability from SLAB_SYNC, and only that: a capability for another slab, or one
     * signed by another cluster's secret, gets it nothing from the source, and the failed copy leaves no slab behind.
     */
    @Test
    void aCopyWithoutAValidCapabilityFailsAndLeavesNothing() throws Exception {
        ScriptedController ctlA = controller(1);
        ScriptedController ctlB = controller(2);
        MemNode a = registeredNode(ctlA, null);
        MemNode b = registeredNode(ctlB, null);
        ctlA.create(3, MIB, "alice");
        ctlA.create(4, MIB, "alice");
        writev(client(a, "alice"), new Run(4, 0, pattern(64, 1)));

        RememException wrongSlab = Await.failure(ctlB.syncAsync(4,
                new SlabSync(MIB, "alice", 1, replicaOf(a), Tokens.replica(clusterSecret, 3))), WAIT);
        assertThat(wrongSlab.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
        RememException forged = Await.failure(ctlB.syncAsync(4,
                new SlabSync(MIB, "alice", 1, replicaOf(a), Tokens.replica(Tokens.newClusterSecret(), 4))), WAIT);
        assertThat(forged.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);

        DirectLink onB = client(b, "alice");
        assertCode(() -> read(onB, 4, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertThat(b.backedBytes()).isZero();
        // With the right capability the same copy goes through.
        Await.result(ctlB.syncAsync(4, MIB, "alice", 1, replicaOf(a)), WAIT);
        assertThat(read(onB, 4, 0, 64)).isEqualTo(pattern(64, 1));
    }

    /** A copy is checked end to end: a piece whose checksum does not match fails the copy, which leaves nothing. */
    @Test
    void aCopyWhosePiecesFailTheirChecksumIsRefused() throws Exception {
        GatedSource source = gatedSource(off -> (byte) (off * 5 + 3));
        source.corruptChecksums = true;
        source.release();
        ScriptedController ctl = controller(2);
        MemNode b = registeredNode(ctl, null);

        RememException e = Await.failure(ctl.syncAsync(6, MIB, "alice", 1, source.replica()), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH);
        assertCode(() -> read(client(b, "alice"), 6, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertThat(b.backedBytes()).isZero();

        source.corruptChecksums = false;
        Await.result(ctl.syncAsync(6, MIB, "alice", 1, source.replica()), WAIT);
        assertSame(readAll(client(b, "alice"), 6, MIB), source.content(0, (int) MIB), "the copy with good checksums");
    }

    /**
     * The node's key is its identity to the controller: with a data directory it is made once, kept owner-only, and
     * presented again after a restart, so the node can claim its id; without one each start makes a new key.
     * Every registration is signed afresh over its own session (the scripted controller checks each signature).
     */
    @Test
    void theNodeKeyIsKeptInTheDataDirectoryAndFreshWithoutOne(@TempDir Path dir) throws Exception {
        ScriptedController first = controller(5);
        MemNode n1 = registeredNode(first, dir);
        NodeRegister r1 = first.nextRegistration();
        Path keyFile = dir.resolve("node.key");
        assertThat(keyFile).exists();
        byte[] keyBytes = Files.readAllBytes(keyFile);
        if (Files.getFileStore(keyFile).supportsFileAttributeView(PosixFileAttributeView.class)) {
            assertThat(Files.getPosixFilePermissions(keyFile)).as("the private key is the owner's only")
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
        // A second registration of the same process: the same key, a new signature for the new session.
        first.dropLink();
        NodeRegister again = first.nextRegistration();
        assertThat(again.publicKey()).isEqualTo(r1.publicKey());
        assertThat(again.signature()).as("signed over the new session's binding").isNotEqualTo(r1.signature());
        n1.close();

        ScriptedController second = controller(5);
        registeredNode(second, dir);
        NodeRegister r2 = second.nextRegistration();
        assertThat(r2.nodeId()).isEqualTo(5);
        assertThat(r2.publicKey()).as("the same identity after a restart").isEqualTo(r1.publicKey());
        assertThat(Files.readAllBytes(keyFile)).as("the key file is made once, not rewritten").isEqualTo(keyBytes);

        ScriptedController third = controller(6);
        ScriptedController fourth = controller(6);
        registeredNode(third, null);
        registeredNode(fourth, null);
        byte[] k3 = third.nextRegistration().publicKey();
        byte[] k4 = fourth.nextRegistration().publicKey();
        assertThat(k3).as("a node without a data directory has a key of its own").isNotEqualTo(k4)
                .isNotEqualTo(r1.publicKey());
    }
}
