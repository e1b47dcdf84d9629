package io.remem.transport;

import io.remem.testkit.Await;
import io.remem.testkit.TestPki;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * remem connections over TLS, both kinds of client ({@link Peer} through Netty, {@link DirectLink} through the JDK's
 * SSLSocket) against a Netty server, with certificates from a throwaway {@link TestPki}: what opens a session, and
 * which certificates are refused.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TlsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    static Path dir;

    private static EventLoops loops;
    private static TestPki pki;
    private static TestPki otherCluster;
    private static TestPki.Issued serverCert;
    private static ClientTls trustingPki;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private DirectLinkTest.ReadServer handler;

    @BeforeAll
    static void makePki() {
        loops = EventLoops.create("tls-test", 2);
        pki = TestPki.create(dir.resolve("alpha"), "alpha");
        otherCluster = TestPki.create(dir.resolve("beta"), "beta");
        serverCert = pki.issue("server", Duration.ofHours(1));
        trustingPki = ClientTls.of(TlsConfig.trusting(pki.caPem()));
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @BeforeEach
    void newHandler() {
        handler = new DirectLinkTest.ReadServer();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : resources.reversed()) {
            c.close();
        }
    }

    /** A server presenting {@code cert}, checking client certificates against {@code clientCa} if not null. */
    private Connections.Listener listen(TestPki.Issued cert, Path clientCa, boolean requireClientCert) {
        TlsConfig tls = TlsConfig.server(cert.cert(), cert.key(), clientCa, requireClientCert);
        Connections.Listener l = Connections.listen(loops, "127.0.0.1", 0, () -> handler, "tls-server", CALL_TIMEOUT,
                ServerLimits.DEFAULTS, tls.serverContext());
        resources.add(l);
        return l;
    }

    private Peer peer(int port, ClientTls tls) {
        Peer p = Connections.connect(loops, "127.0.0.1", port, null, "tls-client", CONNECT_TIMEOUT, CALL_TIMEOUT, tls);
        resources.add(p::close);
        return p;
    }

    private DirectLink link(int port, ClientTls tls) {
        DirectLink l = DirectLink.connect("127.0.0.1", port, CONNECT_TIMEOUT, CALL_TIMEOUT, tls);
        resources.add(l);
        return l;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static byte[] copy(ByteBuf body) {
        byte[] b = new byte[body.readableBytes()];
        body.readBytes(b);
        return b;
    }

    /** Fails the test unless {@code thrown} is the refusal of a TLS handshake, naming why. */
    private static void assertTlsRefused(Throwable thrown, String why) {
        assertThat(thrown).isInstanceOfSatisfying(RememException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.NODE_UNAVAILABLE);
            assertThat(e.detail()).contains("TLS handshake").contains("failed").contains(why);
        });
    }

    // ------------------------------------------------------------------ sessions over TLS

    @Test
    void aPeerOverTlsOpensASessionEchoesAndReads() {
        Connections.Listener l = listen(serverCert, null, false);
        Peer p = peer(l.port(), trustingPki);
        assertThat(p.hello(Role.CLIENT, ScriptedNode.token("alice")).id()).isNotZero();

        // Larger than a TLS record (16 KiB), so it crosses several in both directions.
        byte[] ping = random(100_000, 1);
        byte[] echoed = Peer.await(p.call(Opcode.PING, 0, 0, 0, ping.length, out -> out.writeBytes(ping),
                (h, b) -> copy(b)));
        assertThat(echoed).isEqualTo(ping);

        int n = 1 << 20;
        byte[] bytes = Peer.await(p.call(Opcode.READ, 3, 500, n, 0, BodyWriter.EMPTY, (h, b) -> copy(b)));
        MemorySegment read = MemorySegment.ofArray(bytes);
        assertThat(read.byteSize()).isEqualTo(n);
        DirectLinkTest.assertPattern(3, 500, read);
    }

    @Test
    void aDirectLinkOverTlsOpensASessionEchoesAndReadsLargeAnswers() throws Exception {
        Connections.Listener l = listen(serverCert, null, false);
        DirectLink link = link(l.port(), trustingPki);
        assertThat(link.hello(Role.CLIENT, ScriptedNode.token("alice"), 0, 0).id()).isNotZero();

        byte[] ping = random(100_000, 2);
        byte[] echoed = link.call(Opcode.PING, 0, 0, 0, ByteBuffer.wrap(ping), null, (h, b) -> copy(b));
        assertThat(echoed).isEqualTo(ping);

        // A 1 MiB answer into one segment, as a miss does; then into two, scattered.
        MemorySegment big = MemorySegment.ofArray(new byte[1 << 20]);
        link.read(4, 123, big);
        DirectLinkTest.assertPattern(4, 123, big);
        MemorySegment a = MemorySegment.ofArray(new byte[70_000]);
        MemorySegment b = MemorySegment.ofArray(new byte[30_001]);
        Await.result(link.readAsync(5, 7, a, b), WAIT);
        DirectLinkTest.assertPattern(5, 7, a);
        DirectLinkTest.assertPattern(5, 7 + a.byteSize(), b);

        // Several threads at once: TLS reads by the leader while other threads write their requests.
        List<CompletableFuture<Void>> readers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            long slab = 100 + t;
            CompletableFuture<Void> done = new CompletableFuture<>();
            readers.add(done);
            Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 10; i++) {
                        MemorySegment dst = MemorySegment.ofArray(new byte[40_000 + i]);
                        link.read(slab, i * 1000L, dst);
                        DirectLinkTest.assertPattern(slab, i * 1000L, dst);
                    }
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
        }
        for (CompletableFuture<Void> r : readers) {
            Await.result(r, Duration.ofSeconds(10));
        }
        assertThat(link.isOpen()).isTrue();
        assertThat(link.inFlight()).isZero();
    }

    @Test
    void aPlainClientGetsNoSessionFromATlsServer() {
        Connections.Listener l = listen(serverCert, null, false);
        Peer p = peer(l.port(), null);
        assertThat(catchThrowable(() -> p.hello(Role.CLIENT, ScriptedNode.token("alice"))))
                .isInstanceOf(RememException.class);
        assertThat(handler.lastTenantHash.get()).as("the server saw no HELLO").isZero();
    }

    // ------------------------------------------------------------------ refused certificates

    @Test
    void aServerCertificateFromAnotherCaIsRefused() {
        Connections.Listener l = listen(serverCert, null, false);
        ClientTls trustingOther = ClientTls.of(TlsConfig.trusting(otherCluster.caPem()));
        assertTlsRefused(catchThrowable(() -> peer(l.port(), trustingOther)), "does not chain to the trusted CA");
        assertTlsRefused(catchThrowable(() -> link(l.port(), trustingOther)), "does not chain to the trusted CA");
    }

    @Test
    void anExpiredServerCertificateIsRefused() {
        Connections.Listener l = listen(pki.issueExpired("expired-server"), null, false);
        assertTlsRefused(catchThrowable(() -> peer(l.port(), trustingPki)), "expired");
        assertTlsRefused(catchThrowable(() -> link(l.port(), trustingPki)), "expired");
    }

    @Test
    void aServerCertificateThatDoesNotNameTheHostDialledIsRefused() {
        Connections.Listener l = listen(pki.issueForHost("elsewhere-server", "elsewhere.example"), null, false);
        assertTlsRefused(catchThrowable(() -> peer(l.port(), trustingPki)), "does not name the host dialled");
        assertTlsRefused(catchThrowable(() -> link(l.port(), trustingPki)), "does not name the host dialled");
    }

    /**
     * Mutual TLS: the server refuses a client with no certificate or one from another CA. Under TLS 1.3 the client's
     * side of the handshake completes before the server checks its certificate, so the refusal may surface at connect
     * (NODE_UNAVAILABLE) or at the first request (CONNECTION_CLOSED); either way no session opens.
     */
    @Test
    void aServerRequiringClientCertificatesRefusesClientsWithoutTheRightOne() {
        Connections.Listener l = listen(serverCert, pki.caPem(), true);
        TestPki.Issued foreign = otherCluster.issue("foreign-client", Duration.ofHours(1));
        ClientTls foreignTls = ClientTls.of(new TlsConfig(foreign.cert(), foreign.key(), pki.caPem(), false));
        for (ClientTls tls : List.of(trustingPki, foreignTls)) {
            assertNoSession(catchThrowable(() -> peer(l.port(), tls).hello(Role.CLIENT, ScriptedNode.token("alice"))));
            assertNoSession(catchThrowable(
                    () -> link(l.port(), tls).hello(Role.CLIENT, ScriptedNode.token("alice"), 0, 0)));
        }
        assertThat(handler.lastTenantHash.get()).as("the server saw no HELLO").isZero();
    }

    private static void assertNoSession(Throwable thrown) {
        assertThat(thrown).isInstanceOfSatisfying(RememException.class,
                e -> assertThat(e.code()).isIn(ErrorCode.NODE_UNAVAILABLE, ErrorCode.CONNECTION_CLOSED));
    }

    @Test
    void aServerRequiringClientCertificatesAcceptsOneFromItsCa() {
        Connections.Listener l = listen(serverCert, pki.caPem(), true);
        TestPki.Issued client = pki.issue("client", Duration.ofHours(1));
        ClientTls tls = ClientTls.of(new TlsConfig(client.cert(), client.key(), pki.caPem(), false));

        Peer p = peer(l.port(), tls);
        assertThat(p.hello(Role.CLIENT, ScriptedNode.token("alice")).id()).isNotZero();
        byte[] bytes = Peer.await(p.call(Opcode.READ, 8, 0, 4096, 0, BodyWriter.EMPTY, (h, b) -> copy(b)));
        MemorySegment viaPeer = MemorySegment.ofArray(bytes);
        DirectLinkTest.assertPattern(8, 0, viaPeer);

        DirectLink link = link(l.port(), tls);
        assertThat(link.hello(Role.CLIENT, ScriptedNode.token("alice"), 0, 0).id()).isNotZero();
        MemorySegment viaLink = MemorySegment.ofArray(new byte[4096]);
        link.read(8, 0, viaLink);
        assertThat(viaLink.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(viaPeer.toArray(ValueLayout.JAVA_BYTE));
    }
}
