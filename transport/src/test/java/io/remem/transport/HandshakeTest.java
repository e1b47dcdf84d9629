package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.AuthProof;
import io.remem.protocol.Bodies;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.HelloReply;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.Scram;
import io.remem.protocol.auth.Secret;
import io.remem.testkit.Await;
import io.remem.testkit.RawClient;
import io.remem.transport.ScriptedNode.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Both ends of the version 3 handshake: SCRAM challenge-response over {@link Peer} and over {@link DirectLink} against a
 * real server, and the client's refusals of servers that do not behave like the holder of the secret's verifier, played
 * by a {@link ScriptedNode} that answers exactly what each test scripts.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HandshakeTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    private static final byte[] GRANT = "a session token".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private static EventLoops loops;
    private static Secret secret;
    private static Secret otherSecret;
    /** What the server keeps of {@link #secret}; the minimum of iterations keeps the tests fast. */
    private static Scram.Verifier verifier;

    private final List<AutoCloseable> resources = new ArrayList<>();
    /** Started by the first {@link #dialScramServer} of a test. */
    private ScramServer scramServer;
    private Connections.Listener scramListener;

    @BeforeAll
    static void setUp() {
        loops = EventLoops.create("handshake-test", 2);
        secret = Secret.generate(RANDOM);
        otherSecret = Secret.generate(RANDOM);
        verifier = Scram.Verifier.of(secret, RANDOM, Scram.MIN_ITERATIONS);
    }

    @AfterAll
    static void tearDown() {
        loops.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : resources.reversed()) {
            c.close();
        }
    }

    /**
     * A controller-like server: every HELLO is challenged with {@link #verifier}; a good proof opens the session with
     * the principal as its attachment and {@link #GRANT} as its grant. Any request of an open session is answered
     * with "served " and the attachment, so a test sees both that the session is open and what it was given.
     */
    static final class ScramServer implements RequestHandler {
        final AtomicInteger hellos = new AtomicInteger();
        /** The binding each accepted proof was given, in order. */
        final List<byte[]> bindings = new CopyOnWriteArrayList<>();
        /** The server-side peer of each session opened. */
        final List<Peer> sessions = new CopyOnWriteArrayList<>();

        @Override
        public HelloDecision onHello(Peer peer, Hello hello) {
            hellos.incrementAndGet();
            return new HelloDecision.Challenge(verifier, (p, binding) -> {
                bindings.add(binding);
                sessions.add(p);
                return new HelloDecision.Accept(hello.principal(), GRANT);
            });
        }

        @Override
        public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
            String answer = "served " + peer.attachment();
            peer.reply(h, 0, 0, 0, 64, out -> Bodies.writeString(out, answer));
        }
    }

    /** One client connection, whichever kind. */
    interface Dialled extends AutoCloseable {
        ClientHandshake.Session hello(Credentials credentials);

        /** Sends a request that needs an open session; returns the answer. */
        String ask();

        /** Fails the test unless the server closed the connection within {@link #WAIT}. */
        void awaitClosedByServer() throws Exception;

        @Override
        void close();
    }

    /** The two client connections the handshake runs over. */
    enum Transport {
        PEER {
            @Override
            Dialled dial(String host, int port) {
                Peer p = Connections.connect(loops, host, port, null, "handshake-client", Duration.ofSeconds(2), CALL_TIMEOUT);
                return new Dialled() {
                    @Override
                    public ClientHandshake.Session hello(Credentials credentials) {
                        ClientHandshake.Session s = p.hello(Role.CLIENT, credentials);
                        // The peer keeps what the handshake established.
                        assertThat(p.hasSession()).isTrue();
                        assertThat(p.session()).isEqualTo(s.id());
                        assertThat(p.binding()).isEqualTo(s.binding());
                        return s;
                    }

                    @Override
                    public String ask() {
                        return Peer.await(p.call(Opcode.CLUSTER_INFO, 0, 0, 0, 0, BodyWriter.EMPTY,
                                (h, b) -> Bodies.readString(b, "answer")));
                    }

                    @Override
                    public void awaitClosedByServer() throws Exception {
                        Await.result(p.closeFuture(), WAIT);
                        assertThat(p.isOpen()).isFalse();
                    }

                    @Override
                    public void close() {
                        p.close();
                    }
                };
            }
        },
        LINK {
            @Override
            Dialled dial(String host, int port) {
                DirectLink l = DirectLink.connect(host, port, Duration.ofSeconds(2), CALL_TIMEOUT);
                return new Dialled() {
                    @Override
                    public ClientHandshake.Session hello(Credentials credentials) {
                        ClientHandshake.Session s = l.hello(Role.CLIENT, credentials, 0, 0);
                        assertThat(l.session()).isEqualTo(s.id());
                        return s;
                    }

                    @Override
                    public String ask() {
                        return l.call(Opcode.CLUSTER_INFO, 0, 0, 0, null, null, (h, b) -> Bodies.readString(b, "answer"));
                    }

                    @Override
                    public void awaitClosedByServer() {
                        // A direct link notices a close only when it next reads: the next request must fail so.
                        assertThatThrownBy(this::ask).isInstanceOfSatisfying(RememException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_CLOSED));
                        assertThat(l.isOpen()).isFalse();
                    }

                    @Override
                    public void close() {
                        l.close();
                    }
                };
            }
        };

        abstract Dialled dial(String host, int port);
    }

    private Connections.Listener listen(Supplier<RequestHandler> handlers) {
        Connections.Listener l = Connections.listen(loops, "127.0.0.1", 0, handlers, "scram-server", CALL_TIMEOUT,
                ServerLimits.DEFAULTS, null);
        resources.add(l);
        return l;
    }

    /** A connection to this test's {@link ScramServer}, started by the first call. */
    private Dialled dialScramServer(Transport t) {
        if (scramServer == null) {
            ScramServer h = new ScramServer();
            scramListener = listen(() -> h); // listed before the clients, so closed after them
            scramServer = h;
        }
        return dial(t, "127.0.0.1", scramListener.port());
    }

    private Dialled dial(Transport t, String host, int port) {
        Dialled d = t.dial(host, port);
        resources.add(d);
        return d;
    }

    private static void assertAuthenticationFailed(Throwable thrown, String detailPart) {
        assertThat(thrown).isInstanceOfSatisfying(RememException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
            assertThat(e.detail()).contains(detailPart);
        });
    }

    // ------------------------------------------------------------------ against a real server

    @ParameterizedTest
    @EnumSource(Transport.class)
    void theRightSecretOpensASessionThatBothEndsBindToTheSameValue(Transport t) {
        Dialled c = dialScramServer(t);
        ClientHandshake.Session s = c.hello(Credentials.ofSecret("alice", secret));
        assertThat(s.id()).isNotZero();
        assertThat(s.server()).isEqualTo("scram-server");
        assertThat(s.grant()).isEqualTo(GRANT);
        assertThat(s.binding()).hasSize(32);
        assertThat(scramServer.bindings).hasSize(1);
        assertThat(s.binding()).as("the binding the server's handler was given").isEqualTo(scramServer.bindings.getFirst());
        assertThat(scramServer.sessions.getFirst().session()).isEqualTo(s.id());
        assertThat(c.ask()).isEqualTo("served alice");

        // Each handshake has fresh nonces, so another session of the same secret is bound to another value: a
        // signature over one session's binding cannot be replayed on another.
        Dialled again = dialScramServer(t);
        ClientHandshake.Session s2 = again.hello(Credentials.ofSecret("alice", secret));
        assertThat(s2.binding()).isNotEqualTo(s.binding()).isEqualTo(scramServer.bindings.get(1));
        assertThat(again.ask()).isEqualTo("served alice");
    }

    /**
     * Peer.binding() is documented as known to both ends, but the server side's stays empty: ServerHandshake.onAuth
     * hands the binding to the handler's onProof and never calls Peer.bind. Enable once main code sets it.
     */
    @Test
    void theServerSidePeerKnowsTheBindingToo() {
        Dialled c = dialScramServer(Transport.PEER);
        ClientHandshake.Session s = c.hello(Credentials.ofSecret("alice", secret));
        assertThat(scramServer.sessions.getFirst().binding()).isEqualTo(s.binding());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aWrongSecretIsRefusedWithTheOneMessageAndTheServerCloses(Transport t) throws Exception {
        Dialled c = dialScramServer(t);
        Throwable thrown = catchThrowable(
                () -> c.hello(Credentials.ofSecret("alice", otherSecret)));
        assertThat(thrown).isInstanceOfSatisfying(RememException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
            // The same words for every failure, so a client learns nothing from which check failed.
            assertThat(e.detail()).isEqualTo(AuthenticationFailure.MESSAGE);
        });
        assertThat(scramServer.hellos.get()).isEqualTo(1);
        assertThat(scramServer.bindings).as("no session was opened").isEmpty();
        // One guess per connection: the server hangs up.
        c.awaitClosedByServer();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aTokenHolderThatIsChallengedRefusesTheServer(Transport t) {
        Dialled c = dialScramServer(t);
        Throwable thrown = catchThrowable(
                () -> c.hello(ScriptedNode.token("alice")));
        assertAuthenticationFailed(thrown, "asked a token holder for a secret");
        assertThat(scramServer.bindings).isEmpty();
    }

    @Test
    void authWithoutAChallengeIsRefusedAndClosesTheConnection() throws Exception {
        ScramServer h = new ScramServer();
        Connections.Listener l = listen(() -> h);
        try (RawClient raw = RawClient.connect(l.port())) {
            ByteBuf body = Unpooled.buffer();
            new AuthProof(new byte[Scram.PROOF_BYTES]).encode(body);
            byte[] bytes = new byte[body.readableBytes()];
            body.readBytes(bytes);
            raw.send(RawClient.request(Opcode.AUTH, 3, 0, 0, 0, 0, bytes));
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(f.header().requestId()).isEqualTo(3);
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
            assertThat(f.errorMessage()).isEqualTo(AuthenticationFailure.MESSAGE);
            assertThat(raw.awaitEndOfStream()).as("server closes the connection").isTrue();
        }
        assertThat(h.hellos.get()).isZero();
    }

    @Test
    void aHelloOfAnotherVersionIsRefusedAndClosesTheConnection() throws Exception {
        ScramServer h = new ScramServer();
        Connections.Listener l = listen(() -> h);
        try (RawClient raw = RawClient.connect(l.port())) {
            raw.sendHello(Wire.VERSION - 1, Role.CLIENT, "alice", ScriptedNode.TOKEN, 4);
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(raw.awaitEndOfStream()).as("server closes the connection").isTrue();
        }
        assertThat(h.hellos.get()).as("the handler never sees it").isZero();
    }

    // ------------------------------------------------------------------ AcceptLater

    /** Lets every HELLO in once {@code later} completes. */
    private static RequestHandler acceptingLater(CompletableFuture<Object> later) {
        return new RequestHandler() {
            @Override
            public HelloDecision onHello(Peer peer, Hello hello) {
                return new HelloDecision.AcceptLater(later);
            }

            @Override
            public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
                String answer = "served " + peer.attachment();
                peer.reply(h, 0, 0, 0, 64, out -> Bodies.writeString(out, answer));
            }
        };
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void acceptLaterOpensTheSessionWhenItsFutureCompletes(Transport t) throws Exception {
        CompletableFuture<Object> later = new CompletableFuture<>();
        Connections.Listener l = listen(() -> acceptingLater(later));
        Dialled c = dial(t, "127.0.0.1", l.port());
        CompletableFuture<ClientHandshake.Session> hello = CompletableFuture.supplyAsync(() -> c.hello(ScriptedNode.token("bob")));
        // The answer waits for the future (a memory node fences an older session first).
        Thread.sleep(100);
        assertThat(hello).isNotDone();
        later.complete("bob's session");
        ClientHandshake.Session s = Await.result(hello, WAIT);
        assertThat(s.id()).isNotZero();
        assertThat(c.ask()).isEqualTo("served bob's session");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void acceptLaterFailingRefusesTheHelloWithItsCode(Transport t) {
        CompletableFuture<Object> later = CompletableFuture.failedFuture(
                new RememException(ErrorCode.OVERLOADED, "too many sessions of this tenant"));
        Connections.Listener l = listen(() -> acceptingLater(later));
        Dialled c = dial(t, "127.0.0.1", l.port());
        assertThatThrownBy(() -> c.hello(ScriptedNode.token("bob")))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.OVERLOADED);
                    assertThat(e.detail()).contains("too many sessions");
                });
    }

    /**
     * Every failed HELLO closes the connection (docs: "Any failed HELLO/AUTH closes the connection"), but when an
     * AcceptLater future fails, ServerHandshake.openLater only answers the error: the connection stays open until the
     * handshake timeout. Enable once main code closes it.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void acceptLaterFailingClosesTheConnection(Transport t) throws Exception {
        CompletableFuture<Object> later = CompletableFuture.failedFuture(
                new RememException(ErrorCode.OVERLOADED, "too many sessions of this tenant"));
        Connections.Listener l = listen(() -> acceptingLater(later));
        Dialled c = dial(t, "127.0.0.1", l.port());
        assertThat(catchThrowable(() -> c.hello(ScriptedNode.token("bob")))).isInstanceOf(RememException.class);
        c.awaitClosedByServer();
    }

    // ------------------------------------------------------------------ against fake servers

    /** Runs the client's handshake against {@code fake} in the background, since the test plays the server. */
    private CompletableFuture<ClientHandshake.Session> helloInBackground(Transport t, ScriptedNode fake,
                                                                        Credentials credentials) throws Exception {
        Dialled c = dial(t, fake.host(), fake.port());
        CompletableFuture<ClientHandshake.Session> hello = CompletableFuture.supplyAsync(() -> c.hello(credentials));
        fake.accept();
        return hello;
    }

    private static HelloReply.Challenge challenge(int saltBytes, int iterations) {
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        byte[] salt = new byte[saltBytes];
        RANDOM.nextBytes(salt);
        return new HelloReply.Challenge(nonce, salt, iterations);
    }

    /**
     * A fake server can challenge like the real one and take the proof, but without the secret's verifier it cannot
     * sign the transcript: the client must refuse its acceptance, so it never sends data to (or takes a grant from) an
     * impostor.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void aServerThatCannotSignTheTranscriptIsRefused(Transport t) throws Exception {
        try (ScriptedNode fake = new ScriptedNode()) {
            CompletableFuture<ClientHandshake.Session> hello =
                    helloInBackground(t, fake, Credentials.ofSecret("alice", secret));
            Request h = fake.nextRequest();
            assertThat(h.op()).isEqualTo(Opcode.HELLO);
            Hello sent = ScriptedNode.hello(h);
            assertThat(sent.keyId()).isEqualTo(secret.keyId());
            assertThat(sent.credential()).as("a secret is never sent").isEmpty();
            fake.send(ScriptedNode.response(h, ScriptedNode.encode(challenge(Scram.MIN_SALT, Scram.MIN_ITERATIONS))));

            Request auth = fake.nextRequest();
            assertThat(auth.op()).isEqualTo(Opcode.AUTH);
            assertThat(AuthProof.decode(Unpooled.wrappedBuffer(auth.body())).proof()).hasSize(Scram.PROOF_BYTES);
            byte[] forged = new byte[32];
            RANDOM.nextBytes(forged);
            fake.send(ScriptedNode.response(auth, ScriptedNode.encode(
                    new HelloReply.Accepted(Wire.VERSION, 5, "fake", 0, forged, GRANT))));

            assertAuthenticationFailed(Await.failure(hello, WAIT), "not the server it claims to be");
        }
    }

    /** A server that lets a secret in without checking it is not the holder of its verifier either. */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void aServerThatAcceptsASecretWithoutAChallengeIsRefused(Transport t) throws Exception {
        try (ScriptedNode fake = new ScriptedNode()) {
            CompletableFuture<ClientHandshake.Session> hello =
                    helloInBackground(t, fake, Credentials.ofSecret("alice", secret));
            Request h = fake.nextRequest();
            assertThat(h.op()).isEqualTo(Opcode.HELLO);
            fake.send(ScriptedNode.response(h, ScriptedNode.encode(
                    new HelloReply.Accepted(Wire.VERSION, 5, "fake", 0, new byte[0], GRANT))));

            assertAuthenticationFailed(Await.failure(hello, WAIT), "accepted a secret without checking it");
            assertThat(fake.pollRequest(Duration.ofMillis(200))).as("no proof was sent").isNull();
        }
    }

    /** The acceptance names the server's protocol version; a client does not talk to one of another version. */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void aServerOfAnotherVersionIsRefused(Transport t) throws Exception {
        try (ScriptedNode old = new ScriptedNode()) {
            CompletableFuture<ClientHandshake.Session> hello = helloInBackground(t, old, ScriptedNode.token("alice"));
            Request h = old.nextRequest();
            assertThat(ScriptedNode.hello(h).version()).isEqualTo(Wire.VERSION);
            old.send(ScriptedNode.response(h, ScriptedNode.encode(
                    new HelloReply.Accepted(Wire.VERSION - 1, 5, "old", 0, new byte[0], new byte[0]))));
            RememException e = Await.failure(hello, WAIT);
            assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(e.detail()).contains("version " + (Wire.VERSION - 1));
        }
    }

    /**
     * A challenge with too few iterations would weaken the proof a fake server collects; too many would make the
     * client spin (MAX + 1 iterations take many seconds). Either is refused before any stretching, so quickly, and no
     * proof is sent.
     */
    @ParameterizedTest(name = "{0}: {1} iterations, {2}-byte salt")
    @CsvSource({"PEER, 4095, 16", "PEER, 10000001, 16", "LINK, 4095, 16", "LINK, 10000001, 16", "PEER, 4096, 8"})
    void aChallengeOutsideTheBoundsIsRefusedBeforeComputingAnything(Transport t, int iterations, int saltBytes)
            throws Exception {
        assertThat(iterations == Scram.MIN_ITERATIONS - 1 || iterations == Scram.MAX_ITERATIONS + 1
                || saltBytes < Scram.MIN_SALT).as("the cases sit just outside the bounds").isTrue();
        try (ScriptedNode fake = new ScriptedNode()) {
            CompletableFuture<ClientHandshake.Session> hello =
                    helloInBackground(t, fake, Credentials.ofSecret("alice", secret));
            Request h = fake.nextRequest();
            long t0 = System.nanoTime();
            fake.send(ScriptedNode.response(h, ScriptedNode.encode(challenge(saltBytes, iterations))));

            RememException e = Await.failure(hello, WAIT);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
            assertAuthenticationFailed(e, saltBytes < Scram.MIN_SALT ? "salt" : iterations + " iterations");
            assertThat(fake.pollRequest(Duration.ofMillis(200))).as("no proof was sent").isNull();
        }
    }
}
