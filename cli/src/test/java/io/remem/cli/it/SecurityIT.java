package io.remem.cli.it;

import io.remem.client.FarSegment;
import io.remem.client.RememAdmin;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.Bodies;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Frames;
import io.remem.protocol.Hello;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.TenantRemove;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.NodeKey;
import io.remem.protocol.auth.Secret;
import io.remem.transport.BodyWriter;
import io.remem.transport.ClientHandshake;
import io.remem.transport.Connections;
import io.remem.transport.DirectLink;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * An attacker on the network, with real processes: every attack of the security issue, each shown refused, while a
 * legitimate tenant's checked workload runs against the same nodes the whole time and must neither fail nor stop.
 * The attacker holds at most the credentials of a tenant of its own ("mallory"), never another's or the cluster's,
 * except where a test says otherwise.
 */
class SecurityIT {
    private static final Duration HANDSHAKE = Duration.ofSeconds(2);
    private static final Duration FRAME = Duration.ofSeconds(3);
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    static Path dir;
    static ProcessCluster cluster;
    static RememSession bank;
    static CheckedWorkload legit;

    @BeforeAll
    static void start() throws Exception {
        List<String> limits = List.of("--handshake-timeout", HANDSHAKE.toMillis() + "ms", "--frame-timeout",
                FRAME.toMillis() + "ms");
        List<String> nodeLimits = new ArrayList<>(limits);
        nodeLimits.addAll(List.of("--max-sessions-per-tenant", "16"));
        List<String> controllerArgs = new ArrayList<>(limits);
        controllerArgs.addAll(List.of("--slab-size", "16m"));
        cluster = ProcessCluster.start(dir, 2, "256m", controllerArgs, nodeLimits);
        bank = cluster.connect(RememOptions.builder().tenant("bank").cacheBytes(256 << 10).build());
        legit = new CheckedWorkload(bank, bank.memory().allocate(8L << 20), true);
        legit.awaitProgress(2_000);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (legit != null) {
                legit.stopAndCheck(); // every value the legitimate tenant wrote, read back right, after every attack
            }
        } finally {
            if (bank != null) {
                bank.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** The legitimate tenant keeps getting work done: the attack in the test hurt only the attacker. */
    private static void legitimateTenantStillServed() throws InterruptedException {
        legit.awaitProgress(1_000);
    }

    private static ClusterStatus.Node firstNode() {
        return cluster.status().nodes().getFirst();
    }

    private static byte[] tokenOf(String tenant) {
        try (ControllerProbe probe = new ControllerProbe(cluster.controllerAddress(), tenant, cluster.secretOf(tenant))) {
            return probe.token();
        }
    }

    // ------------------------------------------------------------------ identities

    @Test
    void nobodyActsAsATenantWithoutItsSecretOrToken() throws Exception {
        // At the controller: a wrong secret for a real tenant, and any secret for a tenant that does not exist, fail alike.
        RememException wrong = catchThrowableOfType(RememException.class, () -> new ControllerProbe(
                cluster.controllerAddress(), "bank", Secret.generate(RANDOM)).close());
        RememException ghost = catchThrowableOfType(RememException.class, () -> new ControllerProbe(
                cluster.controllerAddress(), "ghost", Secret.generate(RANDOM)).close());
        assertThat(wrong.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
        assertThat(ghost.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
        assertThat(ghost.detail()).isEqualTo(wrong.detail());
        try (RememAdmin admin = cluster.admin()) {
            assertThat(admin.tenants()).extracting(ClusterStatus.Tenant::name).doesNotContain("ghost");
        }

        // At a memory node: no token, a forged one, and mallory's own token presented as bank's.
        ClusterStatus.Node node = firstNode();
        byte[] mallorys = tokenOf("mallory");
        byte[] forged = mallorys.clone();
        forged[forged.length - 1] ^= 1;
        List<String> messages = new ArrayList<>();
        for (Credentials c : List.of(Credentials.ofToken("bank", () -> new byte[] {0}), Credentials.ofToken("bank", () -> forged),
                Credentials.ofToken("bank", () -> mallorys))) {
            try (DirectLink link = DirectLink.connect(node.host(), node.port(), Duration.ofSeconds(3), Duration.ofSeconds(5))) {
                RememException e = catchThrowableOfType(RememException.class, () -> link.hello(Role.CLIENT, c, 0, 0));
                assertThat(e).as(c.toString()).isNotNull();
                assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
                messages.add(e.detail());
            }
        }
        assertThat(messages).containsOnly(AuthenticationFailure.MESSAGE);
        legitimateTenantStillServed();
    }

    @Test
    void aReplicaSessionNeedsTheControllersCapabilityForTheSlab() throws Exception {
        ClusterStatus.Node node = firstNode();
        try (DirectLink link = DirectLink.connect(node.host(), node.port(), Duration.ofSeconds(3), Duration.ofSeconds(5))) {
            byte[] sessionToken = tokenOf("mallory"); // a real token, of the wrong kind
            assertThatThrownBy(() -> link.hello(Role.REPLICA, Credentials.ofToken("replica", () -> sessionToken), 0, 0))
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
        }
        legitimateTenantStillServed();
    }

    @Test
    void aFakeMemoryNodeCannotJoinNorTakeOverALiveNodesId() throws Exception {
        HostPort controller = HostPort.parse(cluster.controllerAddress(), "controller");
        try (EventLoops loops = EventLoops.create("fake-node", 1)) {
            Peer fake = Connections.connect(loops, controller.host(), controller.port(), null, "fake", Duration.ofSeconds(3),
                    Duration.ofSeconds(5));
            assertThatThrownBy(() -> fake.hello(Role.MEMORY_NODE, Credentials.ofSecret("node", Secret.generate(RANDOM))))
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
            fake.close();

            // Even holding the cluster secret, a process without a node's own key cannot register under its id.
            ClusterStatus.Node victim = firstNode();
            Peer insider = Connections.connect(loops, controller.host(), controller.port(), null, "insider",
                    Duration.ofSeconds(3), Duration.ofSeconds(5));
            ClientHandshake.Session s = insider.hello(Role.MEMORY_NODE,
                    Credentials.ofSecret("node", Secret.readFile(cluster.clusterSecretFile()).getFirst()));
            KeyPair key = NodeKey.generate();
            NodeRegister reg = new NodeRegister(victim.nodeId(), "127.0.0.1", 1, 1L << 30, NodeKey.encodePublic(key),
                    NodeKey.sign(key, s.binding(), victim.nodeId()), List.of());
            assertThatThrownBy(() -> Peer.await(insider.call(Opcode.NODE_REGISTER, 0, 0, 0, 128, reg::encode, (h, b) -> null)))
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
            insider.close();
        }
        ClusterStatus after = cluster.status();
        ClusterStatus.Node same = after.nodes().stream().filter(n -> n.nodeId() == firstNode().nodeId()).findFirst()
                .orElseThrow();
        assertThat(same.port()).as("the victim's clients are not redirected").isNotEqualTo(1);
        assertThat(same.alive()).isTrue();
        legitimateTenantStillServed();
    }

    @Test
    void administrationNeedsTheAdminSecret() throws Exception {
        try (ControllerProbe mallory = new ControllerProbe(cluster.controllerAddress(), "mallory", cluster.secretOf("mallory"))) {
            assertThat(mallory.call(Opcode.NODE_DRAIN, firstNode().nodeId(), BodyWriter.EMPTY)).isEqualTo(ErrorCode.WRONG_ROLE);
            TenantRemove remove = new TenantRemove("bank", true);
            assertThat(mallory.call(Opcode.TENANT_REMOVE, 0, remove::encode)).isEqualTo(ErrorCode.WRONG_ROLE);
            ClusterStatus own = mallory.status();
            assertThat(own.nodes()).as("a tenant sees no node").isEmpty();
            assertThat(own.tenants()).extracting(ClusterStatus.Tenant::name).containsExactly("mallory");
        }
        Path wrong = dir.resolve("wrong-admin.secret");
        if (!Files.exists(wrong)) {
            Secret.createFile(wrong, RANDOM);
        }
        assertThatThrownBy(() -> {
            try (RememAdmin impostor = RememAdmin.connect(cluster.controllerAddress(), wrong, null)) {
                impostor.drain(firstNode().nodeId());
            }
        }).isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
        assertThat(cluster.status().nodes()).noneMatch(ClusterStatus.Node::draining);
        legitimateTenantStillServed();
    }

    @Test
    void slabIdsRevealNothingAboutOtherTenants() throws Exception {
        List<Long> ids = new ArrayList<>();
        try (RememSession alice = cluster.connect(RememOptions.builder().tenant("alice").cacheBytes(1 << 20).build())) {
            for (int i = 0; i < 6; i++) {
                FarSegment seg = alice.memory().allocate(1 << 20);
                ids.add(seg.address() >>> cluster.status().slabShift());
            }
            long steps = 0;
            for (int i = 1; i < ids.size(); i++) {
                steps += Math.abs(ids.get(i) - ids.get(i - 1)) == 1 ? 1 : 0;
            }
            assertThat(steps).as("slab ids " + ids + " are not handed out in sequence").isLessThan(ids.size() - 1);
            try (ControllerProbe mallory = new ControllerProbe(cluster.controllerAddress(), "mallory",
                    cluster.secretOf("mallory"))) {
                for (long id : ids) {
                    assertThat(mallory.lookup(id)).isEqualTo(ErrorCode.NO_SUCH_SLAB);
                    assertThat(mallory.lookup(id + 1)).isEqualTo(ErrorCode.NO_SUCH_SLAB);
                }
            }
        }
        legitimateTenantStillServed();
    }

    @Test
    void aTenantSecretRotatesWithoutAGapAndARevokedOneStopsWorking() throws Exception {
        Secret old = cluster.secretOf("rotating");
        Secret fresh;
        try (RememAdmin admin = cluster.admin()) {
            fresh = admin.addTenantSecret("rotating");
        }
        RememOptions base = RememOptions.builder().tenant("rotating").cacheBytes(1 << 20)
                .failoverTimeout(Duration.ofSeconds(2)).build();
        try (RememSession before = cluster.connect(base.toBuilder().secret(old).build());
             RememSession after = cluster.connect(base.toBuilder().secret(fresh).build())) {
            before.memory().allocate(1 << 20).free(); // both secrets work while both are listed
            try (RememAdmin admin = cluster.admin()) {
                admin.revokeTenantSecret("rotating", old.keyId());
            }
            // The revoked secret's connection to the controller is cut, and it cannot reconnect.
            assertThatThrownBy(() -> before.memory().allocate(1 << 20))
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
            FarSegment seg = after.memory().allocate(1 << 20);
            seg.set(ValueLayout.JAVA_LONG, 0, 7);
            after.memory().flush();
            assertThat(seg.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(7);
            seg.free();
        }
        legitimateTenantStillServed();
    }

    // ------------------------------------------------------------------ resources

    @Test
    void largeFramesBeforeAuthenticationAreRefusedAtOnceAndCostTheNodeNothing() throws Exception {
        ClusterStatus.Node node = firstNode();
        RememProcess process = processOf(node);
        long before = rssBytes(process);
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                Socket s = new Socket(node.host(), node.port());
                s.setSoTimeout(5000);
                sockets.add(s);
                OutputStream out = s.getOutputStream();
                out.write(ByteBuffer.allocate(4).putInt(16 << 20).array()); // announces a 16 MiB frame
                try {
                    for (int mib = 0; mib < 8; mib++) {                      // and sends half of it
                        out.write(new byte[1 << 20]);
                    }
                } catch (SocketException refused) {
                    // the node closed the connection long before
                }
            }
            for (Socket s : sockets) {
                assertClosedAfterAnError(s.getInputStream(), ErrorCode.TOO_LARGE);
            }
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        assertThat(rssBytes(process) - before).as("the node buffered none of it").isLessThan(48L << 20);
        legitimateTenantStillServed();
    }

    @Test
    void answersThatAreNeverReadStallOnlyTheirOwnConnection() throws Exception {
        try (RememSession mallory = cluster.connect(RememOptions.builder().tenant("mallory").replication(1)
                .cacheBytes(1 << 20).build())) {
            FarSegment seg = mallory.memory().allocate(16L << 20);
            seg.set(ValueLayout.JAVA_LONG, 0, 1);
            mallory.memory().flush();
            long slab = seg.address() >>> cluster.status().slabShift();
            byte[] token = tokenOf("mallory");
            for (ClusterStatus.Node node : cluster.status().nodes()) {
                RememProcess process = processOf(node);
                long before = rssBytes(process);
                try (Socket s = new Socket(node.host(), node.port())) {
                    s.setSoTimeout(5000);
                    int session = rawHello(s, "mallory", token);
                    // 12 reads of 16 MiB in one write, whose answers are never read. (12, not 30: a node's JVM here
                    // has 256 MiB of direct memory, and running out would bound its growth for the wrong reason.)
                    ByteBuffer reads = ByteBuffer.allocate(12 * Wire.FRAME_OVERHEAD);
                    for (int i = 0; i < 12; i++) {
                        Frames.writeRequestHeader(reads, Opcode.READ, 100 + i, session, slab, 0, 16 << 20, 0);
                    }
                    s.getOutputStream().write(reads.array());
                    Thread.sleep(1500);
                    assertThat(rssBytes(process) - before).as("node " + node.nodeId() + " holds a bounded part of 192 MiB")
                            .isLessThan(80L << 20);
                    legitimateTenantStillServed();
                }
            }
            seg.free();
        }
    }

    @Test
    void hugeCountsAreRefusedBeforeAnythingIsAllocated() throws Exception {
        try (ControllerProbe mallory = new ControllerProbe(cluster.controllerAddress(), "mallory", cluster.secretOf("mallory"))) {
            assertThat(mallory.lookup(1, Integer.MAX_VALUE)).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        }
        assertThat(cluster.controller().isAlive()).isTrue();
        assertThat(cluster.status().nodes()).hasSize(2);
        legitimateTenantStillServed();
    }

    @Test
    void idleSlowAndHalfSentConnectionsAreClosed() throws Exception {
        ClusterStatus.Node node = firstNode();
        long limit = HANDSHAKE.toMillis() + 2_000;
        try (Socket idle = new Socket(node.host(), node.port())) {
            idle.setSoTimeout((int) limit);
            long t0 = System.nanoTime();
            assertThat(idle.getInputStream().read()).as("an idle connection is closed").isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(HANDSHAKE.toMillis() - 500, limit);
        }
        try (Socket slow = new Socket(node.host(), node.port())) {
            slow.setSoTimeout((int) limit);
            ByteBuf hello = helloFrame("bank", new byte[0], 0);
            byte[] bytes = new byte[hello.readableBytes()];
            hello.readBytes(bytes);
            long t0 = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < bytes.length - 1 && !closed; i++) {
                try {
                    slow.getOutputStream().write(bytes[i]); // a byte at a time, never finishing the HELLO
                    Thread.sleep(100);
                } catch (SocketException e) {
                    closed = true;
                }
                closed |= System.nanoTime() - t0 > limit * 1_000_000;
            }
            assertThat(slow.getInputStream().read()).as("a slow HELLO is cut off").isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(limit);
        }
        try (Socket half = new Socket(node.host(), node.port())) {
            half.setSoTimeout((int) (FRAME.toMillis() + 2_000));
            int session = rawHello(half, "mallory", tokenOf("mallory"));
            ByteBuffer header = ByteBuffer.allocate(Wire.FRAME_OVERHEAD);
            Frames.writeRequestHeader(header, Opcode.WRITEV, 1, session, 1, 0, 1, 1024);
            half.getOutputStream().write(header.array()); // a frame whose 1 KiB body never comes
            long t0 = System.nanoTime();
            assertThat(half.getInputStream().read()).as("a half-sent frame is cut off").isEqualTo(-1);
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(FRAME.toMillis() - 500, FRAME.toMillis() + 2_000);
        }
        legitimateTenantStillServed();
    }

    // ------------------------------------------------------------------ raw protocol

    private static RememProcess processOf(ClusterStatus.Node node) throws InterruptedException {
        for (RememProcess p : cluster.nodes()) {
            if (cluster.nodeId(p) == node.nodeId()) {
                return p;
            }
        }
        throw new AssertionError("no process for node " + node.nodeId());
    }

    /** Resident memory of a process, from /proc. */
    private static long rssBytes(RememProcess p) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for " + p.pid());
    }

    private static ByteBuf helloFrame(String tenant, byte[] token, long requestId) {
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        ByteBuf out = Unpooled.buffer();
        int start = Frames.beginRequest(out, Opcode.HELLO, requestId, 0, 0, 0, 0);
        new Hello(Wire.VERSION, Role.CLIENT, tenant, "", 0, 0, nonce, token).encode(out);
        Frames.finish(out, start);
        return out;
    }

    /** Opens a client session over a plain socket with {@code token}; returns the session id. */
    private static int rawHello(Socket s, String tenant, byte[] token) throws IOException {
        ByteBuf hello = helloFrame(tenant, token, 1);
        byte[] bytes = new byte[hello.readableBytes()];
        hello.readBytes(bytes);
        s.getOutputStream().write(bytes);
        InputStream in = s.getInputStream();
        byte[] head = in.readNBytes(Wire.FRAME_OVERHEAD);
        ByteBuf h = Unpooled.wrappedBuffer(head);
        int length = h.readInt();
        FrameHeader header = new FrameHeader().read(h);
        assertThat(header.status()).as("HELLO accepted").isZero();
        ByteBuf body = Unpooled.wrappedBuffer(in.readNBytes(length - Wire.HEADER_BYTES));
        assertThat(Bodies.readUnsignedByte(body, "step")).isZero();
        Bodies.readUnsignedShort(body, "version");
        return Bodies.readInt(body, "session");
    }

    /** Reads one frame: an error with {@code code}; then the connection must be closed. */
    private static void assertClosedAfterAnError(InputStream in, ErrorCode code) throws IOException {
        try {
            byte[] head = in.readNBytes(Wire.FRAME_OVERHEAD);
            if (head.length == Wire.FRAME_OVERHEAD) {
                ByteBuf h = Unpooled.wrappedBuffer(head);
                int length = h.readInt();
                FrameHeader header = new FrameHeader().read(h);
                assertThat(ErrorCode.ofCode(header.status())).isEqualTo(code);
                in.readNBytes(length - Wire.HEADER_BYTES);
            }
            assertThat(in.read()).as("closed").isEqualTo(-1);
        } catch (SocketException reset) {
            // our unread bytes made the server's kernel reset the connection as it closed it: closed, too
        }
    }
}
