package io.remem.transport;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.testkit.Await;
import io.remem.transport.ScriptedNode.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a {@link DirectLink} copes with a node that misbehaves mid-frame and with callers that are interrupted or
 * starved, against a {@link ScriptedNode} that sends exactly the bytes each test needs, when it needs them.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DirectLinkRobustnessTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static byte[] filled(int n, byte value) {
        byte[] b = new byte[n];
        Arrays.fill(b, value);
        return b;
    }

    private static long nonZeroBytes(MemorySegment s) {
        long n = 0;
        for (long i = 0; i < s.byteSize(); i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * The leader takes a call out of the pending table before it reads the call's body; if the body then breaks off,
     * that call must still complete (it used to be lost: only calls still pending were failed, so an async call's
     * future never completed and a write-back waited for it forever).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"error response", "data response"})
    void anAsyncCallWhoseResponseBreaksOffMidBodyStillCompletes(String kind) throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink link = node.connect(Duration.ofSeconds(1));
            try {
                CompletableFuture<Integer> call = link.callAsync(Opcode.WRITEV, 1, 0, 1, ByteBuffer.wrap(new byte[28]),
                        (h, b) -> b.readableBytes());
                Request r = node.nextRequest();
                byte[] response = kind.equals("error response")
                        ? ScriptedNode.errorResponse(r, ErrorCode.OUT_OF_BOUNDS, "x".repeat(98)) // a 100-byte body
                        : ScriptedNode.response(r, new byte[100]);
                node.send(response, 0, response.length - 96); // the header and 4 bytes of the body...
                node.shutdownOutput();                        // ...and then the connection ends

                RememException e = Await.failure(call, Duration.ofSeconds(3));
                assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_CLOSED);
                assertThat(link.isOpen()).isFalse();
                assertThat(link.inFlight()).isZero();
            } finally {
                link.close();
            }
        }
    }

    /**
     * A node that sends a response's header and part of its body and then goes silent (hung, or partitioned) must
     * not hold the caller forever: the call times out like an unanswered one (it used to block for good, because the
     * watchdog only looked at calls still pending).
     */
    @Test
    void aResponseThatStallsMidBodyTimesOut() throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink link = node.connect(Duration.ofMillis(300));
            try {
                CompletableFuture<RememException> read = new CompletableFuture<>();
                Thread.ofPlatform().daemon().start(() -> {
                    try {
                        link.read(1, 0, MemorySegment.ofArray(new byte[4096]));
                        read.completeExceptionally(new AssertionError("the read returned"));
                    } catch (RememException e) {
                        read.complete(e);
                    } catch (Throwable e) {
                        read.completeExceptionally(e);
                    }
                });
                Request r = node.nextRequest();
                byte[] response = ScriptedNode.response(r, new byte[4096]);
                long t0 = System.nanoTime();
                node.send(response, 0, response.length - 4096 + 1000); // the header and 1000 of 4096 bytes, then nothing

                RememException e = Await.result(read, Duration.ofSeconds(3));
                assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
                assertThat(link.isOpen()).isFalse();
            } finally {
                link.close(); // unblocks the reader if the link failed to time it out
            }
        }
    }

    /**
     * Once the leader has taken a call to read its body into the caller's buffer (a cache frame, in the client), the
     * caller must not return until the leader has stopped writing there, even if the link fails meanwhile: the
     * cache frees a frame as soon as its fetch fails, and reuses it. It used to return at once, and the leader, a
     * virtual thread that had not been scheduled yet, later copied the rest of the response into the reused frame.
     *
     * <p>Deterministic in its steps: the leader is parked mid-body, then every carrier thread of the virtual-thread
     * scheduler is kept busy so the leader cannot run, the rest of the body arrives, and the link is closed. Only if
     * the scheduler has more carriers than its parallelism could the leader slip through and the old bug go unseen.
     */
    @Test
    void aFollowersReadReturnsOnlyWhenNoMoreBytesCanLandInItsBuffer() throws Exception {
        AtomicBoolean release = new AtomicBoolean();
        try (ScriptedNode node = new ScriptedNode(); Arena arena = Arena.ofShared()) {
            DirectLink link = node.connect(Duration.ofSeconds(30));
            try {
                MemorySegment leaderDst = arena.allocate(4096);
                MemorySegment dst = arena.allocate(4096);
                // A virtual thread leads: its own READ is never answered, so it stays in the socket read.
                Thread leader = Thread.ofVirtual().start(() -> {
                    try {
                        link.read(1, 0, leaderDst);
                    } catch (RememException expected) {
                        // the link is closed below
                    }
                });
                node.nextRequest();
                Await.until(() -> leader.getState() == Thread.State.WAITING, WAIT, "the leader waits in the socket read");

                // A follower's READ into dst. When read() returns, it frees dst for reuse, as the cache does.
                CompletableFuture<Void> returned = new CompletableFuture<>();
                Thread.ofPlatform().daemon().start(() -> {
                    try {
                        link.read(2, 0, dst);
                    } catch (RememException e) {
                        // the link failed: fine, as long as nothing lands in dst from now on
                    } catch (Throwable e) {
                        returned.completeExceptionally(e);
                        return;
                    }
                    dst.fill((byte) 0);
                    returned.complete(null);
                });
                Request followerRead = node.nextRequest();
                byte[] response = ScriptedNode.response(followerRead, filled(4096, (byte) 0x5A));
                int half = response.length - 2048;
                node.send(response, 0, half); // the header and 2048 bytes, which the leader copies into dst
                Await.until(() -> dst.get(ValueLayout.JAVA_BYTE, 2047) == 0x5A && leader.getState() == Thread.State.WAITING,
                        WAIT, "the leader has read half the body into dst and waits for the rest");

                // Keep every carrier busy: the leader cannot run again until released.
                int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
                        Runtime.getRuntime().availableProcessors());
                AtomicInteger spinning = new AtomicInteger();
                for (int i = 0; i < carriers; i++) {
                    Thread.ofVirtual().start(() -> {
                        spinning.incrementAndGet();
                        while (!release.get()) {
                            Thread.onSpinWait();
                        }
                    });
                }
                Await.until(() -> spinning.get() == carriers, WAIT, "every carrier thread is busy");
                node.send(response, half, response.length); // the rest arrives; the leader is runnable, not running
                link.close(); // the link fails (as on a timeout or an I/O error) with the leader mid-body in dst

                // A broken link lets the follower return now; a correct one holds it until the leader has run. Give
                // it the chance to return early (a bounded wait, not an assertion), then let the leader run.
                try {
                    returned.get(300, TimeUnit.MILLISECONDS);
                } catch (TimeoutException stillWaiting) {
                    // as it should
                }
                release.set(true);
                Await.result(returned, WAIT);
                leader.join(WAIT);
                assertThat(leader.isAlive()).as("the leader finished").isFalse();

                assertThat(nonZeroBytes(dst)).as("bytes that landed in the buffer after read() returned").isZero();
            } finally {
                release.set(true);
                link.close();
            }
        }
    }

    /**
     * A thread with its interrupt flag set (a cancelled task, an executor shut down) that uses the link must not
     * close it for everyone: the socket channel closes itself on an interrupted thread's I/O, which used to fail
     * every call in flight on the link. The caller's own call goes through, and its interrupt flag is kept.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"another call in flight", "alone on the link"})
    void anInterruptedCallerDoesNotCloseTheSharedLink(String situation) throws Exception {
        boolean other = situation.equals("another call in flight");
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink link = node.connect(Duration.ofSeconds(10));
            try {
                // Another thread's write-back, unanswered for now; its reaper thread then reads the socket.
                CompletableFuture<Integer> writeBack = other
                        ? link.callAsync(Opcode.WRITEV, 1, 0, 1, ByteBuffer.wrap(new byte[28]), (h, b) -> 1)
                        : null;
                Request w = other ? node.nextRequest() : null;

                MemorySegment dst = MemorySegment.ofArray(new byte[64]);
                CompletableFuture<Boolean> caller = new CompletableFuture<>(); // its interrupt flag after read()
                Thread.ofPlatform().daemon().start(() -> {
                    Thread.currentThread().interrupt();
                    try {
                        link.read(3, 0, dst);
                        caller.complete(Thread.currentThread().isInterrupted());
                    } catch (Throwable e) {
                        caller.completeExceptionally(e);
                    }
                });
                Request r = node.pollRequest(WAIT);
                if (r == null) {
                    throw new AssertionError("the interrupted caller's READ never reached the node; the caller "
                            + outcome(caller) + "; link open: " + link.isOpen()
                            + (other ? "; the other call: " + outcome(writeBack) : ""));
                }
                node.send(ScriptedNode.response(r, filled(64, (byte) 7)));

                assertThat(Await.result(caller, WAIT)).as("the caller's interrupt flag, after its read").isTrue();
                assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).containsOnly(7);
                assertThat(link.isOpen()).isTrue();
                if (other) {
                    assertThat(writeBack).as("the other thread's call").isNotDone();
                    node.send(ScriptedNode.response(w, new byte[0]));
                    assertThat(Await.result(writeBack, WAIT)).isEqualTo(1);
                }
                // The link still works for an ordinary caller.
                CompletableFuture<Void> later =
                        CompletableFuture.runAsync(() -> link.read(4, 0, MemorySegment.ofArray(new byte[8])));
                node.send(ScriptedNode.response(node.nextRequest(), new byte[8]));
                Await.result(later, WAIT);
            } finally {
                link.close();
            }
        }
    }

    /** How {@code f} ended, for a failure message; waits a little for it. */
    private static String outcome(CompletableFuture<?> f) throws InterruptedException {
        try {
            return "returned " + f.get(1, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return "failed with " + e.getCause();
        } catch (TimeoutException e) {
            return "is still running";
        }
    }
}
