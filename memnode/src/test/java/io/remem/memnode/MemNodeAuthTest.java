package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.memnode.Ops.Run;
import io.remem.protocol.AggregateRequest;
import io.remem.protocol.Checksums;
import io.remem.protocol.ElementType;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Features;
import io.remem.protocol.Filter;
import io.remem.protocol.HelloReply;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.protocol.WriteRunReader;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.Secret;
import io.remem.testkit.Await;
import io.remem.testkit.RawClient;
import io.remem.transport.DirectLink;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.ServerLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.ThrowingConsumer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

import static io.remem.memnode.Ops.assertCode;
import static io.remem.memnode.Ops.cas;
import static io.remem.memnode.Ops.declareEpoch;
import static io.remem.memnode.Ops.faa;
import static io.remem.memnode.Ops.nextOpId;
import static io.remem.memnode.Ops.pattern;
import static io.remem.memnode.Ops.read;
import static io.remem.memnode.Ops.writev;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The memory node's side of protocol v3's security, over loopback TCP: who may open a session (a CLIENT with a session
 * token the cluster secret signed for its tenant, a REPLICA with a capability for one slab, nobody else), how a refusal
 * looks (always the same AUTHENTICATION_FAILED, then the connection is closed), what a connection may do before its
 * session is open (little, briefly), that tenants cannot see each other's slabs even by their absence, checksums of
 * data in flight, and the per-tenant session limit.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MemNodeAuthTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final long MIB = 1L << 20;
    /**
     * The node's clock, fixed years in the past: a token is judged by it, not by the wall clock, so a token issued at
     * this time is still good and one issued an hour earlier has expired.
     */
    private static final long NOW = Instant.parse("2020-06-01T00:00:00Z").toEpochMilli();
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);
    private static final long ALICE_SLAB = 1;
    private static final long BOB_SLAB = 2;

    private static final Secret clusterSecret = Tokens.newClusterSecret();
    private static EventLoops loops;
    private static ScriptedController controller;
    private static MemNode node;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void startNode() throws Exception {
        loops = EventLoops.create("auth-test-controllers", 1);
        controller = ScriptedController.start(loops, 1, clusterSecret);
        node = MemNode.start(config(controller), CLOCK);
        assertThat(node.awaitRegistered(WAIT)).as("registered").isTrue();
        controller.create(ALICE_SLAB, MIB, "alice");
        controller.create(BOB_SLAB, MIB, "bob");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
        if (controller != null) {
            controller.close();
        }
        if (loops != null) {
            loops.close();
        }
    }

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

    private static MemNodeConfig config(ScriptedController c) {
        return new MemNodeConfig(new HostPort("127.0.0.1", 0), 16 * MIB, new HostPort("127.0.0.1", c.port()),
                List.of(clusterSecret));
    }

    /** A node of its own, with {@code tune} applied to its configuration, registered with a controller of its own. */
    private MemNode startNode(UnaryOperator<MemNodeConfig> tune) throws InterruptedException {
        ScriptedController c = ScriptedController.start(loops, 9, clusterSecret);
        toClose.add(c);
        MemNode n = MemNode.start(tune.apply(config(c)), CLOCK);
        toClose.add(n);
        assertThat(n.awaitRegistered(WAIT)).as("registered").isTrue();
        return n;
    }

    private DirectLink connect(MemNode n) {
        DirectLink l = DirectLink.connect("127.0.0.1", n.address().port(), Duration.ofSeconds(2), WAIT);
        toClose.add(l);
        return l;
    }

    private DirectLink client(MemNode n, String tenant) {
        DirectLink l = connect(n);
        Tokens.openClient(l, clusterSecret, tenant);
        return l;
    }

    private RawClient raw(MemNode n) throws IOException {
        RawClient r = RawClient.connect(n.address().port());
        toClose.add(r);
        return r;
    }

    /** The one refusal of every failed authentication: same code, same words, then the server hangs up. */
    private static void assertRefusedAndClosed(RawClient raw, RawClient.Frame answer, String what) throws IOException {
        assertThat(answer.header().isResponse()).as(what).isTrue();
        assertThat(ErrorCode.ofCode(answer.header().status())).as(what).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
        assertThat(answer.errorMessage()).as(what + ": the message tells nothing about why")
                .isEqualTo("authentication failed");
        assertThat(raw.awaitEndOfStream()).as(what + ": the server closes the connection").isTrue();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static int crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return (int) crc.getValue();
    }

    // ------------------------------------------------------------------ (1), (2): who may open a session

    /**
     * Every way a credential can be wrong is refused the same way, so a prober learns nothing from the answer. The
     * last case, a good token, shows that each refusal is about the credential and not the connection.
     */
    @Test
    void everyBadCredentialGetsTheSameRefusalAndTheConnectionIsClosed() throws IOException {
        record Case(String what, Role role, String principal, byte[] credential) {}
        Secret otherCluster = Tokens.newClusterSecret();
        long anHourAgo = NOW - Duration.ofHours(1).toMillis();
        List<Case> cases = List.of(
                new Case("no token", Role.CLIENT, "alice", new byte[0]),
                new Case("garbage", Role.CLIENT, "alice", pattern(120, 3)),
                new Case("another cluster's token", Role.CLIENT, "alice", Tokens.session(otherCluster, "alice", NOW)),
                new Case("an expired token", Role.CLIENT, "alice", Tokens.session(clusterSecret, "alice", anHourAgo)),
                new Case("alice's token as bob", Role.CLIENT, "bob", Tokens.session(clusterSecret, "alice", NOW)),
                new Case("a replica capability as a client", Role.CLIENT, "alice",
                        Tokens.replica(clusterSecret, ALICE_SLAB, NOW)),
                new Case("a session token as a replica", Role.REPLICA, "replica",
                        Tokens.session(clusterSecret, "alice", NOW)),
                new Case("an expired replica capability", Role.REPLICA, "replica",
                        Tokens.replica(clusterSecret, ALICE_SLAB, anHourAgo)));
        List<String> bodies = new ArrayList<>();
        for (Case c : cases) {
            RawClient r = raw(node);
            RawClient.Frame answer = r.sendHello(c.role(), c.principal(), 0, c.credential(), 1);
            assertRefusedAndClosed(r, answer, c.what());
            bodies.add(Arrays.toString(answer.body()));
        }
        assertThat(bodies.stream().distinct()).as("the same bytes on the wire for every cause").hasSize(1);

        // Judged by the node's clock: a token issued at its "now" is good, although the wall clock is years later.
        RawClient good = raw(node);
        HelloReply.Accepted ok = good.hello(Role.CLIENT, "alice", 0, Tokens.session(clusterSecret, "alice", NOW), 1);
        assertThat(ok.session()).isNotZero();
        assertThat(ok.grant()).as("a memory node grants nothing").isEmpty();
        assertThat(good.roundTrip(Opcode.READ, 2, ok.session(), ALICE_SLAB, 0, 8, new byte[0]).header().status()).isZero();
    }

    /** Nodes and admins talk to the controller; on a memory node's data port those roles open nothing. */
    @Test
    void memoryNodeAndAdminRolesAreRefused() throws IOException {
        byte[] goodToken = Tokens.session(clusterSecret, "alice", NOW);
        for (Role role : List.of(Role.MEMORY_NODE, Role.ADMIN)) {
            // As a node or admin would ask: naming a secret to prove.
            RawClient proving = raw(node);
            assertRefusedAndClosed(proving, proving.sendHello(role, role == Role.ADMIN ? "admin" : "node",
                    clusterSecret.keyId(), 0, new byte[0], 1), role + " proving the cluster secret");
            // Even with a token that would open a CLIENT session.
            RawClient withToken = raw(node);
            assertRefusedAndClosed(withToken, withToken.sendHello(role, "alice", 0, goodToken, 1), role + " with a token");
        }
        // As a CLIENT, the same token is fine.
        assertThat(raw(node).hello(Role.CLIENT, "alice", 0, goodToken, 1).session()).isNotZero();
    }

    /** A failed HELLO over a DirectLink surfaces as the same error, and the link is dead afterwards. */
    @Test
    void aRefusedDirectLinkIsClosed() {
        DirectLink l = connect(node);
        byte[] alicesToken = Tokens.session(clusterSecret, "alice", NOW);
        RememException e = assertCode(() -> l.hello(Role.CLIENT, Credentials.ofToken("bob", () -> alicesToken), 0, 0),
                ErrorCode.AUTHENTICATION_FAILED);
        assertThat(e.detail()).isEqualTo(AuthenticationFailure.MESSAGE);
        assertCode(() -> read(l, ALICE_SLAB, 0, 8), ErrorCode.CONNECTION_CLOSED);
    }

    /**
     * Rotating the cluster secret: a node proves the first of its secrets to the controller and accepts tokens signed
     * by any of them, so tokens issued before the rotation keep working. A node whose first secret is not the
     * controller's is not let in at all.
     */
    @Test
    void aNodeProvesItsFirstClusterSecretAndAcceptsTokensOfEach() throws Exception {
        Secret next = Tokens.newClusterSecret();
        ScriptedController rotated = ScriptedController.start(loops, 9, next);
        toClose.add(rotated);
        MemNode n = MemNode.start(new MemNodeConfig(new HostPort("127.0.0.1", 0), 16 * MIB,
                new HostPort("127.0.0.1", rotated.port()), List.of(next, clusterSecret)), CLOCK);
        toClose.add(n);
        assertThat(n.awaitRegistered(WAIT)).as("registered by proving the new secret").isTrue();
        Tokens.openClient(connect(n), next, "alice");
        Tokens.openClient(connect(n), clusterSecret, "alice");
        DirectLink stranger = connect(n);
        assertCode(() -> Tokens.openClient(stranger, Tokens.newClusterSecret(), "alice"), ErrorCode.AUTHENTICATION_FAILED);

        ScriptedController other = ScriptedController.start(loops, 10, next);
        toClose.add(other);
        MemNode wrong = MemNode.start(new MemNodeConfig(new HostPort("127.0.0.1", 0), 16 * MIB,
                new HostPort("127.0.0.1", other.port()), List.of(clusterSecret, next)), CLOCK);
        toClose.add(wrong);
        Await.until(() -> other.hellos.get() >= 1, WAIT, "the node tried to log in");
        assertThat(wrong.awaitRegistered(Duration.ofSeconds(1))).as("a node proving another secret").isFalse();
        assertThat(other.registrations).isEmpty();
    }

    // ------------------------------------------------------------------ (4): another tenant's slab is not there

    /**
     * Bob is told about Alice's slab exactly what he is told about a slab that does not exist, for every operation, so
     * he cannot even learn which ids are in use. Each answer is compared with the answer for the same id once the slab
     * is deleted.
     */
    @Test
    void anotherTenantsSlabIsAnsweredExactlyLikeAMissingOne() throws Exception {
        long slab = 60;
        controller.create(slab, MIB, "alice");
        DirectLink alice = client(node, "alice");
        writev(alice, new Run(slab, 0, pattern(64, 1)));
        DirectLink bob = client(node, "bob");
        Map<String, ThrowingConsumer<DirectLink>> ops = new LinkedHashMap<>();
        ops.put("READ", l -> read(l, slab, 0, 8));
        ops.put("WRITEV", l -> writev(l, new Run(slab, 0, pattern(8, 2))));
        ops.put("FAA", l -> faa(l, slab, 8, 1));
        ops.put("CAS", l -> cas(l, slab, 8, 0, 1));
        ops.put("SLAB_EPOCH", l -> declareEpoch(l, slab, 0));
        ops.put("OFFLOAD_AGGREGATE", l -> {
            ByteBuf body = Unpooled.buffer();
            new AggregateRequest(ElementType.I64, Filter.all(), false, 0).encode(body);
            l.call(Opcode.OFFLOAD_AGGREGATE, slab, 0, 4, body.nioBuffer(), null, (h, b) -> null);
        });
        Map<String, String> whileThere = new LinkedHashMap<>();
        for (Map.Entry<String, ThrowingConsumer<DirectLink>> op : ops.entrySet()) {
            RememException e = assertCode(() -> op.getValue().accept(bob), ErrorCode.NO_SUCH_SLAB);
            whileThere.put(op.getKey(), e.detail());
        }
        assertThat(read(alice, slab, 0, 64)).as("bob changed nothing").isEqualTo(pattern(64, 1));

        controller.delete(slab);
        for (Map.Entry<String, ThrowingConsumer<DirectLink>> op : ops.entrySet()) {
            RememException e = assertCode(() -> op.getValue().accept(bob), ErrorCode.NO_SUCH_SLAB);
            assertThat(e.detail()).as(op.getKey() + ": alice's slab and no slab at all look the same")
                    .isEqualTo(whileThere.get(op.getKey()));
        }
        assertThat(bob.isOpen()).as("refusals of access do not close the session").isTrue();
    }

    // ------------------------------------------------------------------ (5), (6): before the session is open

    /**
     * Before HELLO succeeds a connection may send only small frames: the announced length is refused as soon as it
     * arrives. Only the 44-byte start of a 16 MiB frame is sent, so an answer at all shows the node did not wait to
     * buffer the rest.
     */
    @Test
    void aLargeFrameBeforeTheSessionIsRefusedAtItsLengthAndTheConnectionClosed() throws IOException {
        RawClient big = raw(node);
        ByteBuf start = RawClient.request(Opcode.HELLO, 1, 0, 0, 0, 0, new byte[0]);
        start.setInt(0, 16 << 20); // a legal length once a session is open: only the pre-auth limit refuses it
        big.send(start);
        RawClient.Frame f = big.readFrame();
        assertThat(f).as("an answer to a frame that has not arrived yet").isNotNull();
        assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.TOO_LARGE);
        assertThat(f.errorMessage()).contains("before the session is open");
        assertThat(big.awaitEndOfStream()).as("the server closes the connection").isTrue();

        // Just over the default limit of 4096 bytes is too much too, even for a PING, which needs no session.
        RawClient ping = raw(node);
        ping.send(RawClient.request(Opcode.PING, 1, 0, 0, 0, 0, new byte[Wire.DEFAULT_PRE_AUTH_FRAME_BYTES]));
        RawClient.Frame refused = ping.readFrame();
        assertThat(refused).isNotNull();
        assertThat(ErrorCode.ofCode(refused.header().status())).isEqualTo(ErrorCode.TOO_LARGE);
        assertThat(ping.awaitEndOfStream()).isTrue();

        // Once the session is open, larger frames are fine: an 8 KiB WRITEV.
        RawClient open = raw(node);
        int session = open.hello(Role.CLIENT, "alice", 0, Tokens.session(clusterSecret, "alice"), 1).session();
        byte[] data = pattern(8192, 4);
        ByteBuf body = Unpooled.buffer();
        WriteRunReader.writeRunHeader(body, ALICE_SLAB, 100_000, data.length);
        body.writeBytes(data);
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        RawClient.Frame written = open.roundTrip(Opcode.WRITEV, 2, session, 0, nextOpId(), 1, bytes);
        assertThat(written.header().status()).as(String.valueOf(written.header())).isZero();
        assertThat(read(client(node, "alice"), ALICE_SLAB, 100_000, data.length)).isEqualTo(data);
    }

    /** A connection that opens no session within the handshake timeout is closed, PINGs or not; one that did stays. */
    @Test
    void aConnectionWithoutASessionIsClosedAfterTheHandshakeTimeout() throws Exception {
        // Warm up the token path first, so the in-time session below is surely opened well within 300 ms.
        client(node, "alice");
        MemNode n = startNode(c -> c.withLimits(ServerLimits.DEFAULTS.withHandshakeTimeout(Duration.ofMillis(300)), 256));

        long started = System.nanoTime();
        RawClient silent = raw(n);
        RawClient pinging = raw(n);
        pinging.send(RawClient.request(Opcode.PING, 1, 0, 0, 0, 0, new byte[] {1}));
        assertThat(pinging.readFrame().header().status()).as("PING is answered before HELLO").isZero();
        DirectLink inTime = client(n, "alice");

        assertThat(silent.awaitEndOfStream()).as("a silent connection is closed").isTrue();
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertThat(waitedMillis).as("closed at the timeout, not at once").isGreaterThanOrEqualTo(250);
        assertThat(pinging.awaitEndOfStream()).as("PINGs do not keep a connection without a session open").isTrue();

        Thread.sleep(400); // well past the timeout for the session opened in time
        // Served as a session, not refused: the new node holds no slab, so the answer is NO_SUCH_SLAB.
        assertCode(() -> read(inTime, 7, 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertThat(inTime.isOpen()).isTrue();
    }

    // ------------------------------------------------------------------ (7): checksums in flight

    /**
     * With CHECKSUMS granted, a READ answer's header counts the data and the frame ends in the CRC32C of it; a WRITEV
     * run whose checksum does not match is refused with the whole request, so nothing of it is written. Without the
     * feature the formats are v2's.
     */
    @Test
    void withChecksumsReadsEndInTheCrcOfTheirDataAndBadWritesChangeNothing() throws Exception {
        long slab = 61;
        controller.create(slab, MIB, "alice");
        RawClient raw = raw(node);
        HelloReply.Accepted accepted = raw.hello(Role.CLIENT, "alice", Features.CHECKSUMS,
                Tokens.session(clusterSecret, "alice", NOW), 1);
        assertThat(Features.has(accepted.features(), Features.CHECKSUMS)).as("granted").isTrue();
        int session = accepted.session();

        byte[] a = pattern(300, 1);
        byte[] b = pattern(200, 2);
        RawClient.Frame w = raw.roundTrip(Opcode.WRITEV, 2, session, 0, nextOpId(), 2,
                runs(new Run(slab, 1000, a), crc32c(a), new Run(slab, 5000, b), crc32c(b)));
        assertThat(w.header().status()).as(String.valueOf(w.header())).isZero();
        assertThat(w.header().length()).as("runs applied").isEqualTo(2);

        RawClient.Frame r = raw.roundTrip(Opcode.READ, 3, session, slab, 1000, a.length, new byte[0]);
        assertThat(r.header().status()).isZero();
        assertThat(r.header().length()).as("the header counts the data only").isEqualTo(a.length);
        assertThat(r.body()).hasSize(a.length + Checksums.BYTES);
        assertThat(Arrays.copyOf(r.body(), a.length)).isEqualTo(a);
        assertThat(ByteBuffer.wrap(r.body(), a.length, Checksums.BYTES).getInt()).as("the CRC32C trailer")
                .isEqualTo(crc32c(a));

        // Two runs, the second damaged in flight: neither is written.
        byte[] a2 = pattern(300, 3);
        byte[] b2 = pattern(200, 4);
        RawClient.Frame bad = raw.roundTrip(Opcode.WRITEV, 4, session, 0, nextOpId(), 2,
                runs(new Run(slab, 1000, a2), crc32c(a2), new Run(slab, 5000, b2), crc32c(b2) ^ 0x100));
        assertThat(ErrorCode.ofCode(bad.header().status())).isEqualTo(ErrorCode.CHECKSUM_MISMATCH);
        // A run without its checksum field does not pass as one with a checksum either.
        RawClient.Frame unsummed = raw.roundTrip(Opcode.WRITEV, 5, session, 0, nextOpId(), 1,
                bytes(Ops.writevBody(new Run(slab, 1000, a2))));
        assertThat(ErrorCode.ofCode(unsummed.header().status())).isIn(ErrorCode.CHECKSUM_MISMATCH,
                ErrorCode.MALFORMED_FRAME);

        DirectLink plain = client(node, "alice");
        assertThat(read(plain, slab, 1000, a.length)).as("the first run is unchanged").isEqualTo(a);
        assertThat(read(plain, slab, 5000, b.length)).as("the second run is unchanged").isEqualTo(b);

        // Without the feature, a READ answer is the data alone, as in version 2.
        RawClient v2 = raw(node);
        HelloReply.Accepted noSums = v2.hello(Role.CLIENT, "alice", 0, Tokens.session(clusterSecret, "alice", NOW), 1);
        assertThat(noSums.features()).isZero();
        RawClient.Frame r2 = v2.roundTrip(Opcode.READ, 2, noSums.session(), slab, 1000, a.length, new byte[0]);
        assertThat(r2.body()).isEqualTo(a);

        // A DirectLink asking for checksums checks them on every read.
        DirectLink summed = connect(node);
        Tokens.openClient(summed, clusterSecret, "alice", 0, Features.CHECKSUMS);
        assertThat(summed.checksums()).isTrue();
        assertThat(read(summed, slab, 5000, b.length)).isEqualTo(b);
    }

    /** A WRITEV body of runs, each with the CRC32C given after it (right or wrong), as on a session with checksums. */
    private static byte[] runs(Run first, int firstCrc, Run second, int secondCrc) {
        ByteBuf body = Unpooled.buffer();
        WriteRunReader.writeRunHeader(body, first.slab(), first.offset(), first.data().length, firstCrc);
        body.writeBytes(first.data());
        WriteRunReader.writeRunHeader(body, second.slab(), second.offset(), second.data().length, secondCrc);
        body.writeBytes(second.data());
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        return bytes;
    }

    // ------------------------------------------------------------------ (8): sessions per tenant

    /** One tenant cannot take all the node's sessions: past its limit it is told OVERLOADED, others still get in. */
    @Test
    void aTenantPastItsSessionLimitIsOverloadedAndOthersStillGetIn() throws Exception {
        MemNode n = startNode(c -> c.withLimits(ServerLimits.DEFAULTS, 2));
        DirectLink first = client(n, "carol");
        DirectLink second = client(n, "carol");

        DirectLink third = connect(n);
        assertCode(() -> Tokens.openClient(third, clusterSecret, "carol"), ErrorCode.OVERLOADED);
        assertCode(() -> read(third, ALICE_SLAB, 0, 8), ErrorCode.CONNECTION_CLOSED);
        DirectLink dave = client(n, "dave");
        assertThat(dave.isOpen()).isTrue();
        assertThat(first.isOpen()).as("the refusal touched no open session").isTrue();
        assertThat(second.isOpen()).isTrue();

        // A session that ends frees its place (once the node has seen the connection close).
        first.close();
        Await.until(() -> {
            DirectLink again = connect(n);
            try {
                Tokens.openClient(again, clusterSecret, "carol");
                return true;
            } catch (RememException e) {
                assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED);
                return false;
            }
        }, WAIT, "a new session of carol once one of hers closed");
    }

    /**
     * A runtime whose link broke reconnects naming its old session (NodeLinks does), and the node may not have seen
     * the old connection end yet: the new session replaces the old one, so it must not count against the limit as a
     * third.
     */
    @Test
    void aSessionSupersedingOneOfItsTenantsIsAdmittedAtTheLimit() throws Exception {
        MemNode n = startNode(c -> c.withLimits(ServerLimits.DEFAULTS, 2));
        DirectLink old = client(n, "carol");
        DirectLink other = client(n, "carol");
        DirectLink fresh = connect(n);
        Tokens.openClient(fresh, clusterSecret, "carol", old.session(), 0);
        assertCode(() -> read(old, 7, 0, 8), ErrorCode.CONNECTION_CLOSED); // fenced: the old session is gone
        assertCode(() -> read(fresh, 7, 0, 8), ErrorCode.NO_SUCH_SLAB);    // the new one is served
        assertThat(other.isOpen()).isTrue();
        // Still two sessions of carol: a third that replaces nothing is refused.
        DirectLink third = connect(n);
        assertCode(() -> Tokens.openClient(third, clusterSecret, "carol"), ErrorCode.OVERLOADED);
    }
}
