package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.testkit.Await;
import io.remem.transport.ScriptedNode.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DirectLinkTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    /** READs of this slab are never answered. */
    private static final long SILENT = 999_999;
    /** READs of this slab are refused with OUT_OF_BOUNDS. */
    private static final long REFUSED = 666_666;
    /** READs of this slab are answered with one byte too few. */
    private static final long SHORT = 777_777;
    private static final int[] SIZES = {1, 7, 8, 64, 100, 1000, 4096, 8192, 65536};

    private static EventLoops loops;

    private ReadServer handler;
    private Connections.Listener server;
    private final List<DirectLink> links = new ArrayList<>();

    /** The byte a READ of {@code slabId} returns at absolute offset {@code position}. */
    static byte pattern(long slabId, long position) {
        long x = slabId * 0x9E3779B97F4A7C15L + position * 0xBF58476D1CE4E5B9L;
        return (byte) (x ^ (x >>> 29) ^ (x >>> 47));
    }

    /** Serves READ with {@code header.length()} bytes of {@link #pattern}, except for the special slabs above. */
    static final class ReadServer implements RequestHandler {
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger silent = new AtomicInteger();
        final AtomicLong lastTenantHash = new AtomicLong();

        @Override
        public HelloDecision onHello(Peer peer, Hello hello) {
            if (hello.role() != Role.CLIENT) {
                throw new RememException(ErrorCode.WRONG_ROLE, "clients only");
            }
            lastTenantHash.set(hello.principal().hashCode());
            return new HelloDecision.Accept(hello.principal());
        }

        @Override
        public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
            if (h.opcode() != Opcode.READ) {
                throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " not served");
            }
            reads.incrementAndGet();
            if (h.slabId() == SILENT) {
                silent.incrementAndGet();
                return;
            }
            if (h.slabId() == REFUSED) {
                throw new RememException(ErrorCode.OUT_OF_BOUNDS, "offset " + h.offset() + " is out of bounds");
            }
            int n = h.slabId() == SHORT ? h.length() - 1 : h.length();
            long slab = h.slabId();
            long offset = h.offset();
            peer.reply(h, slab, offset, n, n, out -> {
                for (int i = 0; i < n; i++) {
                    out.writeByte(pattern(slab, offset + i));
                }
            });
        }
    }

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create("link-test", 2);
    }

    @AfterAll
    static void stopLoops() {
        loops.close();
    }

    @BeforeEach
    void startServer() {
        handler = new ReadServer();
        server = Connections.listen(loops, "127.0.0.1", 0, () -> handler, "read-server", Duration.ofSeconds(10),
                ServerLimits.DEFAULTS, null);
    }

    @AfterEach
    void stopServer() {
        links.forEach(DirectLink::close);
        server.close();
    }

    private DirectLink link(Duration callTimeout) {
        DirectLink l = DirectLink.connect("127.0.0.1", server.port(), Duration.ofSeconds(2), callTimeout);
        links.add(l);
        l.hello(Role.CLIENT, ScriptedNode.token("alice"), 0, 0);
        return l;
    }

    static void assertPattern(long slabId, long offset, MemorySegment seg) {
        for (long i = 0; i < seg.byteSize(); i++) {
            byte got = seg.get(ValueLayout.JAVA_BYTE, i);
            if (got != pattern(slabId, offset + i)) {
                throw new AssertionError("slab " + slabId + " offset " + offset + ": byte " + i + " is " + got
                        + ", expected " + pattern(slabId, offset + i));
            }
        }
    }

    @Test
    void helloAndSingleRead() {
        DirectLink l = DirectLink.connect("127.0.0.1", server.port(), Duration.ofSeconds(2), Duration.ofSeconds(5));
        links.add(l);
        ClientHandshake.Session s = l.hello(Role.CLIENT, ScriptedNode.token("alice"), 0, 0);
        assertThat(s.id()).isNotZero();
        assertThat(l.session()).isEqualTo(s.id());
        assertThat(s.server()).isEqualTo("read-server");
        assertThat(l.checksums()).as("not asked for").isFalse();
        assertThat(l.remote()).isEqualTo("127.0.0.1:" + server.port());

        MemorySegment dst = MemorySegment.ofArray(new byte[4096]);
        l.read(3, 12345, dst);
        assertPattern(3, 12345, dst);
        assertThat(l.isOpen()).isTrue();
        assertThat(l.inFlight()).isZero();

        // Zero-length read.
        l.read(3, 0, MemorySegment.ofArray(new byte[0]));
    }

    @Test
    void readBeforeHelloIsNotAuthenticated() {
        DirectLink l = DirectLink.connect("127.0.0.1", server.port(), Duration.ofSeconds(2), Duration.ofSeconds(5));
        links.add(l);
        assertThatThrownBy(() -> l.read(1, 0, MemorySegment.ofArray(new byte[8])))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_AUTHENTICATED));
        assertThat(l.isOpen()).isTrue();
        l.hello(Role.CLIENT, ScriptedNode.token("alice"), 0, 0);
        MemorySegment dst = MemorySegment.ofArray(new byte[8]);
        l.read(1, 0, dst);
        assertPattern(1, 0, dst);
    }

    @Test
    void refusedHelloCarriesTheServersCode() {
        DirectLink l = DirectLink.connect("127.0.0.1", server.port(), Duration.ofSeconds(2), Duration.ofSeconds(5));
        links.add(l);
        assertThatThrownBy(() -> l.hello(Role.MEMORY_NODE, ScriptedNode.token("x"), 0, 0))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WRONG_ROLE));
    }

    @Test
    void errorResponseFailsOnlyThatCall() {
        DirectLink l = link(Duration.ofSeconds(5));
        assertThatThrownBy(() -> l.read(REFUSED, 40, MemorySegment.ofArray(new byte[16])))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_BOUNDS);
                    assertThat(e.detail()).contains("offset 40");
                });
        assertThat(l.isOpen()).isTrue();
        MemorySegment dst = MemorySegment.ofArray(new byte[16]);
        l.read(5, 40, dst);
        assertPattern(5, 40, dst);
    }

    @Test
    void responseOfTheWrongSizeFailsThatCallAndKeepsTheStreamInStep() {
        DirectLink l = link(Duration.ofSeconds(5));
        assertThatThrownBy(() -> l.read(SHORT, 0, MemorySegment.ofArray(new byte[100])))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        MemorySegment dst = MemorySegment.ofArray(new byte[100]);
        l.read(6, 1, dst);
        assertPattern(6, 1, dst);
    }

    @Test
    void readLargerThanTheLimitIsRefusedLocally() {
        DirectLink l = link(Duration.ofSeconds(5));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment big = arena.allocate(Wire.MAX_READ_BYTES + 1L);
            assertThatThrownBy(() -> l.read(1, 0, big))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
        }
        assertThat(handler.reads.get()).isZero();
    }

    /** Runs {@code threads} threads, each doing {@code readsEach} reads of its own slab, and checks every byte. */
    private void concurrentReads(DirectLink l, int threads, int readsEach, boolean virtual) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Integer>> results = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            for (int t = 0; t < threads; t++) {
                long slab = 1000 + t;
                MemorySegment buffer = arena.allocate(SIZES[SIZES.length - 1]);
                CompletableFuture<Integer> result = new CompletableFuture<>();
                results.add(result);
                Runnable work = () -> {
                    try {
                        start.await();
                        SplittableRandom rnd = new SplittableRandom(slab);
                        for (int i = 0; i < readsEach; i++) {
                            int size = SIZES[rnd.nextInt(SIZES.length)];
                            long offset = rnd.nextLong(1L << 40);
                            MemorySegment dst = buffer.asSlice(0, size);
                            dst.fill((byte) 0x5A);
                            l.read(slab, offset, dst);
                            assertPattern(slab, offset, dst);
                        }
                        result.complete(readsEach);
                    } catch (Throwable e) {
                        result.completeExceptionally(e);
                    }
                };
                (virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon()).start(work);
            }
            start.countDown();
            int total = 0;
            for (CompletableFuture<Integer> r : results) {
                total += Await.result(r, Duration.ofSeconds(15));
            }
            assertThat(total).isEqualTo(threads * readsEach);
        }
        assertThat(l.isOpen()).isTrue();
        assertThat(l.inFlight()).isZero();
    }

    @Test
    void manyPlatformThenVirtualThreadsShareOneLinkAndGetTheirOwnBytes() throws Exception {
        DirectLink l = link(Duration.ofSeconds(5));
        concurrentReads(l, 16, 300, false);
        concurrentReads(l, 200, 40, true);
        assertThat(handler.reads.get()).isEqualTo(16 * 300 + 200 * 40);
    }

    /**
     * Waiters that spin on the socket before blocking (a gate of two CPUs, so a lone waiter spins wherever the test
     * runs) get every answer right: alone, many at once, and when an answer never comes.
     */
    @Test
    void spinningWaitersGetTheirOwnBytesAndStillTimeOut() throws Exception {
        DirectLink l = DirectLink.connect("127.0.0.1", server.port(), Duration.ofSeconds(2), Duration.ofMillis(500), null,
                NanoClock.SYSTEM, Duration.ofMillis(1), new SpinGate(2));
        links.add(l);
        l.hello(Role.CLIENT, ScriptedNode.token("alice"), 0, 0);
        MemorySegment dst = MemorySegment.ofArray(new byte[4096]);
        for (int i = 0; i < 200; i++) {
            l.read(7, i * 4096L, dst);
            assertPattern(7, i * 4096L, dst);
        }
        concurrentReads(l, 8, 100, false);
        RememException e = readInBackground(l, SILENT, 0, 64).failure(l, Duration.ofSeconds(5));
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(l.isOpen()).isFalse();
    }

    @Test
    void callAsyncCompletesWithNoThreadWaitingOnTheLink() throws Exception {
        DirectLink l = link(Duration.ofSeconds(5));
        int n = 200;
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        List<ByteBuffer> bodies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ByteBuffer body = ByteBuffer.allocate(4 + (i % 7) * 100);
            body.putInt(0, i);
            bodies.add(body);
            futures.add(l.callAsync(Opcode.PING, 0, 0, 0, body, (h, b) -> {
                byte[] copy = new byte[b.readableBytes()];
                b.readBytes(copy);
                return copy;
            }));
        }
        // Nobody calls a blocking method on the link: only the reaper reads the responses.
        Await.until(() -> futures.stream().allMatch(CompletableFuture::isDone), WAIT, "all async calls completed");
        for (int i = 0; i < n; i++) {
            byte[] echoed = futures.get(i).getNow(null);
            assertThat(echoed).isEqualTo(bodies.get(i).array());
        }
        Await.until(() -> l.inFlight() == 0, WAIT, "nothing in flight");

        // A later async call still completes (the reaper restarts), and so does a blocking call.
        CompletableFuture<byte[]> again = l.callAsync(Opcode.PING, 0, 0, 0, ByteBuffer.wrap(new byte[] {1, 2}),
                (h, b) -> {
                    byte[] copy = new byte[b.readableBytes()];
                    b.readBytes(copy);
                    return copy;
                });
        Await.until(again::isDone, WAIT, "second async call completed");
        assertThat(again.getNow(null)).containsExactly(1, 2);
        MemorySegment dst = MemorySegment.ofArray(new byte[32]);
        l.read(9, 9, dst);
        assertPattern(9, 9, dst);
    }

    @Test
    void asyncAndBlockingCallsMixed() throws Exception {
        DirectLink l = link(Duration.ofSeconds(5));
        List<CompletableFuture<Integer>> asyncs = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            int v = i;
            asyncs.add(l.callAsync(Opcode.PING, 0, 0, 0, ByteBuffer.allocate(4).putInt(0, v), (h, b) -> b.readInt()));
            if (i % 50 == 0) {
                MemorySegment dst = MemorySegment.ofArray(new byte[256]);
                l.read(4, i, dst);
                assertPattern(4, i, dst);
            }
        }
        for (int i = 0; i < asyncs.size(); i++) {
            assertThat(Await.result(asyncs.get(i), WAIT)).isEqualTo(i);
        }
    }

    /** A blocking read running on its own virtual thread. */
    private record BackgroundRead(Thread thread, CompletableFuture<RememException> outcome) {
        /**
         * The RememException the read threw, waiting at most {@code within}. If it is still blocked, the test fails
         * with the link's state and the stack of the blocked thread, which shows where it hangs.
         */
        RememException failure(DirectLink l, Duration within) throws InterruptedException {
            try {
                return outcome.get(within.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError("read failed with " + e.getCause(), e.getCause());
            } catch (TimeoutException e) {
                StringBuilder stack = new StringBuilder();
                for (StackTraceElement f : thread.getStackTrace()) {
                    stack.append("\n\tat ").append(f);
                }
                throw new AssertionError("read still blocked after " + within + " (call timeout 300 ms); link isOpen="
                        + l.isOpen() + " inFlight=" + l.inFlight() + "; blocked thread:" + stack);
            }
        }
    }

    /**
     * Starts a blocking read on a virtual thread. If the read hangs, closing the link in {@link #stopServer}
     * unblocks the thread.
     */
    private static BackgroundRead readInBackground(DirectLink l, long slab, long offset, int size) {
        CompletableFuture<RememException> f = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                l.read(slab, offset, MemorySegment.ofArray(new byte[size]));
                f.completeExceptionally(new AssertionError("read of slab " + slab + " returned normally"));
            } catch (RememException e) {
                f.complete(e);
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return new BackgroundRead(t, f);
    }

    /**
     * The only call on an otherwise idle link is never answered: it must fail with TIMEOUT after about the call
     * timeout, and the link must be closed (the node is gone or hung).
     */
    @Test
    void serverThatStopsAnsweringTimesOutAndClosesTheLink() throws Exception {
        DirectLink l = link(Duration.ofMillis(300));
        long t0 = System.nanoTime();
        RememException e = readInBackground(l, SILENT, 0, 64).failure(l, Duration.ofSeconds(2));
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(elapsedMillis).isGreaterThanOrEqualTo(250).isLessThan(2000);
        assertThat(l.isOpen()).isFalse();
        assertThat(l.inFlight()).isZero();
        // Later calls fail at once instead of waiting out another timeout.
        assertThatThrownBy(() -> l.read(1, 0, MemorySegment.ofArray(new byte[8])))
                .isInstanceOf(RememException.class);
        CompletableFuture<Integer> async = l.callAsync(Opcode.PING, 0, 0, 0, null, (h, b) -> 1);
        assertThat(Await.failure(async, WAIT)).isInstanceOf(RememException.class);
    }

    /** A call's deadline is on the link's clock: moving the clock times it out, with no wait for the real timeout. */
    @Test
    void aCallTimesOutWhenTheLinksClockSaysSoNotAfterTheWallClockTimeout() throws Exception {
        AtomicBoolean jumping = new AtomicBoolean();
        AtomicLong skipped = new AtomicLong();
        NanoClock clock = () -> System.nanoTime() + (jumping.get() ? skipped.addAndGet(Duration.ofHours(1).toNanos()) : 0);
        DirectLink l = DirectLink.connect("127.0.0.1", server.port(), Duration.ofSeconds(2), Duration.ofMinutes(10), null,
                clock);
        links.add(l);
        l.hello(Role.CLIENT, ScriptedNode.token("alice"), 0, 0);
        BackgroundRead silentCall = readInBackground(l, SILENT, 0, 64);
        Await.until(() -> handler.silent.get() == 1, WAIT, "server received the unanswered read");
        long t0 = System.nanoTime();
        jumping.set(true);
        RememException e = silentCall.failure(l, Duration.ofSeconds(10));
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("not the 10-minute timeout in wall-clock time")
                .isLessThan(Duration.ofSeconds(10));
        assertThat(l.isOpen()).isFalse();
    }

    /** As above with several calls in flight: all of them fail with TIMEOUT and the link closes. */
    @Test
    void serverThatStopsAnsweringSeveralCallsTimesThemAllOut() throws Exception {
        DirectLink l = link(Duration.ofMillis(300));
        List<BackgroundRead> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(readInBackground(l, SILENT, i, 64));
        }
        for (BackgroundRead r : calls) {
            assertThat(r.failure(l, Duration.ofSeconds(2)).code()).isEqualTo(ErrorCode.TIMEOUT);
        }
        assertThat(l.isOpen()).isFalse();
    }

    /**
     * A call whose own response never comes, on a link where other responses do arrive, must still fail with
     * TIMEOUT within about its timeout, whichever thread happens to be reading the socket. A node answers a
     * connection's requests in order, so an overdue answer condemns the link: it closes, and callers reconnect.
     */
    @Test
    void unansweredCallTimesOutEvenWhileOtherCallsAreAnswered() throws Exception {
        DirectLink l = link(Duration.ofMillis(300));
        BackgroundRead silentCall = readInBackground(l, SILENT, 0, 64);
        Await.until(() -> handler.silent.get() == 1, WAIT, "server received the unanswered read");
        // Another call is answered after the silent one was sent.
        MemorySegment dst = MemorySegment.ofArray(new byte[64]);
        l.read(2, 0, dst);
        assertPattern(2, 0, dst);

        RememException e = silentCall.failure(l, Duration.ofSeconds(2));
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(l.isOpen()).isFalse();
        assertThatThrownBy(() -> l.read(2, 64, dst)).isInstanceOf(RememException.class);
    }

    @Test
    void killingTheServerFailsAllPendingCallsWithConnectionClosed() throws Exception {
        DirectLink l = link(Duration.ofSeconds(10));
        int n = 8;
        List<CompletableFuture<RememException>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CompletableFuture<RememException> f = new CompletableFuture<>();
            calls.add(f);
            long offset = i;
            Thread.ofVirtual().start(() -> {
                try {
                    l.read(SILENT, offset, MemorySegment.ofArray(new byte[16]));
                    f.completeExceptionally(new AssertionError("read returned"));
                } catch (RememException e) {
                    f.complete(e);
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            });
        }
        CompletableFuture<Integer> async = l.callAsync(Opcode.READ, SILENT, 100, 8, null, (h, b) -> 1);
        Await.until(() -> handler.silent.get() == n + 1, WAIT, "server received every request");
        assertThat(l.inFlight()).isEqualTo(n + 1);

        long t0 = System.nanoTime();
        server.close();

        for (CompletableFuture<RememException> f : calls) {
            assertThat(Await.result(f, WAIT).code()).isEqualTo(ErrorCode.CONNECTION_CLOSED);
        }
        assertThat(Await.failure(async, WAIT).code()).isEqualTo(ErrorCode.CONNECTION_CLOSED);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5000);
        assertThat(l.isOpen()).isFalse();
        assertThat(l.inFlight()).isZero();
        assertThatThrownBy(() -> l.read(1, 0, MemorySegment.ofArray(new byte[8])))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_CLOSED));
    }

    @Test
    void closingTheLinkFailsPendingCalls() throws Exception {
        DirectLink l = link(Duration.ofSeconds(10));
        CompletableFuture<Integer> async = l.callAsync(Opcode.READ, SILENT, 0, 8, null, (h, b) -> 1);
        Await.until(() -> handler.silent.get() == 1, WAIT, "server received the request");
        l.close();
        assertThat(Await.failure(async, WAIT).code()).isEqualTo(ErrorCode.CONNECTION_CLOSED);
        assertThat(l.isOpen()).isFalse();
    }

    @Test
    void connectingToAClosedPortIsNodeUnavailable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> DirectLink.connect("127.0.0.1", port, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.NODE_UNAVAILABLE);
                    assertThat(e.detail()).contains("127.0.0.1:" + port);
                });
        assertThatThrownBy(() -> Connections.connect(loops, "127.0.0.1", port, null, "c", Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NODE_UNAVAILABLE));
    }

    // ------------------------------------------------------------------ request flags and opcodes on the wire

    @Test
    void callAsyncWithTheRetryFlagSendsItInTheHeader() throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink l = node.connect(Duration.ofSeconds(5));
            links.add(l);
            byte[] body = {1, 2, 3, 4, 5, 6, 7, 8, 9};
            CompletableFuture<Integer> retried = l.callAsync(Opcode.WRITEV, Wire.FLAG_RETRY, 5, 77, 1,
                    ByteBuffer.wrap(body), (h, b) -> b.readInt());
            Request r = node.nextRequest();
            assertThat(r.op()).isEqualTo(Opcode.WRITEV);
            assertThat(r.header().isRetry()).isTrue();
            assertThat(r.header().isResponse()).isFalse();
            assertThat(r.header().session()).isEqualTo(7);
            assertThat(r.header().slabId()).isEqualTo(5);
            assertThat(r.header().offset()).as("the operation id").isEqualTo(77);
            assertThat(r.header().length()).isEqualTo(1);
            assertThat(r.body()).isEqualTo(body);
            r.header().validate();
            node.send(ScriptedNode.response(r, new byte[] {0, 0, 0, 42}));
            assertThat(Await.result(retried, WAIT)).isEqualTo(42);

            // Without flags, and with flags 0, it is not a retry.
            CompletableFuture<Integer> first = l.callAsync(Opcode.CAS, 5, 0, 0, ByteBuffer.wrap(new byte[24]),
                    (h, b) -> 1);
            Request plain = node.nextRequest();
            assertThat(plain.op()).isEqualTo(Opcode.CAS);
            assertThat(plain.header().isRetry()).isFalse();
            node.send(ScriptedNode.response(plain, new byte[0]));
            assertThat(Await.result(first, WAIT)).isEqualTo(1);

            CompletableFuture<Integer> zero = l.callAsync(Opcode.FAA, 0, 5, 0, 0, ByteBuffer.wrap(new byte[16]),
                    (h, b) -> 2);
            Request noFlags = node.nextRequest();
            assertThat(noFlags.op()).isEqualTo(Opcode.FAA);
            assertThat(noFlags.header().isRetry()).isFalse();
            assertThat(noFlags.body()).hasSize(16);
            node.send(ScriptedNode.response(noFlags, new byte[0]));
            assertThat(Await.result(zero, WAIT)).isEqualTo(2);
            assertThat(l.inFlight()).isZero();
        }
    }

    @Test
    void readAsyncWithAnOpcodeSendsThatOpcodeAndScattersTheBytes() throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink l = node.connect(Duration.ofSeconds(5));
            links.add(l);
            MemorySegment a = MemorySegment.ofArray(new byte[3]);
            MemorySegment b = MemorySegment.ofArray(new byte[5]);
            CompletableFuture<Void> read = l.readAsync(Opcode.REPLICA_READ, 9, 100, a, b);
            Request r = node.nextRequest();
            assertThat(r.op()).isEqualTo(Opcode.REPLICA_READ);
            assertThat(r.header().isRetry()).isFalse();
            assertThat(r.header().slabId()).isEqualTo(9);
            assertThat(r.header().offset()).isEqualTo(100);
            assertThat(r.header().length()).isEqualTo(8);
            assertThat(r.body()).isEmpty();
            node.send(ScriptedNode.response(r, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
            Await.result(read, WAIT);
            assertThat(a.toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3);
            assertThat(b.toArray(ValueLayout.JAVA_BYTE)).containsExactly(4, 5, 6, 7, 8);

            // The overload without an opcode still reads with READ.
            MemorySegment c = MemorySegment.ofArray(new byte[2]);
            CompletableFuture<Void> plain = l.readAsync(9, 0, c);
            Request p = node.nextRequest();
            assertThat(p.op()).isEqualTo(Opcode.READ);
            assertThat(p.header().length()).isEqualTo(2);
            node.send(ScriptedNode.response(p, new byte[] {9, 9}));
            Await.result(plain, WAIT);
            assertThat(c.toArray(ValueLayout.JAVA_BYTE)).containsExactly(9, 9);
        }
    }

    @Test
    void readAsyncWithAnOpcodeRefusesAReadLargerThanTheLimitLocally() throws Exception {
        try (ScriptedNode node = new ScriptedNode(); Arena arena = Arena.ofConfined()) {
            DirectLink l = node.connect(Duration.ofSeconds(5));
            links.add(l);
            MemorySegment big = arena.allocate(Wire.MAX_READ_BYTES + 1L);
            CompletableFuture<Void> read = l.readAsync(Opcode.REPLICA_READ, 1, 0, big);
            assertThat(Await.failure(read, WAIT).code()).isEqualTo(ErrorCode.TOO_LARGE);
            assertThat(node.pollRequest(Duration.ofMillis(200))).as("nothing was sent").isNull();
        }
    }
}
