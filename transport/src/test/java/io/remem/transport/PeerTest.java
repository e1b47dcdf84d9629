package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Frames;
import io.remem.protocol.Hello;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.Credentials;
import io.remem.testkit.Await;
import io.remem.testkit.RawClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class PeerTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private static EventLoops loops;
    private static ScheduledExecutorService replier;

    private TestHandler handler;
    private Connections.Listener server;
    private final List<Peer> clients = new ArrayList<>();

    /**
     * The server side of every test. READ echoes the body and the header fields at once; WRITEV echoes the body
     * later, from another thread, after a random delay (so responses overtake each other); CAS is never
     * answered; FAA throws a RuntimeException; SLAB_DELETE throws ACCESS_DENIED. A HELLO for tenant "denied" is
     * refused; any other is let in at once, as a memory node lets in a token holder.
     */
    static final class TestHandler implements RequestHandler {
        final AtomicInteger requests = new AtomicInteger();
        final AtomicInteger unanswered = new AtomicInteger();
        /** {@link FrameHeader#isRetry()} of every request passed to the handler, in order. */
        final ConcurrentLinkedQueue<Boolean> retries = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Peer> closed = new ConcurrentLinkedQueue<>();

        @Override
        public HelloDecision onHello(Peer peer, Hello hello) {
            if ("denied".equals(hello.principal())) {
                throw new RememException(ErrorCode.ACCESS_DENIED, "tenant denied may not connect");
            }
            return new HelloDecision.Accept(hello.principal());
        }

        @Override
        public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
            requests.incrementAndGet();
            retries.add(h.isRetry());
            switch (h.opcode()) {
                case READ -> {
                    byte[] copy = bytes(body);
                    peer.reply(h, h.slabId(), h.offset(), h.length(), copy.length, out -> out.writeBytes(copy));
                }
                case WRITEV -> {
                    byte[] copy = bytes(body);
                    Reply r = peer.replyLater(h);
                    replier.schedule(() -> r.send(copy.length, out -> out.writeBytes(copy)),
                            ThreadLocalRandom.current().nextInt(0, 2000), TimeUnit.MICROSECONDS);
                }
                case CAS -> unanswered.incrementAndGet();
                case FAA -> throw new IllegalStateException("handler bug");
                case SLAB_DELETE -> throw new RememException(ErrorCode.ACCESS_DENIED, "not your slab");
                default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " not served here");
            }
        }

        @Override
        public void onClose(Peer peer) {
            closed.add(peer);
        }

        private static byte[] bytes(ByteBuf body) {
            byte[] b = new byte[body.readableBytes()];
            body.getBytes(body.readerIndex(), b);
            return b;
        }
    }

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create("peer-test", 4);
        replier = Executors.newScheduledThreadPool(4);
    }

    @AfterAll
    static void stopLoops() {
        replier.shutdownNow();
        loops.close();
    }

    @BeforeEach
    void startServer() {
        handler = new TestHandler();
        server = Connections.listen(loops, "127.0.0.1", 0, () -> handler, "test-server", CALL_TIMEOUT,
                ServerLimits.DEFAULTS, null);
    }

    @AfterEach
    void stopServer() {
        clients.forEach(Peer::close);
        server.close();
    }

    private Peer connect(Duration callTimeout) {
        Peer p = Connections.connect(loops, "127.0.0.1", server.port(), null, "test-client", Duration.ofSeconds(2), callTimeout);
        clients.add(p);
        return p;
    }

    private Peer session(Duration callTimeout) {
        Peer p = connect(callTimeout);
        p.hello(Role.CLIENT, token("t1"));
        return p;
    }

    private static Credentials token(String tenant) {
        return ScriptedNode.token(tenant);
    }

    private static BodyWriter longs(long a, long b) {
        return out -> {
            out.writeLong(a);
            out.writeLong(b);
        };
    }

    private static CompletableFuture<long[]> echo(Peer p, Opcode op, long a, long b) {
        return p.call(op, a, b, (int) (a ^ b), 16, longs(a, b),
                (h, body) -> new long[] {body.readLong(), body.readLong(), h.slabId(), h.offset(), h.length()});
    }

    @Test
    void helloOpensASessionAndEchoWorks() throws Exception {
        Peer p = connect(CALL_TIMEOUT);
        assertThat(p.hasSession()).isFalse();
        ClientHandshake.Session s = p.hello(Role.CLIENT, token("t1"));
        assertThat(s.id()).isNotZero();
        assertThat(s.server()).isEqualTo("test-server");
        assertThat(s.grant()).as("a token holder is granted nothing more").isEmpty();
        assertThat(s.binding()).as("only a proven secret binds a session").isEmpty();
        assertThat(p.session()).isEqualTo(s.id());
        assertThat(p.hasSession()).isTrue();
        assertThat(p.features()).isZero();
        long[] r = Await.result(echo(p, Opcode.READ, 7, 9), WAIT);
        assertThat(r).containsExactly(7, 9, 7, 9, 7 ^ 9);
        assertThat(p.isOpen()).isTrue();
        assertThat(p.inFlight()).isZero();
    }

    @Test
    void pipelinedCallsFromManyThreadsOnOneConnectionGetTheirOwnAnswers() throws Exception {
        Peer p = session(CALL_TIMEOUT);
        int threads = 32;
        int callsPerThread = 200;
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Integer>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long thread = t;
            CompletableFuture<Integer> done = new CompletableFuture<>();
            workers.add(done);
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    start.await();
                    List<CompletableFuture<long[]>> calls = new ArrayList<>(callsPerThread);
                    for (int i = 0; i < callsPerThread; i++) {
                        // Odd calls are answered late and out of order, even ones at once.
                        calls.add(echo(p, i % 2 == 0 ? Opcode.READ : Opcode.WRITEV, thread, i));
                    }
                    int ok = 0;
                    for (int i = 0; i < callsPerThread; i++) {
                        long[] r = calls.get(i).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                        if (r[0] != thread || r[1] != i) {
                            throw new AssertionError("thread " + thread + " call " + i + " got the answer to ("
                                    + r[0] + ", " + r[1] + ")");
                        }
                        if (i % 2 == 0 && (r[2] != thread || r[3] != i || r[4] != (thread ^ i))) {
                            throw new AssertionError("thread " + thread + " call " + i + ": header fields not echoed");
                        }
                        ok++;
                    }
                    done.complete(ok);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
        }
        start.countDown();
        int total = 0;
        for (CompletableFuture<Integer> w : workers) {
            total += Await.result(w, Duration.ofSeconds(15));
        }
        assertThat(total).isEqualTo(threads * callsPerThread);
        assertThat(handler.requests.get()).isEqualTo(threads * callsPerThread);
        assertThat(p.inFlight()).isZero();
        assertThat(p.isOpen()).isTrue();
    }

    @Test
    void unansweredCallFailsWithTimeout() throws Exception {
        Peer p = session(Duration.ofMillis(300));
        long t0 = System.nanoTime();
        RememException e = Await.failure(p.call(Opcode.CAS, 1, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> "answered"), WAIT);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(elapsedMillis).isGreaterThanOrEqualTo(250).isLessThan(3000);
        assertThat(p.inFlight()).isZero();
        // A timed-out call does not spoil the connection.
        assertThat(Await.result(echo(p, Opcode.READ, 1, 2), WAIT)).startsWith(1, 2);
    }

    @Test
    void perCallTimeoutOverridesTheDefault() throws Exception {
        Peer p = session(CALL_TIMEOUT);
        RememException e = Await.failure(p.call(Opcode.CAS, 1, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> "answered",
                TimeUnit.MILLISECONDS.toNanos(200)), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
    }

    @Test
    void closingTheServerFailsPendingCallsWithConnectionClosed() throws Exception {
        Peer p = session(Duration.ofSeconds(30));
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(p.call(Opcode.CAS, i, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> "answered"));
        }
        Await.until(() -> handler.unanswered.get() == 5, WAIT, "server received all five requests");
        assertThat(p.inFlight()).isEqualTo(5);

        server.close();

        for (CompletableFuture<String> c : calls) {
            assertThat(Await.failure(c, WAIT).code()).isEqualTo(ErrorCode.CONNECTION_CLOSED);
        }
        Await.result(p.closeFuture(), WAIT);
        assertThat(p.isOpen()).isFalse();
        assertThat(p.inFlight()).isZero();
        assertThat(Await.failure(echo(p, Opcode.READ, 1, 1), WAIT).code()).isEqualTo(ErrorCode.CONNECTION_CLOSED);
        Await.until(() -> handler.closed.size() == 1, WAIT, "server handler saw the close");
    }

    @Test
    void closingTheClientFailsItsPendingCalls() throws Exception {
        Peer p = session(Duration.ofSeconds(30));
        CompletableFuture<String> call = p.call(Opcode.CAS, 1, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> "answered");
        Await.until(() -> handler.unanswered.get() == 1, WAIT, "server received the request");
        p.close();
        assertThat(Await.failure(call, WAIT).code()).isEqualTo(ErrorCode.CONNECTION_CLOSED);
        Await.result(p.closeFuture(), WAIT);
    }

    @Test
    void requestsBeforeHelloAreNotAuthenticated() throws Exception {
        Peer p = connect(CALL_TIMEOUT);
        assertThat(Await.failure(echo(p, Opcode.READ, 1, 2), WAIT).code()).isEqualTo(ErrorCode.NOT_AUTHENTICATED);
        assertThat(handler.requests.get()).isZero();
        // PING needs no session, and the refusal did not close the connection.
        byte[] ping = Await.result(p.call(Opcode.PING, 0, 0, 0, 3, out -> out.writeBytes(new byte[] {1, 2, 3}),
                (h, b) -> {
                    byte[] x = new byte[b.readableBytes()];
                    b.readBytes(x);
                    return x;
                }), WAIT);
        assertThat(ping).containsExactly(1, 2, 3);
        p.hello(Role.CLIENT, token("t1"));
        assertThat(Await.result(echo(p, Opcode.READ, 1, 2), WAIT)).startsWith(1, 2);
    }

    @Test
    void secondHelloOnASessionIsRefused() throws Exception {
        Peer p = session(CALL_TIMEOUT);
        assertThatThrownBy(() -> p.hello(Role.CLIENT, token("t1")))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(Await.result(echo(p, Opcode.READ, 3, 4), WAIT)).startsWith(3, 4);
    }

    @Test
    void helloRefusedByTheHandlerCarriesItsCodeAndClosesTheConnection() throws Exception {
        Peer p = connect(CALL_TIMEOUT);
        assertThatThrownBy(() -> p.hello(Role.CLIENT, token("denied")))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.ACCESS_DENIED);
                    assertThat(e.detail()).contains("may not connect");
                });
        // A failed handshake ends the connection, so a refused client cannot try again and again on it.
        Await.result(p.closeFuture(), WAIT);
        assertThat(p.hasSession()).isFalse();
        assertThat(Await.failure(echo(p, Opcode.READ, 1, 2), WAIT).code()).isEqualTo(ErrorCode.CONNECTION_CLOSED);
        assertThat(handler.requests.get()).isZero();
    }

    @Test
    void frameNamingAnotherSessionIsRefusedWithSessionMismatch() throws Exception {
        try (RawClient raw = RawClient.connect(server.port())) {
            int session = raw.hello(Role.CLIENT, "t1", 0, ScriptedNode.TOKEN, 1).session();
            assertThat(session).isNotZero();

            raw.send(RawClient.request(Opcode.READ, 2, session + 1, 5, 6, 0, new byte[] {42}));
            RawClient.Frame bad = raw.readFrame();
            assertThat(bad).isNotNull();
            assertThat(bad.header().isResponse()).isTrue();
            assertThat(bad.header().requestId()).isEqualTo(2);
            assertThat(ErrorCode.ofCode(bad.header().status())).isEqualTo(ErrorCode.SESSION_MISMATCH);
            assertThat(handler.requests.get()).isZero();

            // The same connection still serves the right session.
            raw.send(RawClient.request(Opcode.READ, 3, session, 5, 6, 0, new byte[] {42}));
            RawClient.Frame good = raw.readFrame();
            assertThat(good).isNotNull();
            assertThat(good.header().status()).isZero();
            assertThat(good.header().requestId()).isEqualTo(3);
            assertThat(good.body()).containsExactly(42);
        }
    }

    @Test
    void runtimeExceptionInHandlerBecomesInternalAndConnectionStaysUsable() throws Exception {
        Peer p = session(CALL_TIMEOUT);
        RememException e = Await.failure(p.call(Opcode.FAA, 1, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> "answered"), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(e.detail()).contains("handler bug");
        assertThat(p.isOpen()).isTrue();
        assertThat(Await.result(echo(p, Opcode.READ, 5, 6), WAIT)).startsWith(5, 6);
    }

    @Test
    void rememExceptionInHandlerKeepsItsCodeAndMessage() throws Exception {
        Peer p = session(CALL_TIMEOUT);
        RememException e = Await.failure(p.call(Opcode.SLAB_DELETE, 1, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> "answered"), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.ACCESS_DENIED);
        assertThat(e.detail()).isEqualTo("not your slab");
        assertThat(p.isOpen()).isTrue();
        assertThat(Await.result(echo(p, Opcode.READ, 5, 6), WAIT)).startsWith(5, 6);
    }

    @Test
    void failingResponseReaderFailsOnlyThatCall() throws Exception {
        Peer p = session(CALL_TIMEOUT);
        RememException e = Await.failure(p.call(Opcode.READ, 1, 2, 0, 16, longs(1, 2), (h, b) -> {
            throw new RememException(ErrorCode.MALFORMED_FRAME, "reader refused");
        }), WAIT);
        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
        assertThat(Await.result(echo(p, Opcode.READ, 5, 6), WAIT)).startsWith(5, 6);
    }

    @Test
    void preEncodedBodyIsSentWithoutCopy() throws Exception {
        Peer p = session(CALL_TIMEOUT);
        ByteBuf body = Unpooled.buffer(16).writeLong(11).writeLong(12);
        long[] r = Await.result(p.call(Opcode.READ, 11, 12, 3, body,
                (h, b) -> new long[] {b.readLong(), b.readLong(), h.length()}), WAIT);
        assertThat(r).containsExactly(11, 12, 3);
        assertThat(body.refCnt()).isZero();
    }

    @Test
    void endpointWithoutHandlerRefusesRequestsWithWrongRole() throws Exception {
        // The server-side peer calls the client, whose Peer has no handler.
        CompletableFuture<Peer> serverSide = new CompletableFuture<>();
        try (Connections.Listener l = Connections.listen(loops, "127.0.0.1", 0, () -> new RequestHandler() {
            @Override
            public HelloDecision onHello(Peer peer, Hello hello) {
                serverSide.complete(peer);
                return new HelloDecision.Accept(null);
            }

            @Override
            public void onRequest(Peer peer, FrameHeader header, ByteBuf body) {}
        }, "s", CALL_TIMEOUT, ServerLimits.DEFAULTS, null)) {
            Peer c = Connections.connect(loops, "127.0.0.1", l.port(), null, "c", WAIT, CALL_TIMEOUT);
            try {
                c.hello(Role.CLIENT, token("t1"));
                Peer s = Await.result(serverSide, WAIT);
                RememException e = Await.failure(s.call(Opcode.READ, 1, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> "x"), WAIT);
                assertThat(e.code()).isEqualTo(ErrorCode.WRONG_ROLE);
            } finally {
                c.close();
            }
        }
    }

    // ------------------------------------------------------------------ malformed input over a raw socket

    @Test
    void badVersionGetsAnErrorAndTheConnectionIsClosed() throws Exception {
        try (RawClient raw = RawClient.connect(server.port())) {
            ByteBuf frame = RawClient.request(Opcode.PING, 77, 0, 0, 0, 0, new byte[0]);
            frame.setByte(Wire.LENGTH_FIELD_BYTES, 9); // version
            raw.send(frame);
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(f.header().isResponse()).isTrue();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(f.header().requestId()).isEqualTo(77);
            assertThat(raw.awaitEndOfStream()).as("server closes the connection").isTrue();
        }
    }

    @Test
    void oversizedLengthPrefixGetsAnErrorAndTheConnectionIsClosed() throws Exception {
        try (RawClient raw = RawClient.connect(server.port())) {
            raw.send(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 0, 0});
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(f.header().status()).isNotZero();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(raw.awaitEndOfStream()).as("server closes the connection").isTrue();
        }
    }

    @Test
    void frameShorterThanAHeaderGetsAnErrorAndTheConnectionIsClosed() throws Exception {
        try (RawClient raw = RawClient.connect(server.port())) {
            raw.send(new byte[] {0, 0, 0, 3, 1, 2, 0});
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(raw.awaitEndOfStream()).as("server closes the connection").isTrue();
        }
    }

    @Test
    void unknownOpcodeGetsAnErrorAndTheConnectionStaysOpen() throws Exception {
        try (RawClient raw = RawClient.connect(server.port())) {
            ByteBuf frame = RawClient.request(Opcode.PING, 5, 0, 0, 0, 0, new byte[] {1, 2, 3});
            frame.setByte(Wire.LENGTH_FIELD_BYTES + 1, 0x7f); // opcode
            raw.send(frame);
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.UNKNOWN_OPCODE);
            assertThat(f.header().requestId()).isEqualTo(5);
            assertThat(f.header().opcodeCode()).isEqualTo(0x7f);

            raw.send(RawClient.request(Opcode.PING, 6, 0, 0, 0, 0, new byte[] {9, 8}));
            RawClient.Frame pong = raw.readFrame();
            assertThat(pong).isNotNull();
            assertThat(pong.header().status()).isZero();
            assertThat(pong.header().requestId()).isEqualTo(6);
            assertThat(pong.body()).containsExactly(9, 8);
        }
        // And the server still serves everyone else.
        Peer p = session(CALL_TIMEOUT);
        assertThat(Await.result(echo(p, Opcode.READ, 1, 2), WAIT)).startsWith(1, 2);
    }

    @Test
    void aRetriedRequestReachesTheHandlerMarkedAsARetry() throws Exception {
        try (RawClient raw = RawClient.connect(server.port())) {
            int session = raw.hello(Role.CLIENT, "t1", 0, ScriptedNode.TOKEN, 1).session();
            ByteBuf retried = RawClient.request(Opcode.READ, 2, session, 5, 6, 0, new byte[] {42});
            retried.setShort(Wire.LENGTH_FIELD_BYTES + 2, Wire.FLAG_RETRY); // flags
            raw.send(retried);
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(f.header().isResponse()).isTrue();
            assertThat(f.header().status()).isZero();
            assertThat(f.header().requestId()).isEqualTo(2);
            assertThat(f.body()).containsExactly(42);

            raw.send(RawClient.request(Opcode.READ, 3, session, 5, 6, 0, new byte[] {43}));
            RawClient.Frame plain = raw.readFrame();
            assertThat(plain).isNotNull();
            assertThat(plain.header().status()).isZero();
            assertThat(plain.body()).containsExactly(43);
        }
        assertThat(handler.retries).containsExactly(true, false);
    }

    @Test
    void requestWithAnUnknownFlagIsMalformedAndClosesTheConnection() throws Exception {
        try (RawClient raw = RawClient.connect(server.port())) {
            int session = raw.hello(Role.CLIENT, "t1", 0, ScriptedNode.TOKEN, 1).session();
            ByteBuf frame = RawClient.request(Opcode.READ, 4, session, 5, 6, 0, new byte[] {1});
            frame.setShort(Wire.LENGTH_FIELD_BYTES + 2, Wire.FLAG_RETRY | 4); // bit 2 means nothing yet
            raw.send(frame);
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(f.header().requestId()).isEqualTo(4);
            assertThat(raw.awaitEndOfStream()).as("server closes the connection").isTrue();
        }
        assertThat(handler.requests.get()).isZero();
    }

    @Test
    void requestWithAStatusIsMalformedAndClosesTheConnection() throws Exception {
        try (RawClient raw = RawClient.connect(server.port())) {
            ByteBuf frame = RawClient.request(Opcode.PING, 8, 0, 0, 0, 0, new byte[0]);
            frame.setInt(Wire.LENGTH_FIELD_BYTES + 4, 3); // status in a request
            raw.send(frame);
            RawClient.Frame f = raw.readFrame();
            assertThat(f).isNotNull();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(raw.awaitEndOfStream()).isTrue();
        }
    }

    @Test
    void unsolicitedResponseIsIgnored() throws Exception {
        try (RawClient raw = RawClient.connect(server.port())) {
            ByteBuf bogus = Unpooled.buffer();
            int start = Frames.beginResponse(bogus, Opcode.READ.code(), 12345, 0, 0, 0, 0);
            Frames.finish(bogus, start);
            raw.send(bogus);
            raw.send(RawClient.request(Opcode.PING, 9, 0, 0, 0, 0, new byte[] {1}));
            RawClient.Frame pong = raw.readFrame();
            assertThat(pong).isNotNull();
            assertThat(pong.header().requestId()).isEqualTo(9);
            assertThat(pong.header().status()).isZero();
        }
    }
}
