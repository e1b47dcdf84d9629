package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.NodeHeartbeat;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegistered.Restore;
import io.remem.protocol.NodeRegistered;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.Role;
import io.remem.protocol.SlabCreate;
import io.remem.protocol.SlabDamaged;
import io.remem.protocol.SlabSync;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.NodeKey;
import io.remem.protocol.auth.Scram;
import io.remem.protocol.auth.Secret;
import io.remem.testkit.Await;
import io.remem.transport.BodyWriter;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HelloDecision;
import io.remem.transport.Peer;
import io.remem.transport.Reply;
import io.remem.transport.RequestHandler;
import io.remem.transport.ServerLimits;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A fake controller for one memory node, whose answers a test scripts: which of the slabs the node lists it keeps
 * ({@link #keep}), and when it answers a registration ({@link #holdRegistrations}). It counts heartbeats per
 * registration, so a test can wait until the node has applied an answer: the node heartbeats only after that.
 * It can also answer with slabs to restore ({@link #restore}), and records what the node reports damaged or restored
 * (SLAB_DAMAGED).
 *
 * <p>It authenticates the node as a real controller does: the node must prove the cluster secret (SCRAM, role
 * MEMORY_NODE, principal {@code node}) and sign its NODE_REGISTER with its node key over the session's binding. A
 * registration whose signature does not verify is refused, and recorded so that {@link #close} fails the test.
 */
final class ScriptedController implements RequestHandler, AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);
    /** Keeps every slab the node lists: a controller that knows them all as current. */
    static final Function<NodeRegister, List<Long>> KEEP_ALL =
            reg -> reg.held().stream().map(NodeRegister.HeldSlab::slabId).toList();
    static final Function<NodeRegister, List<Long>> KEEP_NONE = reg -> List.of();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] DECOY_KEY = randomBytes(32);

    private final long nodeId;
    private final Secret clusterSecret;
    /** Made once: stretching the secret is the slow part, and every connection of the node proves the same one. */
    private final Scram.Verifier verifier;
    private final Connections.Listener listener;
    final AtomicReference<Peer> link = new AtomicReference<>();
    /** Every registration received whose signature verified, oldest first. */
    final LinkedBlockingQueue<NodeRegister> registrations = new LinkedBlockingQueue<>();
    /** Registrations answered so far. */
    final AtomicInteger answered = new AtomicInteger();
    /** The number of the answer the node had applied when it sent its latest heartbeat; 0 before any. */
    final AtomicInteger appliedAnswer = new AtomicInteger();
    final AtomicReference<NodeHeartbeat> lastHeartbeat = new AtomicReference<>();
    /** HELLOs received, including refused ones. */
    final AtomicInteger hellos = new AtomicInteger();
    /** What the node did wrong (a bad HELLO or signature); {@link #close} fails the test if anything is here. */
    private final List<String> failures = new CopyOnWriteArrayList<>();
    /** Which held slabs the answer keeps; read when the answer is sent. */
    volatile Function<NodeRegister, List<Long>> keep = KEEP_ALL;
    /** Which held slabs the answer asks the node to restore, with the controller's record of each. */
    volatile Function<NodeRegister, List<Restore>> restore = reg -> List.of();
    /** What the node reported with SLAB_DAMAGED, oldest first. */
    final LinkedBlockingQueue<Report> reports = new LinkedBlockingQueue<>();

    /** One SLAB_DAMAGED the node sent. */
    record Report(long slabId, boolean damaged, String detail) {}
    /**
     * Run just before a registration is answered, with the link: what it sends reaches the node before the answer, as
     * a real controller's requests may (it can use a node's link as soon as it has recorded the registration).
     */
    volatile Consumer<Peer> beforeAnswer = p -> {};
    private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);

    /** What a connection has been told so far, and the binding its node key must sign. */
    private static final class Conn {
        final byte[] binding;
        volatile int answer;

        Conn(byte[] binding) {
            this.binding = binding;
        }
    }

    private ScriptedController(long nodeId, Secret clusterSecret, EventLoops loops) {
        this.nodeId = nodeId;
        this.clusterSecret = clusterSecret;
        this.verifier = Scram.Verifier.of(clusterSecret, RANDOM, Scram.MIN_ITERATIONS);
        this.listener = Connections.listen(loops, "127.0.0.1", 0, () -> this, "scripted-controller", WAIT,
                ServerLimits.DEFAULTS, null);
    }

    /** Listens on a free loopback port; registers the node as {@code nodeId}; the node must prove {@code clusterSecret}. */
    static ScriptedController start(EventLoops loops, long nodeId, Secret clusterSecret) {
        return new ScriptedController(nodeId, clusterSecret, loops);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    int port() {
        return listener.port();
    }

    /** From now on, registrations are answered only once the returned future is completed. */
    CompletableFuture<Void> holdRegistrations() {
        CompletableFuture<Void> g = new CompletableFuture<>();
        gate = g;
        return g;
    }

    @Override
    public HelloDecision onHello(Peer peer, Hello h) {
        hellos.incrementAndGet();
        if (h.role() != Role.MEMORY_NODE || !"node".equals(h.principal()) || h.credential().length != 0) {
            failures.add("unexpected HELLO from the node: " + h + " (expected MEMORY_NODE node, proving a secret)");
            throw new AuthenticationFailure("scripted controller: not the memory node it expects");
        }
        if (!verifier.keyId().equals(h.keyId())) {
            // Another cluster secret: as a real controller does, challenge it anyway, with a verifier no proof passes.
            return new HelloDecision.Challenge(Scram.Verifier.decoy(DECOY_KEY, h.principal(), h.keyId()),
                    (p, binding) -> {
                        throw new AssertionError("a decoy verifier accepted a proof");
                    });
        }
        return new HelloDecision.Challenge(verifier, (p, binding) -> {
            link.set(p);
            return new HelloDecision.Accept(new Conn(binding));
        });
    }

    @Override
    public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
        Conn conn = (Conn) peer.attachment();
        switch (h.opcode()) {
            case NODE_REGISTER -> {
                NodeRegister reg = NodeRegister.decode(body);
                if (!NodeKey.verify(reg.publicKey(), reg.signature(), conn.binding, reg.nodeId())) {
                    failures.add("NODE_REGISTER of node " + reg.nodeId() + " is not signed by its node key over this"
                            + " session's binding");
                    throw new AuthenticationFailure("bad node key signature");
                }
                Reply reply = peer.replyLater(h);
                registrations.add(reg);
                gate.thenRun(() -> {
                    beforeAnswer.accept(peer);
                    List<Long> kept = keep.apply(reg);
                    List<Restore> restored = restore.apply(reg);
                    synchronized (this) { // answers are numbered in the order they are sent
                        conn.answer = answered.incrementAndGet();
                        reply.send(24 + 8 * kept.size() + 128 * restored.size(),
                                new NodeRegistered(nodeId, 20, kept, restored)::encode);
                    }
                });
            }
            case SLAB_DAMAGED -> {
                SlabDamaged d = SlabDamaged.decode(body);
                reports.add(new Report(h.slabId(), d.damaged(), d.detail()));
                peer.reply(h, h.slabId(), 0, 0, 0, BodyWriter.EMPTY);
            }
            case NODE_HEARTBEAT -> {
                lastHeartbeat.set(NodeHeartbeat.decode(body));
                appliedAnswer.accumulateAndGet(conn.answer, Math::max);
                peer.reply(h, 0, 0, 0, 0, BodyWriter.EMPTY);
            }
            default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " not served by the scripted controller");
        }
    }

    /** The next registration not yet taken, waiting for it if needed. */
    NodeRegister nextRegistration() throws InterruptedException {
        NodeRegister r = registrations.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (r == null) {
            throw new AssertionError("no registration within " + WAIT);
        }
        return r;
    }

    /** The next SLAB_DAMAGED report not yet taken, waiting for it if needed. */
    Report nextReport() throws InterruptedException {
        Report r = reports.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (r == null) {
            throw new AssertionError("no SLAB_DAMAGED report within " + WAIT);
        }
        return r;
    }

    /** Waits until the node has applied answer number {@code n} (it heartbeats only after reconciling). */
    void awaitApplied(int n) throws InterruptedException {
        Await.until(() -> appliedAnswer.get() >= n, WAIT, "the node applied registration answer " + n);
    }

    private Peer peer() {
        Peer p = link.get();
        if (p == null) {
            throw new AssertionError("no memory node connected to the scripted controller");
        }
        return p;
    }

    CompletableFuture<Void> createAsync(long slabId, long size, String tenant) {
        return peer().call(Opcode.SLAB_CREATE, slabId, 0, 0, 64, new SlabCreate(size, tenant)::encode, (h, b) -> null);
    }

    void create(long slabId, long size, String tenant) throws InterruptedException {
        Await.result(createAsync(slabId, size, tenant), WAIT);
    }

    void delete(long slabId) throws InterruptedException {
        Await.result(peer().call(Opcode.SLAB_DELETE, slabId, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> null), WAIT);
    }

    CompletableFuture<Void> fenceAsync(long slabId, long epoch) {
        return peer().call(Opcode.SLAB_FENCE, slabId, epoch, 0, 0, BodyWriter.EMPTY, (h, b) -> null);
    }

    void fence(long slabId, long epoch) throws InterruptedException {
        Await.result(fenceAsync(slabId, epoch), WAIT);
    }

    /**
     * Sends SLAB_SYNC for {@code slabId}, copied from {@code source}, with a capability for that slab signed by this
     * controller's cluster secret, as a real controller's repairer does; the future completes when the node has copied
     * the slab.
     */
    CompletableFuture<Void> syncAsync(long slabId, long size, String tenant, long epoch, Replica source) {
        return syncAsync(slabId, new SlabSync(size, tenant, epoch, source, Tokens.replica(clusterSecret, slabId)));
    }

    /** Sends this SLAB_SYNC as it is. */
    CompletableFuture<Void> syncAsync(long slabId, SlabSync sync) {
        return peer().call(Opcode.SLAB_SYNC, slabId, 0, 0, 128 + sync.capability().length, sync::encode, (h, b) -> null);
    }

    /** Closes the link to the node, which then registers again. */
    void dropLink() {
        peer().close();
    }

    /** Stops listening; fails if the node ever failed to authenticate properly. */
    @Override
    public void close() {
        gate.complete(null);
        listener.close();
        if (!failures.isEmpty()) {
            throw new AssertionError("the scripted controller saw the node misbehave: " + failures);
        }
    }
}
