package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.testkit.Await;
import io.remem.testkit.RawClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What {@link ServerLimits} bound, seen from a raw client that misbehaves on purpose: frames too large before the
 * session is open, connections that never open one, frames that never finish, one connection too many, and answers
 * left unread.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServerLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private static EventLoops loops;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final EchoHandler handler = new EchoHandler();

    /**
     * Lets every HELLO in; answers any request of a session with its body, or, if it has none, with as many bytes as
     * its header's length asks for (a READ); counts them.
     */
    static final class EchoHandler implements RequestHandler {
        final AtomicInteger served = new AtomicInteger();

        @Override
        public HelloDecision onHello(Peer peer, Hello hello) {
            return new HelloDecision.Accept(hello.principal());
        }

        @Override
        public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
            served.incrementAndGet();
            if (!body.isReadable()) {
                int n = h.length();
                peer.reply(h, h.slabId(), h.offset(), n, n, out -> out.writeZero(n));
                return;
            }
            ByteBuf echo = body.retainedSlice();
            try {
                peer.reply(h, 0, 0, echo.readableBytes(), echo.readableBytes(), out -> out.writeBytes(echo));
            } finally {
                echo.release();
            }
        }
    }

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create("limits-test", 2);
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : resources.reversed()) {
            c.close();
        }
    }

    private Connections.Listener listen(ServerLimits limits) {
        Connections.Listener l = Connections.listen(loops, "127.0.0.1", 0, () -> handler, "limited", CALL_TIMEOUT,
                limits, null);
        resources.add(l);
        return l;
    }

    private RawClient raw(Connections.Listener l) throws IOException {
        RawClient c = RawClient.connect(l.port());
        resources.add(c);
        return c;
    }

    /** A PING whose frame length (header and body, without the length prefix) is exactly {@code frameLength}. */
    private static ByteBuf pingOfFrameLength(long requestId, int frameLength) {
        byte[] body = new byte[frameLength - Wire.HEADER_BYTES];
        body[0] = (byte) requestId;
        return RawClient.request(Opcode.PING, requestId, 0, 0, 0, 0, body);
    }

    /** Sends a PING and checks its echo: the connection is open and served. */
    private static void assertPingAnswered(RawClient c, long requestId) throws IOException {
        c.send(RawClient.request(Opcode.PING, requestId, 0, 0, 0, 0, new byte[] {(byte) requestId, 2, 3}));
        RawClient.Frame f = c.readFrame();
        assertThat(f).as("an answer to PING " + requestId).isNotNull();
        assertThat(f.header().status()).isZero();
        assertThat(f.header().requestId()).isEqualTo(requestId);
        assertThat(f.body()).containsExactly((byte) requestId, 2, 3);
    }

    /** Sends a request of the session and checks its echo: the session is open and served by the handler. */
    private static void assertSessionServed(RawClient c, int session, long requestId) throws IOException {
        c.send(RawClient.request(Opcode.READ, requestId, session, 1, 0, 1, new byte[] {(byte) requestId}));
        RawClient.Frame f = c.readFrame();
        assertThat(f).as("an answer to request " + requestId).isNotNull();
        assertThat(f.header().status()).isZero();
        assertThat(f.header().requestId()).isEqualTo(requestId);
        assertThat(f.body()).containsExactly((byte) requestId);
    }

    // ------------------------------------------------------------------ before the session is open

    @Test
    void aFrameLargerThanThePreAuthLimitBeforeHelloIsRefusedAndClosed() throws Exception {
        Connections.Listener l = listen(ServerLimits.DEFAULTS.withPreAuthFrameBytes(1024));
        try (RawClient c = RawClient.connect(l.port())) {
            // Only the length prefix and the start of the header: the server must not wait for the rest.
            byte[] start = new byte[Wire.LENGTH_FIELD_BYTES + 8];
            ByteBuffer.wrap(start).putInt(1025).put((byte) Wire.VERSION).put((byte) Opcode.PING.code());
            c.send(start);
            RawClient.Frame f = c.readFrame();
            assertThat(f).isNotNull();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(f.errorMessage()).contains("1025").contains("before the session is open");
            assertThat(c.awaitEndOfStream()).as("server closes the connection").isTrue();
        }
        assertThat(handler.served.get()).isZero();
    }

    @Test
    void theLimitItselfIsAllowedBeforeHelloAndLargerFramesAfterIt() throws Exception {
        Connections.Listener l = listen(ServerLimits.DEFAULTS.withPreAuthFrameBytes(1024));
        RawClient c = raw(l);
        c.send(pingOfFrameLength(1, 1024));
        RawClient.Frame f = c.readFrame();
        assertThat(f).isNotNull();
        assertThat(f.header().status()).isZero();
        assertThat(f.body()).hasSize(1024 - Wire.HEADER_BYTES);

        // Once the session is open the limit is the protocol's, not the pre-auth one.
        int session = c.hello(Role.CLIENT, "t1", 0, ScriptedNode.TOKEN, 2).session();
        byte[] big = new byte[64 << 10];
        big[big.length - 1] = 42;
        c.send(RawClient.request(Opcode.READ, 3, session, 1, 0, 1, big));
        RawClient.Frame echoed = c.readFrame();
        assertThat(echoed).isNotNull();
        assertThat(echoed.header().status()).isZero();
        assertThat(echoed.body()).isEqualTo(big);
    }

    @Test
    void aConnectionThatOpensNoSessionIsClosedAfterTheHandshakeTimeout() throws Exception {
        Connections.Listener l = listen(ServerLimits.DEFAULTS.withHandshakeTimeout(Duration.ofMillis(300)));
        RawClient idle = raw(l);
        long t0 = System.nanoTime();
        // PING needs no session, and does not count as one: the connection is closed all the same.
        assertPingAnswered(idle, 1);
        assertThat(idle.awaitEndOfStream()).as("server closes the idle connection").isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(250);

        // A connection that opens its session in time is not closed when the timeout passes.
        RawClient prompt = raw(l);
        int session = prompt.hello(Role.CLIENT, "t1", 0, ScriptedNode.TOKEN, 1).session();
        Thread.sleep(600);
        assertSessionServed(prompt, session, 2);
    }

    @Test
    void aFrameBegunAndNotFinishedWithinTheFrameTimeoutClosesTheConnection() throws Exception {
        Connections.Listener l = listen(ServerLimits.DEFAULTS.withFrameTimeout(Duration.ofMillis(300)));
        RawClient c = raw(l);
        int session = c.hello(Role.CLIENT, "t1", 0, ScriptedNode.TOKEN, 1).session();

        // A frame that arrives in pieces, but within the timeout, is fine.
        byte[] frame = bytes(RawClient.request(Opcode.READ, 2, session, 1, 0, 1, new byte[100]));
        c.send(ByteBuffer.wrap(frame, 0, 30));
        Thread.sleep(100);
        c.send(ByteBuffer.wrap(frame, 30, frame.length - 30));
        RawClient.Frame f = c.readFrame();
        assertThat(f).isNotNull();
        assertThat(f.header().status()).isZero();
        assertThat(f.header().requestId()).isEqualTo(2);

        // One that stops half way holds the server's buffer open: it is closed.
        byte[] stuck = bytes(RawClient.request(Opcode.READ, 3, session, 1, 0, 1, new byte[100]));
        long t0 = System.nanoTime();
        c.send(ByteBuffer.wrap(stuck, 0, 60));
        assertThat(c.awaitEndOfStream()).as("server closes the connection").isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(250);
        assertThat(handler.served.get()).isEqualTo(1);
    }

    @Test
    void oneConnectionOverTheLimitIsOverloadedWhileTheOthersKeepWorking() throws Exception {
        Connections.Listener l = listen(ServerLimits.DEFAULTS.withMaxConnections(2));
        RawClient first = raw(l);
        int s1 = first.hello(Role.CLIENT, "t1", 0, ScriptedNode.TOKEN, 1).session();
        RawClient second = raw(l);
        int s2 = second.hello(Role.CLIENT, "t2", 0, ScriptedNode.TOKEN, 1).session();

        try (RawClient third = RawClient.connect(l.port())) {
            third.sendHello(Wire.VERSION, Role.CLIENT, "t3", ScriptedNode.TOKEN, 1);
            RawClient.Frame f = third.readFrame();
            assertThat(f).isNotNull();
            assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.OVERLOADED);
            assertThat(f.errorMessage()).contains("limit of 2 connections");
            assertThat(third.awaitEndOfStream()).as("server closes the connection").isTrue();
        }
        assertSessionServed(first, s1, 2);
        assertSessionServed(second, s2, 2);

        // The limit counts connections open now: once one closes, a new one gets in. The server notices the close
        // asynchronously, so a new connection may still find it full for a moment.
        first.close();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try (RawClient next = RawClient.connect(l.port())) {
                next.sendHello(Wire.VERSION, Role.CLIENT, "t4", ScriptedNode.TOKEN, 1);
                RawClient.Frame f = next.readFrame();
                assertThat(f).isNotNull();
                if (f.header().status() == 0) {
                    break;
                }
                assertThat(ErrorCode.ofCode(f.header().status())).isEqualTo(ErrorCode.OVERLOADED);
                assertThat(System.nanoTime()).as("a connection got in after one closed").isLessThan(deadline);
                Thread.sleep(20);
            }
        }
        assertSessionServed(second, s2, 3);
    }

    // ------------------------------------------------------------------ backpressure

    /**
     * A client that pipelines requests with large answers and never reads them: the server must stop reading its
     * requests once about maxPendingBytes of answers wait, so what it holds for the client stays bounded by that (plus
     * what the kernel buffers) instead of growing with the requests; once the client reads, everything is answered.
     */
    @Test
    void aClientThatDoesNotReadItsAnswersStopsTheServerReadingItsRequests() throws Exception {
        int maxPending = 256 << 10;
        Connections.Listener l = listen(ServerLimits.DEFAULTS.withMaxPendingBytes(maxPending));
        // A small receive window, so the client's kernel holds little of the answers it leaves unread.
        RawClient c = RawClient.connect(l.port(), 64 << 10);
        resources.add(c);
        int session = c.hello(Role.CLIENT, "t1", 0, ScriptedNode.TOKEN, 1).session();

        int requests = 40;
        int bodyBytes = 1 << 20;
        CompletableFuture<Void> sent = new CompletableFuture<>();
        AtomicInteger handed = new AtomicInteger();
        Thread.ofPlatform().daemon().name("pipelining-sender").start(() -> {
            try {
                for (int i = 0; i < requests; i++) {
                    byte[] body = new byte[bodyBytes];
                    ByteBuffer.wrap(body).putInt(i).putInt(bodyBytes - 8, ~i);
                    // Patient: the server is meant to stop reading for a while.
                    c.send(ByteBuffer.wrap(bytes(RawClient.request(Opcode.READ, 100 + i, session, 1, 0, 1, body))),
                            Duration.ofSeconds(20));
                    handed.incrementAndGet();
                }
                sent.complete(null);
            } catch (Throwable e) {
                sent.completeExceptionally(e);
            }
        });

        // Let the server serve what it will; it must level off well short of every request.
        int plateau = awaitSteady(handler.served, Duration.ofMillis(300));
        assertThat(plateau).as("requests served while the client reads nothing").isGreaterThan(0)
                .isLessThan(requests / 2);
        assertThat(handed.get()).as("requests the sender got into the sockets: the server stopped reading them")
                .isLessThan(requests);
        assertThat(sent).isNotDone();

        for (int i = 0; i < requests; i++) {
            RawClient.Frame f = c.readFrame();
            assertThat(f).as("answer " + i).isNotNull();
            assertThat(f.header().status()).isZero();
            assertThat(f.header().requestId()).isEqualTo(100 + i);
            ByteBuffer body = ByteBuffer.wrap(f.body());
            assertThat(body.remaining()).isEqualTo(bodyBytes);
            assertThat(body.getInt(0)).isEqualTo(i);
            assertThat(body.getInt(bodyBytes - 8)).isEqualTo(~i);
        }
        Await.result(sent, WAIT);
        assertThat(handler.served.get()).isEqualTo(requests);
    }

    /**
     * As above with requests of a few dozen bytes whose answers are 1 MiB each (READs). The server reads requests in
     * chunks (its first read takes 2 KiB, later ones up to 64 KiB), so turning autoRead off alone would still serve
     * every request of a chunk: 46 of them, 46 MiB, for a client allowed 256 KiB. The server must hold back the rest of
     * the chunk too until the client reads.
     */
    @Test
    void smallRequestsWithLargeAnswersAreBoundedByMaxPendingBytesToo() throws Exception {
        int maxPending = 256 << 10;
        Connections.Listener l = listen(ServerLimits.DEFAULTS.withMaxPendingBytes(maxPending));
        RawClient c = RawClient.connect(l.port(), 64 << 10);
        resources.add(c);
        int session = c.hello(Role.CLIENT, "t1", 0, ScriptedNode.TOKEN, 1).session();

        int requests = 100;
        int answerBytes = 1 << 20;
        ByteBuf all = Unpooled.buffer();
        for (int i = 0; i < requests; i++) {
            ByteBuf r = RawClient.request(Opcode.READ, 100 + i, session, 1, 0, answerBytes, new byte[0]);
            all.writeBytes(r);
            r.release();
        }
        c.send(all);

        // At most maxPendingBytes wait in the server, plus what the kernel buffers (its send buffer grows to 4 MiB
        // by default on Linux, the client's receive buffer is small): a handful of answers, not dozens.
        int plateau = awaitSteady(handler.served, Duration.ofMillis(500));
        assertThat(plateau).as("1 MiB answers served while the client reads nothing").isLessThan(16);

        for (int i = 0; i < requests; i++) {
            RawClient.Frame f = c.readFrame();
            assertThat(f).isNotNull();
            assertThat(f.header().requestId()).isEqualTo(100 + i);
            assertThat(f.body()).hasSize(answerBytes);
        }
    }

    /** The value of {@code counter} once it has not changed for {@code quiet}. */
    private static int awaitSteady(AtomicInteger counter, Duration quiet) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int last = counter.get();
        long since = System.nanoTime();
        while (System.nanoTime() - since < quiet.toNanos()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still growing after " + WAIT + ": " + counter.get());
            }
            Thread.sleep(20);
            int now = counter.get();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            }
        }
        return last;
    }

    private static byte[] bytes(ByteBuf b) {
        try {
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } finally {
            b.release();
        }
    }

    @Test
    void limitsOutsideTheirBoundsAreRefused() {
        assertThatThrownBy(() -> ServerLimits.DEFAULTS.withMaxConnections(0))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> ServerLimits.DEFAULTS.withPreAuthFrameBytes(ServerLimits.MIN_PRE_AUTH_FRAME_BYTES - 1))
                .isInstanceOf(RememException.class);
        assertThatThrownBy(() -> ServerLimits.DEFAULTS.withPreAuthFrameBytes(Wire.MAX_FRAME_BYTES + 1))
                .isInstanceOf(RememException.class);
        assertThatThrownBy(() -> ServerLimits.DEFAULTS.withMaxPendingBytes((64 << 10) - 1))
                .isInstanceOf(RememException.class);
        assertThatThrownBy(() -> ServerLimits.DEFAULTS.withHandshakeTimeout(Duration.ZERO))
                .isInstanceOf(RememException.class);
        assertThatThrownBy(() -> ServerLimits.DEFAULTS.withFrameTimeout(Duration.ofMillis(-1)))
                .isInstanceOf(RememException.class);
    }
}
