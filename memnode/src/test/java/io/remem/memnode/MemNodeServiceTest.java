package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.AggregateRequest;
import io.remem.protocol.AggregateResult;
import io.remem.protocol.ChaseRequest;
import io.remem.protocol.ChaseResult;
import io.remem.protocol.ElementType;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Filter;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.MapGetRequest;
import io.remem.protocol.MapGetResult;
import io.remem.protocol.MapLayout;
import io.remem.protocol.NodeHeartbeat;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegistered;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.SlabCreate;
import io.remem.protocol.Wire;
import io.remem.protocol.WriteRunReader;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.NodeKey;
import io.remem.protocol.auth.Scram;
import io.remem.protocol.auth.Secret;
import io.remem.testkit.Await;
import io.remem.testkit.RawClient;
import io.remem.transport.BodyWriter;
import io.remem.transport.Connections;
import io.remem.transport.DirectLink;
import io.remem.transport.EventLoops;
import io.remem.transport.HelloDecision;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;
import io.remem.transport.RequestHandler;
import io.remem.transport.ServerLimits;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A real memory node on loopback TCP, registered with a fake controller that drives it over the node's own
 * controller link, and used by clients through {@link DirectLink} and raw sockets.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MemNodeServiceTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final long MIB = 1L << 20;
    private static final long CAPACITY = 64 << 20;
    private static final long ALICE_SLAB = 10;
    private static final long ALICE_SLAB_2 = 11;
    private static final long BOB_SLAB = 20;
    private static final long SLAB_SIZE = MIB;

    /** The secret the node proves to the fake controller and checks session tokens with. */
    private static final Secret clusterSecret = Tokens.newClusterSecret();

    private static EventLoops loops;
    private static FakeController controller;
    private static Connections.Listener controllerListener;
    private static MemNode node;
    /** What the node sent in its first NODE_REGISTER. */
    private static NodeRegister firstRegistration;

    private final List<DirectLink> links = new ArrayList<>();

    /**
     * Accepts one memory node, registers it as node 1 with a 100 ms heartbeat, and acknowledges heartbeats. It plays a
     * controller that knows every slab the node holds, so its answer keeps them all. Like a real controller it has the
     * node prove the cluster secret and checks the node key's signature of every registration; what the node gets
     * wrong is kept in {@link #failures}, which each test checks at its end.
     */
    static final class FakeController implements RequestHandler {
        private final Scram.Verifier verifier = Scram.Verifier.of(clusterSecret, new SecureRandom(), Scram.MIN_ITERATIONS);
        final AtomicReference<Peer> link = new AtomicReference<>();
        final AtomicReference<Hello> hello = new AtomicReference<>();
        final AtomicReference<NodeRegister> registration = new AtomicReference<>();
        final AtomicReference<NodeHeartbeat> lastHeartbeat = new AtomicReference<>();
        final AtomicInteger heartbeats = new AtomicInteger();
        final AtomicInteger registrations = new AtomicInteger();
        final List<String> failures = new CopyOnWriteArrayList<>();

        @Override
        public HelloDecision onHello(Peer peer, Hello h) {
            if (h.role() != Role.MEMORY_NODE || !verifier.keyId().equals(h.keyId())) {
                failures.add("unexpected HELLO " + h);
                throw new AuthenticationFailure("fake controller accepts its memory node only");
            }
            hello.set(h);
            // The session's binding is what the node key must sign in NODE_REGISTER.
            return new HelloDecision.Challenge(verifier, (p, binding) -> {
                link.set(p);
                return new HelloDecision.Accept(binding);
            });
        }

        @Override
        public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
            switch (h.opcode()) {
                case NODE_REGISTER -> {
                    NodeRegister reg = NodeRegister.decode(body);
                    if (!NodeKey.verify(reg.publicKey(), reg.signature(), (byte[]) peer.attachment(), reg.nodeId())) {
                        failures.add("NODE_REGISTER not signed by the node key over this session: " + reg);
                        throw new AuthenticationFailure("bad node key signature");
                    }
                    List<Long> keep = reg.held().stream().map(NodeRegister.HeldSlab::slabId).toList();
                    registration.set(reg);
                    registrations.incrementAndGet();
                    peer.reply(h, 0, 0, 0, 20 + 8 * keep.size(), new NodeRegistered(1, 100, keep)::encode);
                }
                case NODE_HEARTBEAT -> {
                    lastHeartbeat.set(NodeHeartbeat.decode(body));
                    heartbeats.incrementAndGet();
                    peer.reply(h, 0, 0, 0, 0, BodyWriter.EMPTY);
                }
                default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " not served by the fake controller");
            }
        }
    }

    @BeforeAll
    static void startNode() throws Exception {
        loops = EventLoops.create("fake-controller", 2);
        controller = new FakeController();
        controllerListener = Connections.listen(loops, "127.0.0.1", 0, () -> controller, "fake-controller", WAIT,
                ServerLimits.DEFAULTS, null);
        node = MemNode.start(new MemNodeConfig(new HostPort("127.0.0.1", 0), CAPACITY,
                new HostPort("127.0.0.1", controllerListener.port()), List.of(clusterSecret)));
        assertThat(node.awaitRegistered(WAIT)).as("memory node registered").isTrue();
        assertThat(node.nodeId()).isEqualTo(1);
        assertThat(controller.link.get()).isNotNull();
        firstRegistration = controller.registration.get();

        createSlab(ALICE_SLAB, SLAB_SIZE, "alice");
        createSlab(ALICE_SLAB_2, SLAB_SIZE, "alice");
        createSlab(BOB_SLAB, SLAB_SIZE, "bob");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
        if (controllerListener != null) {
            controllerListener.close();
        }
        if (loops != null) {
            loops.close();
        }
    }

    @AfterEach
    void closeLinks() {
        links.forEach(DirectLink::close);
        assertThat(controller.failures).as("what the node got wrong with the controller").isEmpty();
    }

    // ------------------------------------------------------------------ helpers

    private static CompletableFuture<Void> createSlabAsync(long slabId, long size, String tenant) {
        return controller.link.get().call(Opcode.SLAB_CREATE, slabId, 0, 0, 64, new SlabCreate(size, tenant)::encode,
                (h, b) -> null);
    }

    private static void createSlab(long slabId, long size, String tenant) throws Exception {
        Await.result(createSlabAsync(slabId, size, tenant), WAIT);
    }

    private static void deleteSlab(long slabId) throws Exception {
        Await.result(controller.link.get().call(Opcode.SLAB_DELETE, slabId, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> null), WAIT);
    }

    private DirectLink client(String tenant) {
        DirectLink l = DirectLink.connect("127.0.0.1", node.address().port(), Duration.ofSeconds(2), WAIT);
        links.add(l);
        Tokens.openClient(l, clusterSecret, tenant);
        return l;
    }

    private static byte[] read(DirectLink l, long slab, long offset, int length) {
        byte[] b = new byte[length];
        l.read(slab, offset, MemorySegment.ofArray(b));
        return b;
    }

    /** One WRITEV run. */
    record Run(long slab, long offset, byte[] data) {}

    private static ByteBuffer writevBody(Run... runs) {
        ByteBuf body = Unpooled.buffer();
        for (Run r : runs) {
            WriteRunReader.writeRunHeader(body, r.slab(), r.offset(), r.data().length);
            body.writeBytes(r.data());
        }
        return body.nioBuffer();
    }

    /** Operation ids for writes and atomics: unique across the whole test, so no call is ever taken for a retry. */
    private static final AtomicLong OP_IDS = new AtomicLong(1_000_000);

    private static long nextOpId() {
        return OP_IDS.getAndIncrement();
    }

    /** A WRITEV under a fresh operation id, which travels in the header's offset field. */
    private static int writev(DirectLink l, Run... runs) {
        return l.call(Opcode.WRITEV, 0, nextOpId(), runs.length, writevBody(runs), null, (h, b) -> h.length());
    }

    private static long cas(DirectLink l, long slab, long offset, long expected, long desired) {
        ByteBuffer body = ByteBuffer.allocate(24).putLong(nextOpId()).putLong(expected).putLong(desired).flip();
        return l.call(Opcode.CAS, slab, offset, 8, body, null, (h, b) -> b.readLong());
    }

    private static long faa(DirectLink l, long slab, long offset, long delta) {
        ByteBuffer body = ByteBuffer.allocate(16).putLong(nextOpId()).putLong(delta).flip();
        return l.call(Opcode.FAA, slab, offset, 8, body, null, (h, b) -> b.readLong());
    }

    /** A WRITEV under operation id {@code opId} with request {@code flags} (such as {@link Wire#FLAG_RETRY}). */
    private static int writev(DirectLink l, int flags, long opId, Run... runs) throws InterruptedException {
        return Await.result(l.callAsync(Opcode.WRITEV, flags, 0, opId, runs.length, writevBody(runs), (h, b) -> h.length()),
                WAIT);
    }

    private static long faa(DirectLink l, int flags, long opId, long slab, long offset, long delta)
            throws InterruptedException {
        ByteBuffer body = ByteBuffer.allocate(16).putLong(opId).putLong(delta).flip();
        return Await.result(l.callAsync(Opcode.FAA, flags, slab, offset, 8, body, (h, b) -> b.readLong()), WAIT);
    }

    private static long cas(DirectLink l, int flags, long opId, long slab, long offset, long expected, long desired)
            throws InterruptedException {
        ByteBuffer body = ByteBuffer.allocate(24).putLong(opId).putLong(expected).putLong(desired).flip();
        return Await.result(l.callAsync(Opcode.CAS, flags, slab, offset, 8, body, (h, b) -> b.readLong()), WAIT);
    }

    /** The little-endian word at {@code offset}, as the atomics see it, read with a plain READ. */
    private static long word(DirectLink l, long slab, long offset) {
        return ByteBuffer.wrap(read(l, slab, offset, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** SLAB_EPOCH: the session says it knows {@code epoch} of {@code slab}. */
    private static void declareEpoch(DirectLink l, long slab, long epoch) {
        l.call(Opcode.SLAB_EPOCH, slab, epoch, 0, null, null, (h, b) -> null);
    }

    /** WRITEV_READ: applies {@code runs}, then reads {@code length} bytes at {@code offset} of {@code slab}. */
    private static byte[] writevRead(DirectLink l, long slab, long offset, int length, Run... runs) {
        ByteBuf body = Unpooled.buffer().writeInt(runs.length);
        body.writeBytes(writevBody(runs));
        return l.call(Opcode.WRITEV_READ, slab, offset, length, body.nioBuffer(), null, (h, b) -> {
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        });
    }

    /** The controller's SLAB_FENCE: only sessions that declare {@code epoch} may write {@code slab} from now on. */
    private static void fence(long slab, long epoch) throws Exception {
        Await.result(controller.link.get().call(Opcode.SLAB_FENCE, slab, epoch, 0, 0, BodyWriter.EMPTY, (h, b) -> null), WAIT);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 17 + i * 13 + (i >>> 7));
        }
        return b;
    }

    private static RememException assertCode(ThrowingCallable call, ErrorCode code) {
        return Ops.assertCode(call, code);
    }

    // ------------------------------------------------------------------ registration and control

    @Test
    void registersWithTheControllerAndSendsHeartbeats() throws Exception {
        NodeRegister reg = firstRegistration;
        // The node proved the cluster secret (the fake controller checked it) and signed with its key.
        Hello hello = controller.hello.get();
        assertThat(hello.role()).isEqualTo(Role.MEMORY_NODE);
        assertThat(hello.principal()).isEqualTo("node");
        assertThat(hello.keyId()).isEqualTo(clusterSecret.keyId());
        assertThat(hello.credential()).as("a secret is proven, never sent").isEmpty();
        assertThat(reg.publicKey()).isNotEmpty();
        assertThat(reg.host()).isEqualTo("127.0.0.1");
        assertThat(reg.port()).isEqualTo(node.address().port());
        assertThat(reg.capacity()).isEqualTo(CAPACITY);
        assertThat(reg.nodeId()).isZero();
        assertThat(reg.held()).as("a new node holds no slabs").isEmpty();
        int before = controller.heartbeats.get();
        Await.until(() -> controller.heartbeats.get() >= before + 2, WAIT, "two more heartbeats");
        NodeHeartbeat hb = controller.lastHeartbeat.get();
        assertThat(hb.capacity()).isEqualTo(CAPACITY);
        assertThat(hb.reservedBytes()).isGreaterThanOrEqualTo(3 * SLAB_SIZE);
        assertThat(hb.slabCount()).isGreaterThanOrEqualTo(3);
    }

    private static final long RECREATED_SLAB = 35;

    /**
     * The controller creates each id once, so a slab already here under a created id is a stale copy whose delete never
     * arrived: it is dropped, with its memory and reservation, and the new slab reads zeros whoever owns it now.
     */
    @Test
    void controllerCreateOfAnExistingIdReplacesItWithAZeroedSlab() throws Exception {
        createSlab(RECREATED_SLAB, SLAB_SIZE, "alice");
        DirectLink alice = client("alice");
        DirectLink bob = client("bob");
        long backedBefore = node.backedBytes();
        writev(alice, new Run(RECREATED_SLAB, 4096, pattern(64, 1)));
        assertThat(node.backedBytes()).isEqualTo(backedBefore + Slab.CHUNK_SIZE);

        createSlab(RECREATED_SLAB, SLAB_SIZE, "alice");
        assertThat(read(alice, RECREATED_SLAB, 4096, 64)).as("the re-created slab").containsOnly(0);
        assertThat(node.backedBytes()).as("the old copy's memory is freed").isEqualTo(backedBefore);

        createSlab(RECREATED_SLAB, 2 * SLAB_SIZE, "bob");
        assertCode(() -> read(alice, RECREATED_SLAB, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertThat(read(bob, RECREATED_SLAB, 2 * SLAB_SIZE - 8, 8)).containsOnly(0);
        // Re-creating a big slab again and again must not leak its reservation: 40 MiB fits the 64 MiB node once.
        for (int i = 0; i < 3; i++) {
            createSlab(RECREATED_SLAB, 40 * MIB, "bob");
        }
        deleteSlab(RECREATED_SLAB);

        RememException e = Await.failure(createSlabAsync(77, 12345, "alice"), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        e = Await.failure(createSlabAsync(78, 2 * CAPACITY, "alice"), WAIT);
        assertThat(e.code()).isIn(ErrorCode.NODE_OUT_OF_MEMORY, ErrorCode.INVALID_ARGUMENT);
        e = Await.failure(createSlabAsync(79, SLAB_SIZE, "not a valid tenant!"), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void controllerDeleteRemovesTheSlab() throws Exception {
        createSlab(30, SLAB_SIZE, "alice");
        DirectLink alice = client("alice");
        writev(alice, new Run(30, 0, pattern(100, 1)));
        assertThat(read(alice, 30, 0, 100)).isEqualTo(pattern(100, 1));
        deleteSlab(30);
        assertCode(() -> read(alice, 30, 0, 100), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> faa(alice, 30, 0, 1), ErrorCode.NO_SUCH_SLAB);
        deleteSlab(30); // deleting again is fine
    }

    @Test
    void reRegistersUnderItsIdAfterTheControllerLinkDropsAndKeepsItsSlabs() throws Exception {
        DirectLink alice = client("alice");
        writev(alice, new Run(ALICE_SLAB, 50_000, pattern(32, 8)));
        Peer old = controller.link.get();
        int before = controller.registrations.get();

        old.close();

        Await.until(() -> controller.registrations.get() > before, WAIT, "the node registered again");
        assertThat(controller.link.get()).isNotSameAs(old);
        assertThat(controller.registration.get().nodeId()).as("re-registers under the id it was given").isEqualTo(1);
        assertThat(controller.registration.get().held()).as("lists the slabs it holds")
                .extracting(NodeRegister.HeldSlab::slabId).contains(ALICE_SLAB, ALICE_SLAB_2, BOB_SLAB);
        assertThat(node.nodeId()).isEqualTo(1);
        // Clients were not affected, and the slabs are still there.
        assertThat(read(alice, ALICE_SLAB, 50_000, 32)).isEqualTo(pattern(32, 8));
        // The controller can drive the node over the new link.
        createSlab(31, SLAB_SIZE, "alice");
        writev(alice, new Run(31, 0, pattern(8, 1)));
        assertThat(read(alice, 31, 0, 8)).isEqualTo(pattern(8, 1));
        deleteSlab(31);
    }

    @Test
    void registersOnceTheControllerComesUpAndCloseFreesEverything() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        FakeController late = new FakeController();
        MemNode second = MemNode.start(new MemNodeConfig(new HostPort("127.0.0.1", 0), 4 * MIB,
                new HostPort("127.0.0.1", port), List.of(clusterSecret)));
        Connections.Listener lateListener = null;
        try {
            assertThat(second.nodeId()).isZero();
            assertThat(second.address().host()).isEqualTo("127.0.0.1");
            assertThat(second.address().port()).isPositive();
            lateListener = Connections.listen(loops, "127.0.0.1", port, () -> late, "late-controller", WAIT,
                    ServerLimits.DEFAULTS, null);
            assertThat(second.awaitRegistered(WAIT)).as("registered once the controller listened").isTrue();
            assertThat(late.registration.get().capacity()).isEqualTo(4 * MIB);

            Await.result(late.link.get().call(Opcode.SLAB_CREATE, 1, 0, 0, 64, new SlabCreate(MIB, "carol")::encode,
                    (h, b) -> null), WAIT);
            DirectLink carol = DirectLink.connect("127.0.0.1", second.address().port(), Duration.ofSeconds(2), WAIT);
            links.add(carol);
            Tokens.openClient(carol, clusterSecret, "carol");
            writev(carol, new Run(1, 0, pattern(16, 1)), new Run(1, 2 * Slab.CHUNK_SIZE, pattern(16, 2)));
            assertThat(second.backedBytes()).isEqualTo(2 * Slab.CHUNK_SIZE);
            // Reservations are bounded by the node's capacity.
            RememException e = Await.failure(late.link.get().call(Opcode.SLAB_CREATE, 2, 0, 0, 64,
                    new SlabCreate(4 * MIB, "carol")::encode, (h, b) -> null), WAIT);
            assertThat(e.code()).isEqualTo(ErrorCode.NODE_OUT_OF_MEMORY);
        } finally {
            second.close();
            if (lateListener != null) {
                lateListener.close();
            }
        }
        assertThat(late.failures).as("what the node got wrong with the late controller").isEmpty();
        assertThat(second.backedBytes()).isZero();
        int dataPort = second.address().port();
        assertCode(() -> DirectLink.connect("127.0.0.1", dataPort, Duration.ofSeconds(1), WAIT), ErrorCode.NODE_UNAVAILABLE);
    }

    // ------------------------------------------------------------------ data path

    @Test
    void writtenDataReadsBack() {
        DirectLink alice = client("alice");
        byte[] a = pattern(5000, 1);
        byte[] b = pattern(300, 2);
        long straddling = Slab.CHUNK_SIZE - 150;
        int applied = writev(alice, new Run(ALICE_SLAB, 1000, a), new Run(ALICE_SLAB_2, straddling, b));
        assertThat(applied).isEqualTo(2);
        assertThat(read(alice, ALICE_SLAB, 1000, a.length)).isEqualTo(a);
        assertThat(read(alice, ALICE_SLAB_2, straddling, b.length)).isEqualTo(b);
        // Around the writes, and far away, memory is zero.
        assertThat(read(alice, ALICE_SLAB, 990, 10)).containsOnly(0);
        assertThat(read(alice, ALICE_SLAB, 6000, 10)).containsOnly(0);
        assertThat(read(alice, ALICE_SLAB, SLAB_SIZE - 4096, 4096)).containsOnly(0);
        // A second connection of the same tenant sees the same bytes.
        DirectLink alice2 = client("alice");
        assertThat(read(alice2, ALICE_SLAB, 1000, a.length)).isEqualTo(a);
        assertThat(node.backedBytes()).isGreaterThanOrEqualTo(3 * Slab.CHUNK_SIZE);
    }

    @Test
    void writevThroughCallAsyncCompletes() throws Exception {
        DirectLink alice = client("alice");
        List<CompletableFuture<Integer>> writes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            writes.add(alice.callAsync(Opcode.WRITEV, 0, nextOpId(), 1,
                    writevBody(new Run(ALICE_SLAB_2, 200_000 + i * 64L, pattern(64, i))), (h, b) -> h.length()));
        }
        for (CompletableFuture<Integer> w : writes) {
            assertThat(Await.result(w, WAIT)).isEqualTo(1);
        }
        for (int i = 0; i < 20; i++) {
            assertThat(read(alice, ALICE_SLAB_2, 200_000 + i * 64L, 64)).isEqualTo(pattern(64, i));
        }
    }

    @Test
    void anotherTenantsSlabIsAnsweredAsIfItWereNotHere() {
        DirectLink alice = client("alice");
        writev(alice, new Run(ALICE_SLAB, 64, pattern(32, 5)));
        DirectLink bob = client("bob");
        assertCode(() -> read(bob, ALICE_SLAB, 64, 32), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> writev(bob, new Run(ALICE_SLAB, 64, new byte[32])), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> faa(bob, ALICE_SLAB, 64, 1), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> cas(bob, ALICE_SLAB, 64, 0, 1), ErrorCode.NO_SUCH_SLAB);
        // A WRITEV mixing bob's own slab with alice's applies nothing.
        assertCode(() -> writev(bob, new Run(BOB_SLAB, 0, pattern(8, 9)), new Run(ALICE_SLAB, 64, new byte[32])),
                ErrorCode.NO_SUCH_SLAB);
        assertThat(read(bob, BOB_SLAB, 0, 8)).containsOnly(0);
        assertThat(read(alice, ALICE_SLAB, 64, 32)).isEqualTo(pattern(32, 5));
        // Bob's own slab works; the refusals did not close his link.
        writev(bob, new Run(BOB_SLAB, 8, pattern(8, 3)));
        assertThat(read(bob, BOB_SLAB, 8, 8)).isEqualTo(pattern(8, 3));
        assertThat(bob.isOpen()).isTrue();
    }

    @Test
    void unknownSlabIsNoSuchSlab() {
        DirectLink alice = client("alice");
        assertCode(() -> read(alice, 4242, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> writev(alice, new Run(4242, 0, new byte[8])), ErrorCode.NO_SUCH_SLAB);
    }

    @Test
    void outOfBoundsReadIsRefused() {
        DirectLink alice = client("alice");
        assertCode(() -> read(alice, ALICE_SLAB, SLAB_SIZE - 4, 8), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> read(alice, ALICE_SLAB, SLAB_SIZE, 1), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> read(alice, ALICE_SLAB, Long.MAX_VALUE, 8), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> read(alice, ALICE_SLAB, -8, 8), ErrorCode.OUT_OF_BOUNDS);
        assertThat(read(alice, ALICE_SLAB, SLAB_SIZE - 8, 8)).hasSize(8);
        assertThat(alice.isOpen()).isTrue();
    }

    @Test
    void writevWhoseSecondRunIsOutOfBoundsAppliesNothing() {
        DirectLink alice = client("alice");
        byte[] original = pattern(64, 11);
        writev(alice, new Run(ALICE_SLAB, 8192, original));

        byte[] replacement = pattern(64, 12);
        assertCode(() -> writev(alice, new Run(ALICE_SLAB, 8192, replacement), new Run(ALICE_SLAB, SLAB_SIZE - 10, new byte[20])),
                ErrorCode.OUT_OF_BOUNDS);
        assertThat(read(alice, ALICE_SLAB, 8192, 64)).isEqualTo(original);

        // Same with the bad run pointing past the end of another slab that has never been written.
        long backedBefore = node.backedBytes();
        assertCode(() -> writev(alice, new Run(ALICE_SLAB_2, 3 * Slab.CHUNK_SIZE + 5, replacement),
                new Run(ALICE_SLAB, Long.MAX_VALUE - 4, new byte[8])), ErrorCode.OUT_OF_BOUNDS);
        assertThat(read(alice, ALICE_SLAB_2, 3 * Slab.CHUNK_SIZE + 5, 64)).containsOnly(0);
        assertThat(node.backedBytes()).isEqualTo(backedBefore);
    }

    @Test
    void malformedWritevIsRefusedAndAppliesNothing() {
        DirectLink alice = client("alice");
        // The header promises three runs, the body has one.
        ByteBuffer body = writevBody(new Run(ALICE_SLAB, 20_000, pattern(16, 1)));
        assertCode(() -> alice.call(Opcode.WRITEV, 0, nextOpId(), 3, body, null, (h, b) -> h.length()),
                ErrorCode.MALFORMED_FRAME);
        assertThat(read(alice, ALICE_SLAB, 20_000, 16)).containsOnly(0);
        // A run whose length runs past the end of the body.
        ByteBuf truncated = Unpooled.buffer();
        WriteRunReader.writeRunHeader(truncated, ALICE_SLAB, 20_000, 100);
        truncated.writeBytes(new byte[10]);
        assertCode(() -> alice.call(Opcode.WRITEV, 0, nextOpId(), 1, truncated.nioBuffer(), null, (h, b) -> h.length()),
                ErrorCode.MALFORMED_FRAME);
        assertThat(alice.isOpen()).isTrue();
    }

    @Test
    void compareAndSwapAndFetchAndAdd() {
        DirectLink alice = client("alice");
        long word = 3 * Slab.CHUNK_SIZE + 64; // never written
        assertThat(cas(alice, ALICE_SLAB, word, 5, 6)).isZero();  // fails: the word is 0
        assertThat(cas(alice, ALICE_SLAB, word, 0, 6)).isZero();  // succeeds, witness 0
        assertThat(cas(alice, ALICE_SLAB, word, 0, 7)).isEqualTo(6); // fails, witness 6
        assertThat(cas(alice, ALICE_SLAB, word, 6, -1)).isEqualTo(6);
        assertThat(faa(alice, ALICE_SLAB, word, 10)).isEqualTo(-1);
        assertThat(faa(alice, ALICE_SLAB, word, 0)).isEqualTo(9);

        long counter = 4 * Slab.CHUNK_SIZE;
        assertThat(faa(alice, ALICE_SLAB, counter, 1)).isZero();
        assertThat(faa(alice, ALICE_SLAB, counter, 41)).isEqualTo(1);
        assertThat(faa(alice, ALICE_SLAB, counter, 0)).isEqualTo(42);
        // The word's bytes, as READ returns them, hold the same value in the node's native order.
        byte[] raw = read(alice, ALICE_SLAB, counter, 8);
        assertThat(MemorySegment.ofArray(raw).get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).isEqualTo(42);

        assertCode(() -> faa(alice, ALICE_SLAB, counter + 4, 1), ErrorCode.MISALIGNED);
        assertCode(() -> cas(alice, ALICE_SLAB, counter + 1, 0, 1), ErrorCode.MISALIGNED);
        assertCode(() -> faa(alice, ALICE_SLAB, SLAB_SIZE, 1), ErrorCode.OUT_OF_BOUNDS);
        // A body of the wrong size is malformed, including the old bodies without an operation id.
        assertCode(() -> alice.call(Opcode.FAA, ALICE_SLAB, counter, 8, ByteBuffer.allocate(4), null, (h, b) -> b.readLong()),
                ErrorCode.MALFORMED_FRAME);
        assertCode(() -> alice.call(Opcode.FAA, ALICE_SLAB, counter, 8, ByteBuffer.allocate(8), null, (h, b) -> b.readLong()),
                ErrorCode.MALFORMED_FRAME);
        assertCode(() -> alice.call(Opcode.FAA, ALICE_SLAB, counter, 8, ByteBuffer.allocate(24), null, (h, b) -> b.readLong()),
                ErrorCode.MALFORMED_FRAME);
        assertCode(() -> alice.call(Opcode.CAS, ALICE_SLAB, counter, 8, ByteBuffer.allocate(16), null, (h, b) -> b.readLong()),
                ErrorCode.MALFORMED_FRAME);
        assertCode(() -> alice.call(Opcode.CAS, ALICE_SLAB, counter, 8, ByteBuffer.allocate(32), null, (h, b) -> b.readLong()),
                ErrorCode.MALFORMED_FRAME);
        assertThat(faa(alice, ALICE_SLAB, counter, 0)).isEqualTo(42);
    }

    @Test
    void concurrentFetchAndAddFromManyClientsSumsExactly() throws Exception {
        long counter = 5 * Slab.CHUNK_SIZE + 8;
        int clients = 4;
        int threadsPerClient = 4;
        int adds = 250;
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            DirectLink l = client("alice");
            for (int t = 0; t < threadsPerClient; t++) {
                CompletableFuture<Void> f = new CompletableFuture<>();
                done.add(f);
                Thread.ofVirtual().start(() -> {
                    try {
                        for (int i = 0; i < adds; i++) {
                            faa(l, ALICE_SLAB_2, counter, 1);
                        }
                        f.complete(null);
                    } catch (Throwable e) {
                        f.completeExceptionally(e);
                    }
                });
            }
        }
        for (CompletableFuture<Void> f : done) {
            Await.result(f, Duration.ofSeconds(15));
        }
        assertThat(faa(client("alice"), ALICE_SLAB_2, counter, 0)).isEqualTo((long) clients * threadsPerClient * adds);
    }

    @Test
    void clientCannotCreateSlabs() {
        DirectLink alice = client("alice");
        ByteBuf body = Unpooled.buffer();
        new SlabCreate(SLAB_SIZE, "alice").encode(body);
        assertCode(() -> alice.call(Opcode.SLAB_CREATE, 500, 0, 0, body.nioBuffer(), null, (h, b) -> null),
                ErrorCode.WRONG_ROLE);
        assertCode(() -> alice.call(Opcode.SLAB_DELETE, ALICE_SLAB, 0, 0, null, null, (h, b) -> null), ErrorCode.WRONG_ROLE);
        assertCode(() -> alice.call(Opcode.NODE_REGISTER, 0, 0, 0, null, null, (h, b) -> null), ErrorCode.WRONG_ROLE);
        assertCode(() -> read(alice, 500, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertThat(alice.isOpen()).isTrue();
    }

    /** Only runtimes and copying nodes open sessions here; proving the cluster secret as a node opens nothing. */
    @Test
    void memoryNodeRoleIsRefusedOnTheDataPort() {
        DirectLink l = DirectLink.connect("127.0.0.1", node.address().port(), Duration.ofSeconds(2), WAIT);
        links.add(l);
        RememException e = assertCode(() -> l.hello(Role.MEMORY_NODE, Credentials.ofSecret("node", clusterSecret), 0, 0),
                ErrorCode.AUTHENTICATION_FAILED);
        assertThat(e.detail()).isEqualTo(AuthenticationFailure.MESSAGE);
        // A failed HELLO ends the connection: nothing more can be asked on it.
        assertCode(() -> read(l, ALICE_SLAB, 0, 8), ErrorCode.CONNECTION_CLOSED);
    }

    @Test
    void invalidTenantNameIsRefused() {
        DirectLink l = DirectLink.connect("127.0.0.1", node.address().port(), Duration.ofSeconds(2), WAIT);
        links.add(l);
        byte[] token = Tokens.session(clusterSecret, "alice");
        RememException e = catchThrowableOfType(() -> l.hello(Role.CLIENT, Credentials.ofToken("bad tenant!", () -> token),
                0, 0));
        assertThat(e.code()).isIn(ErrorCode.INVALID_ARGUMENT, ErrorCode.MALFORMED_FRAME);
    }

    private static RememException catchThrowableOfType(ThrowingCallable c) {
        Throwable t = catchThrowable(c);
        assertThat(t).isInstanceOf(RememException.class);
        return (RememException) t;
    }

    // ------------------------------------------------------------------ malformed input over raw sockets

    @Test
    void malformedInputIsContainedAndWellBehavedClientsStillWork() throws Exception {
        int port = node.address().port();

        // (a) Garbage whose version byte is wrong: an error response, then the server closes the connection.
        try (RawClient raw = RawClient.connect(port)) {
            byte[] garbage = new byte[Wire.FRAME_OVERHEAD];
            for (int i = 0; i < garbage.length; i++) {
                garbage[i] = (byte) (0xA5 ^ i * 37);
            }
            ByteBuffer.wrap(garbage).putInt(0, Wire.HEADER_BYTES).put(4, (byte) 0xEE);
            raw.send(garbage);
            RawClient.Frame f = raw.readFrame();
            assertThat(f).as("error response to a bad version").isNotNull();
            assertThat(f.header().isResponse()).isTrue();
            assertThat(f.header().status()).isNotZero();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(raw.awaitEndOfStream()).as("server closed the connection").isTrue();
        }

        // (b) A length prefix of 0x7fffffff: an error response, then the server closes the connection.
        try (RawClient raw = RawClient.connect(port)) {
            ByteBuffer frame = ByteBuffer.allocate(Wire.FRAME_OVERHEAD);
            frame.putInt(0x7fffffff).put((byte) Wire.VERSION).put((byte) Opcode.READ.code());
            raw.send(frame.array());
            RawClient.Frame f = raw.readFrame();
            assertThat(f).as("error response to an oversized frame").isNotNull();
            assertThat(f.header().status()).isNotZero();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(raw.awaitEndOfStream()).as("server closed the connection").isTrue();
        }

        // (c) A well-formed header with unknown opcode 0x7f: UNKNOWN_OPCODE, and the connection goes on.
        try (RawClient raw = RawClient.connect(port)) {
            ByteBuf frame = RawClient.request(Opcode.PING, 41, 0, 0, 0, 0, new byte[] {1, 2, 3, 4});
            frame.setByte(Wire.LENGTH_FIELD_BYTES + 1, 0x7f);
            raw.send(frame);
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.UNKNOWN_OPCODE);
            assertThat(f.header().requestId()).isEqualTo(41);

            raw.send(RawClient.request(Opcode.PING, 42, 0, 0, 0, 0, new byte[] {7, 7}));
            RawClient.Frame pong = raw.readFrame();
            assertThat(pong).as("PING answered after the unknown opcode").isNotNull();
            assertThat(pong.header().status()).isZero();
            assertThat(pong.header().requestId()).isEqualTo(42);
            assertThat(pong.body()).containsExactly(7, 7);

            // The same connection can still open a session and read.
            int session = raw.hello(Role.CLIENT, "alice", 0, Tokens.session(clusterSecret, "alice"), 43).session();
            raw.send(RawClient.request(Opcode.READ, 44, session, ALICE_SLAB, 0, 16, new byte[0]));
            RawClient.Frame data = raw.readFrame();
            assertThat(data).isNotNull();
            assertThat(data.header().status()).isZero();
            assertThat(data.body()).hasSize(16);

            // A READ naming another session is refused, without closing.
            raw.send(RawClient.request(Opcode.READ, 45, session ^ 1, ALICE_SLAB, 0, 16, new byte[0]));
            RawClient.Frame mismatch = raw.readFrame();
            assertThat(mismatch).isNotNull();
            assertThat(ErrorCode.ofCode(mismatch.header().status())).isEqualTo(ErrorCode.SESSION_MISMATCH);
        }

        // A READ before HELLO is not authenticated.
        try (RawClient raw = RawClient.connect(port)) {
            raw.send(RawClient.request(Opcode.READ, 1, 0, ALICE_SLAB, 0, 16, new byte[0]));
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.NOT_AUTHENTICATED);
        }

        // After all that, a well-behaved client is served as usual.
        DirectLink alice = client("alice");
        writev(alice, new Run(ALICE_SLAB, 30_000, pattern(128, 4)));
        assertThat(read(alice, ALICE_SLAB, 30_000, 128)).isEqualTo(pattern(128, 4));
        assertThat(faa(alice, ALICE_SLAB, 40_000, 3)).isZero();
        assertThat(node.nodeId()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ exactly once: retried writes and atomics

    private static final long RETRY_SLAB = 12;
    private static final long BOB_RETRY_SLAB = 22;

    @Test
    void aRetriedFetchAndAddIsAnsweredFromTheWindowAndAddedOnce() throws Exception {
        createSlab(RETRY_SLAB, SLAB_SIZE, "alice");
        DirectLink alice = client("alice");
        long w = 1024;
        long op = nextOpId();
        assertThat(faa(alice, 0, op, RETRY_SLAB, w, 5)).isZero();
        assertThat(faa(alice, Wire.FLAG_RETRY, op, RETRY_SLAB, w, 5)).as("the retry gets the original's answer").isZero();
        assertThat(word(alice, RETRY_SLAB, w)).as("and the add happened once").isEqualTo(5);
        // The client retries on a new connection after losing the old one: same tenant, same window.
        DirectLink again = client("alice");
        assertThat(faa(again, Wire.FLAG_RETRY, op, RETRY_SLAB, w, 5)).isZero();
        assertThat(word(alice, RETRY_SLAB, w)).isEqualTo(5);

        // Without the retry flag the node does not look in the window: the same id is applied again.
        assertThat(faa(alice, 0, op, RETRY_SLAB, w, 5)).isEqualTo(5);
        assertThat(word(alice, RETRY_SLAB, w)).isEqualTo(10);
        // A retry whose original never arrived is applied.
        assertThat(faa(alice, Wire.FLAG_RETRY, nextOpId(), RETRY_SLAB, w, 1)).isEqualTo(10);
        assertThat(word(alice, RETRY_SLAB, w)).isEqualTo(11);
    }

    @Test
    void aRetriedCompareAndSwapIsAnsweredFromTheWindowAndNotAppliedAgain() throws Exception {
        createSlab(RETRY_SLAB, SLAB_SIZE, "alice");
        DirectLink alice = client("alice");
        long w = 2048;
        long swap = nextOpId();
        assertThat(cas(alice, 0, swap, RETRY_SLAB, w, 0, 7)).as("succeeds: witness 0").isZero();
        assertThat(cas(alice, 0, nextOpId(), RETRY_SLAB, w, 7, 0)).as("someone sets it back").isEqualTo(7);

        // The retry is told the swap succeeded, and does not swap again although it now could.
        assertThat(cas(alice, Wire.FLAG_RETRY, swap, RETRY_SLAB, w, 0, 7)).isZero();
        assertThat(word(alice, RETRY_SLAB, w)).isZero();

        // A failed CAS is remembered too: its retry fails the same way even where it would now succeed.
        long failing = nextOpId();
        assertThat(cas(alice, 0, failing, RETRY_SLAB, w, 100, 1)).as("fails: witness 0").isZero();
        assertThat(cas(alice, 0, nextOpId(), RETRY_SLAB, w, 0, 100)).isZero();
        assertThat(cas(alice, Wire.FLAG_RETRY, failing, RETRY_SLAB, w, 100, 1)).isZero();
        assertThat(word(alice, RETRY_SLAB, w)).isEqualTo(100);

        // Without the flag, the same id is a new request: it is applied.
        assertThat(cas(alice, 0, failing, RETRY_SLAB, w, 100, 1)).isEqualTo(100);
        assertThat(word(alice, RETRY_SLAB, w)).isEqualTo(1);
        assertThat(cas(alice, 0, swap, RETRY_SLAB, w, 1, 7)).isEqualTo(1);
        assertThat(word(alice, RETRY_SLAB, w)).isEqualTo(7);
    }

    @Test
    void aRetriedWritevIsAcknowledgedWithoutUndoingANewerWrite() throws Exception {
        createSlab(RETRY_SLAB, SLAB_SIZE, "alice");
        DirectLink alice = client("alice");
        long at = 3 * Slab.CHUNK_SIZE + 100;
        byte[] a = pattern(200, 1);
        byte[] b = pattern(200, 2);
        long opA = nextOpId();
        assertThat(writev(alice, 0, opA, new Run(RETRY_SLAB, at, a))).isEqualTo(1);
        assertThat(writev(alice, 0, nextOpId(), new Run(RETRY_SLAB, at, b))).isEqualTo(1);

        assertThat(writev(alice, Wire.FLAG_RETRY, opA, new Run(RETRY_SLAB, at, a))).as("acknowledged").isEqualTo(1);
        assertThat(read(alice, RETRY_SLAB, at, 200)).as("but not applied again").isEqualTo(b);
        DirectLink again = client("alice");
        assertThat(writev(again, Wire.FLAG_RETRY, opA, new Run(RETRY_SLAB, at, a))).isEqualTo(1);
        assertThat(read(alice, RETRY_SLAB, at, 200)).isEqualTo(b);

        // Without the flag the same id is applied.
        assertThat(writev(alice, 0, opA, new Run(RETRY_SLAB, at, a))).isEqualTo(1);
        assertThat(read(alice, RETRY_SLAB, at, 200)).isEqualTo(a);
        // A retry whose original never arrived is applied.
        byte[] c = pattern(200, 3);
        assertThat(writev(alice, Wire.FLAG_RETRY, nextOpId(), new Run(RETRY_SLAB, at, c))).isEqualTo(1);
        assertThat(read(alice, RETRY_SLAB, at, 200)).isEqualTo(c);
        // So is one whose original failed, here on a bad run: nothing of it was applied, so nothing is remembered.
        long failed = nextOpId();
        byte[] d = pattern(200, 4);
        assertCode(() -> alice.call(Opcode.WRITEV, 0, failed, 2,
                writevBody(new Run(RETRY_SLAB, at, d), new Run(RETRY_SLAB, SLAB_SIZE, d)), null, (h, x) -> h.length()),
                ErrorCode.OUT_OF_BOUNDS);
        assertThat(read(alice, RETRY_SLAB, at, 200)).isEqualTo(c);
        assertThat(writev(alice, Wire.FLAG_RETRY, failed, new Run(RETRY_SLAB, at, d))).isEqualTo(1);
        assertThat(read(alice, RETRY_SLAB, at, 200)).isEqualTo(d);
    }

    @Test
    void operationIdsArePerTenant() throws Exception {
        createSlab(RETRY_SLAB, SLAB_SIZE, "alice");
        createSlab(BOB_RETRY_SLAB, SLAB_SIZE, "bob");
        DirectLink alice = client("alice");
        DirectLink bob = client("bob");
        long w = 4096;
        assertThat(faa(bob, 0, nextOpId(), BOB_RETRY_SLAB, w, 40)).isZero();

        long shared = nextOpId();
        assertThat(faa(alice, 0, shared, RETRY_SLAB, w, 1)).isZero();
        // Bob's retry under the same id is not Alice's operation: it is applied, and answered from Bob's word.
        assertThat(faa(bob, Wire.FLAG_RETRY, shared, BOB_RETRY_SLAB, w, 2)).isEqualTo(40);
        assertThat(word(bob, BOB_RETRY_SLAB, w)).isEqualTo(42);
        assertThat(word(alice, RETRY_SLAB, w)).isEqualTo(1);
        long swap = nextOpId();
        assertThat(cas(alice, 0, swap, RETRY_SLAB, w, 1, 9)).isEqualTo(1);
        assertThat(cas(bob, Wire.FLAG_RETRY, swap, BOB_RETRY_SLAB, w, 42, 43)).isEqualTo(42);
        assertThat(word(bob, BOB_RETRY_SLAB, w)).isEqualTo(43);

        long write = nextOpId();
        assertThat(writev(alice, 0, write, new Run(RETRY_SLAB, 8192, pattern(64, 5)))).isEqualTo(1);
        assertThat(writev(bob, Wire.FLAG_RETRY, write, new Run(BOB_RETRY_SLAB, 8192, pattern(64, 6)))).isEqualTo(1);
        assertThat(read(bob, BOB_RETRY_SLAB, 8192, 64)).isEqualTo(pattern(64, 6));
        assertThat(read(alice, RETRY_SLAB, 8192, 64)).isEqualTo(pattern(64, 5));
    }

    // ------------------------------------------------------------------ epoch fencing (SLAB_FENCE, SLAB_EPOCH)

    private static final long FENCED_SLAB = 40;
    private static final long UNFENCED_SLAB = 41;

    @Test
    void aFencedSlabTakesWritesOnlyFromSessionsThatDeclaredTheNewEpoch() throws Exception {
        createSlab(FENCED_SLAB, SLAB_SIZE, "alice");
        createSlab(UNFENCED_SLAB, SLAB_SIZE, "alice");
        DirectLink declared = client("alice");
        DirectLink other = client("alice");
        byte[] before = pattern(128, 1);
        byte[] after = pattern(128, 2);
        // Before any fence, every session of the owner writes, and epoch 0 is the current one.
        assertThat(writev(declared, new Run(FENCED_SLAB, 0, before))).isEqualTo(1);
        declareEpoch(other, FENCED_SLAB, 0);

        fence(FENCED_SLAB, 5);

        assertCode(() -> writev(declared, new Run(FENCED_SLAB, 0, after)), ErrorCode.STALE_MAP);
        assertCode(() -> writevRead(declared, UNFENCED_SLAB, 0, 8, new Run(FENCED_SLAB, 0, after)), ErrorCode.STALE_MAP);
        assertCode(() -> faa(declared, FENCED_SLAB, 1024, 1), ErrorCode.STALE_MAP);
        assertCode(() -> cas(declared, FENCED_SLAB, 1024, 0, 1), ErrorCode.STALE_MAP);
        // A WRITEV that also writes an unfenced slab applies nothing.
        assertCode(() -> writev(declared, new Run(UNFENCED_SLAB, 0, after), new Run(FENCED_SLAB, 0, after)),
                ErrorCode.STALE_MAP);
        assertThat(read(declared, UNFENCED_SLAB, 0, 128)).containsOnly(0);
        // Reads are never fenced.
        assertThat(read(declared, FENCED_SLAB, 0, 128)).isEqualTo(before);
        assertThat(read(other, FENCED_SLAB, 0, 128)).isEqualTo(before);
        assertThat(word(other, FENCED_SLAB, 1024)).isZero();

        // An epoch older than the fence cannot be declared, and a failed declaration admits nothing.
        assertCode(() -> declareEpoch(declared, FENCED_SLAB, 4), ErrorCode.STALE_MAP);
        assertCode(() -> declareEpoch(declared, FENCED_SLAB, 0), ErrorCode.STALE_MAP);
        assertCode(() -> writev(declared, new Run(FENCED_SLAB, 0, after)), ErrorCode.STALE_MAP);
        declareEpoch(declared, FENCED_SLAB, 5);

        assertThat(writev(declared, new Run(FENCED_SLAB, 0, after))).isEqualTo(1);
        assertThat(writevRead(declared, FENCED_SLAB, 0, 4, new Run(FENCED_SLAB, 0, new byte[] {9, 9}))).containsExactly(9, 9, after[2], after[3]);
        assertThat(writev(declared, new Run(FENCED_SLAB, 0, after))).isEqualTo(1);
        assertThat(faa(declared, FENCED_SLAB, 1024, 3)).isZero();
        assertThat(cas(declared, FENCED_SLAB, 1024, 3, 4)).isEqualTo(3);
        // The session that did not declare is still fenced, for writes and atomics, but reads.
        assertCode(() -> writev(other, new Run(FENCED_SLAB, 0, before)), ErrorCode.STALE_MAP);
        assertCode(() -> faa(other, FENCED_SLAB, 1024, 1), ErrorCode.STALE_MAP);
        assertCode(() -> cas(other, FENCED_SLAB, 1024, 4, 5), ErrorCode.STALE_MAP);
        assertThat(read(other, FENCED_SLAB, 0, 128)).isEqualTo(after);
        assertThat(word(other, FENCED_SLAB, 1024)).isEqualTo(4);
        // So is a new session, until it declares: a later epoch will do, as it knows every replica fenced for.
        DirectLink fresh = client("alice");
        assertCode(() -> writev(fresh, new Run(FENCED_SLAB, 0, before)), ErrorCode.STALE_MAP);
        declareEpoch(fresh, FENCED_SLAB, 7);
        assertThat(writev(fresh, new Run(FENCED_SLAB, 256, before))).isEqualTo(1);
        // Fences of other slabs are independent.
        assertThat(writev(other, new Run(UNFENCED_SLAB, 0, before))).isEqualTo(1);

        // The controller sending the same fence again, or an older one, revokes nothing.
        fence(FENCED_SLAB, 5);
        fence(FENCED_SLAB, 3);
        assertThat(writev(declared, new Run(FENCED_SLAB, 0, before))).isEqualTo(1);
        assertCode(() -> declareEpoch(declared, FENCED_SLAB, 3), ErrorCode.STALE_MAP);

        // The next change of the replica set fences everybody again.
        fence(FENCED_SLAB, 6);
        assertCode(() -> writev(declared, new Run(FENCED_SLAB, 0, after)), ErrorCode.STALE_MAP);
        assertCode(() -> faa(declared, FENCED_SLAB, 1024, 1), ErrorCode.STALE_MAP);
        assertCode(() -> declareEpoch(declared, FENCED_SLAB, 5), ErrorCode.STALE_MAP);
        declareEpoch(declared, FENCED_SLAB, 6);
        assertThat(writev(declared, new Run(FENCED_SLAB, 0, after))).isEqualTo(1);
        assertThat(read(other, FENCED_SLAB, 0, 128)).isEqualTo(after);
    }

    @Test
    void epochsAreCheckedLikeAnyAccess() throws Exception {
        createSlab(FENCED_SLAB, SLAB_SIZE, "alice");
        DirectLink alice = client("alice");
        DirectLink bob = client("bob");
        assertCode(() -> declareEpoch(bob, FENCED_SLAB, 0), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> declareEpoch(alice, 4343, 0), ErrorCode.NO_SUCH_SLAB);
        // Only the controller fences, and only slabs that are here.
        assertCode(() -> alice.call(Opcode.SLAB_FENCE, FENCED_SLAB, 99, 0, null, null, (h, b) -> null), ErrorCode.WRONG_ROLE);
        RememException e = Await.failure(controller.link.get().call(Opcode.SLAB_FENCE, 4343, 1, 0, 0, BodyWriter.EMPTY,
                (h, b) -> null), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
        assertThat(alice.isOpen()).isTrue();
    }

    // ------------------------------------------------------------------ session fencing

    @Test
    void aSupersedingSessionFencesTheOldOneBeforeItIsAnswered() throws Exception {
        DirectLink old = client("alice");
        writev(old, new Run(ALICE_SLAB, 8192, pattern(64, 1)));
        DirectLink fresh = DirectLink.connect("127.0.0.1", node.address().port(), Duration.ofSeconds(2), WAIT);
        links.add(fresh);
        Tokens.openClient(fresh, clusterSecret, "alice", old.session(), 0);
        // Once the new session is answered, nothing sent on the old one can take effect any more.
        Throwable late = catchThrowable(() -> writev(old, new Run(ALICE_SLAB, 8192, pattern(64, 2))));
        assertThat(late).isInstanceOf(RememException.class);
        assertThat(((RememException) late).code()).isIn(ErrorCode.CONNECTION_CLOSED, ErrorCode.TIMEOUT);
        assertThat(read(fresh, ALICE_SLAB, 8192, 64)).isEqualTo(pattern(64, 1));
    }

    @Test
    void anotherTenantCannotFenceASession() {
        DirectLink alice = client("alice");
        DirectLink bob = DirectLink.connect("127.0.0.1", node.address().port(), Duration.ofSeconds(2), WAIT);
        links.add(bob);
        Tokens.openClient(bob, clusterSecret, "bob", alice.session(), 0);
        assertThat(writev(alice, new Run(ALICE_SLAB, 12288, pattern(64, 3)))).isEqualTo(1);
        assertThat(read(alice, ALICE_SLAB, 12288, 64)).isEqualTo(pattern(64, 3));
    }

    // ------------------------------------------------------------------ offloads

    private static byte[] words(long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    private static AggregateResult aggregate(DirectLink l, long slab, long offset, int count,
                                                              Filter filter) {
        ByteBuf body = Unpooled.buffer();
        new AggregateRequest(ElementType.I64, filter, false, 0).encode(body);
        return l.call(Opcode.OFFLOAD_AGGREGATE, slab, offset, count, body.nioBuffer(), null,
                (h, b) -> AggregateResult.decode(b, 0, count));
    }

    @Test
    void aggregateCountsWrittenWordsAndNeverWrittenZeros() {
        DirectLink alice = client("alice");
        long[] values = new long[100];
        for (int i = 0; i < 100; i++) {
            values[i] = i + 1;
        }
        writev(alice, new Run(ALICE_SLAB, 800_000, words(values)));
        // 100 written words, then 100 that read as zero, 24 of them in a chunk never backed.
        var all = aggregate(alice, ALICE_SLAB, 800_000, 200, Filter.all());
        assertThat(all.count()).isEqualTo(200);
        assertThat(all.blockSums()).containsExactly(5050L);
        assertThat(all.min()).isZero();
        assertThat(all.max()).isEqualTo(100);
        var big = aggregate(alice, ALICE_SLAB, 800_000, 200,
                new Filter(Filter.Comparison.GT, 50, 0));
        assertThat(big.count()).isEqualTo(50);
        assertThat(big.blockSums()).containsExactly(3775L);
        assertThat(big.min()).isEqualTo(51);

        ByteBuf body = Unpooled.buffer();
        new AggregateRequest(ElementType.I64,
                new Filter(Filter.Comparison.GE, 96, 0), true, 0).encode(body);
        int[] positions = alice.call(Opcode.OFFLOAD_AGGREGATE, ALICE_SLAB, 800_000, 200, body.nioBuffer(), null, (h, b) -> {
            int[] out = new int[b.readInt()];
            for (int i = 0; i < out.length; i++) {
                out[i] = b.readInt();
            }
            return out;
        });
        assertThat(positions).containsExactly(95, 96, 97, 98, 99);
    }

    @Test
    void badOffloadRequestsAreRefusedAndTheNodeKeepsServing() {
        DirectLink alice = client("alice");
        Filter all = Filter.all();
        assertCode(() -> aggregate(alice, ALICE_SLAB, 3, 2, all), ErrorCode.MISALIGNED);
        assertCode(() -> aggregate(alice, ALICE_SLAB, SLAB_SIZE - 8, 2, all), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> aggregate(alice, ALICE_SLAB, 0, AggregateRequest.MAX_ELEMENTS + 1, all),
                ErrorCode.TOO_LARGE);
        assertCode(() -> aggregate(alice, ALICE_SLAB, 0, -1, all), ErrorCode.TOO_LARGE);
        assertCode(() -> aggregate(alice, BOB_SLAB, 0, 2, all), ErrorCode.NO_SUCH_SLAB);
        ByteBuffer badType = ByteBuffer.wrap(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertCode(() -> alice.call(Opcode.OFFLOAD_AGGREGATE, ALICE_SLAB, 0, 2, badType, null, (h, b) -> null),
                ErrorCode.MALFORMED_FRAME);
        ByteBuffer truncated = ByteBuffer.wrap(new byte[] {0, 0, 0});
        assertCode(() -> alice.call(Opcode.OFFLOAD_AGGREGATE, ALICE_SLAB, 0, 2, truncated, null, (h, b) -> null),
                ErrorCode.MALFORMED_FRAME);

        // Chase: the start must be here; shifts, hop budgets and shapes are checked.
        ByteBuf chase = Unpooled.buffer();
        new ChaseRequest(ChaseRequest.Shape.LIST, 20, 0, 8, 0, 16, 7).encode(chase);
        assertCode(() -> alice.call(Opcode.OFFLOAD_CHASE, ALICE_SLAB, 0, 0, chase.nioBuffer(), null, (h, b) -> null),
                ErrorCode.INVALID_ARGUMENT);
        assertCode(() -> alice.call(Opcode.OFFLOAD_CHASE, BOB_SLAB, 0, 4, chase.nioBuffer(), null, (h, b) -> null),
                ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> alice.call(Opcode.OFFLOAD_CHASE, ALICE_SLAB, SLAB_SIZE - 4, 4, chase.nioBuffer(), null,
                (h, b) -> null), ErrorCode.OUT_OF_BOUNDS);
        ByteBuf badShift = Unpooled.buffer();
        badShift.writeByte(0).writeByte(5).writeInt(0).writeInt(8).writeInt(0).writeInt(16).writeLong(7);
        assertCode(() -> alice.call(Opcode.OFFLOAD_CHASE, ALICE_SLAB, 0, 4, badShift.nioBuffer(), null, (h, b) -> null),
                ErrorCode.MALFORMED_FRAME);

        // Map get: capacities are powers of two inside the slab; the key is exactly what the header says.
        assertCode(() -> mapGet(alice, ALICE_SLAB, 0, 3, 1, "k".getBytes(), 1), ErrorCode.MALFORMED_FRAME);
        assertCode(() -> mapGet(alice, ALICE_SLAB, SLAB_SIZE - 64, 8, 1, "k".getBytes(), 1), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> mapGet(alice, ALICE_SLAB, 0, 8, 1, "k".getBytes(), 2), ErrorCode.MALFORMED_FRAME);
        assertCode(() -> mapGet(alice, BOB_SLAB, 0, 8, 1, "k".getBytes(), 1), ErrorCode.NO_SUCH_SLAB);

        writev(alice, new Run(ALICE_SLAB, 30_000, pattern(64, 9)));
        assertThat(read(alice, ALICE_SLAB, 30_000, 64)).isEqualTo(pattern(64, 9));
    }

    private static MapGetResult mapGet(DirectLink l, long slab, long offset, int capacity, long hash,
                                                         byte[] key, int headerKeyLength) {
        ByteBuf body = Unpooled.buffer();
        new MapGetRequest(hash, capacity, 20).encode(body, key, 0, key.length);
        return l.call(Opcode.OFFLOAD_MAP_GET, slab, offset, headerKeyLength, body.nioBuffer(), null,
                (h, b) -> MapGetResult.decode(b));
    }

    @Test
    void chaseStopsAtTheEdgeOfTheTenantsSlabsOnThisNode() {
        DirectLink alice = client("alice");
        long base = ALICE_SLAB << 20;
        // Three list nodes (key, next): 500_000 -> 500_016 -> a node in Bob's slab.
        writev(alice, new Run(ALICE_SLAB, 500_000, words(1, base + 500_016)),
                new Run(ALICE_SLAB, 500_016, words(2, (BOB_SLAB << 20) + 64)));
        ByteBuf body = Unpooled.buffer();
        new ChaseRequest(ChaseRequest.Shape.LIST, 20, 0, 8, 0, 16, 99).encode(body);
        var r = alice.call(Opcode.OFFLOAD_CHASE, ALICE_SLAB, 500_000, 100, body.nioBuffer(), null,
                (h, b) -> ChaseResult.decode(b));
        // Bob's slab is on this node, but not Alice's: she is told to continue there, and learns nothing of it.
        assertThat(r.outcome()).isEqualTo(ChaseResult.Outcome.CONTINUE);
        assertThat(r.address()).isEqualTo((BOB_SLAB << 20) + 64);
        assertThat(r.hops()).isEqualTo(2);
        assertThat(r.node()).isEmpty();

        var budget = alice.call(Opcode.OFFLOAD_CHASE, ALICE_SLAB, 500_000, 1, body.nioBuffer(), null,
                (h, b) -> ChaseResult.decode(b));
        assertThat(budget.outcome()).isEqualTo(ChaseResult.Outcome.CONTINUE);
        assertThat(budget.address()).isEqualTo(base + 500_016);

        ByteBuf find = Unpooled.buffer();
        new ChaseRequest(ChaseRequest.Shape.LIST, 20, 0, 8, 0, 16, 2).encode(find);
        var found = alice.call(Opcode.OFFLOAD_CHASE, ALICE_SLAB, 500_000, 100, find.nioBuffer(), null,
                (h, b) -> ChaseResult.decode(b));
        assertThat(found.outcome()).isEqualTo(ChaseResult.Outcome.FOUND);
        assertThat(found.address()).isEqualTo(base + 500_016);
        assertThat(found.node()).isEqualTo(words(2, (BOB_SLAB << 20) + 64));
    }

    @Test
    void mapGetFollowsTheSharedLayout() {
        DirectLink alice = client("alice");
        long hash = 0x1234_5678_0000_0006L; // home slot 2 of 4
        byte[] entry = ByteBuffer.allocate(13).order(ByteOrder.LITTLE_ENDIAN).putInt(3).putInt(2)
                .put("abc".getBytes()).put("xy".getBytes()).array();
        ByteBuffer slot = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(64).putInt(MapLayout.tag(hash)).putInt(13);
        writev(alice, new Run(ALICE_SLAB_2, 2 * 16, slot.array()), new Run(ALICE_SLAB_2, 64, entry));
        var hit = mapGet(alice, ALICE_SLAB_2, 0, 4, hash, "abc".getBytes(), 3);
        assertThat(hit.outcome()).isEqualTo(MapGetResult.Outcome.FOUND);
        assertThat(hit.value()).isEqualTo("xy".getBytes());
        assertThat(mapGet(alice, ALICE_SLAB_2, 0, 4, hash, "abd".getBytes(), 3).outcome())
                .isEqualTo(MapGetResult.Outcome.ABSENT);
        assertThat(mapGet(alice, ALICE_SLAB_2, 0, 4, hash + 1, "abc".getBytes(), 3).outcome())
                .isEqualTo(MapGetResult.Outcome.ABSENT);
    }
}
