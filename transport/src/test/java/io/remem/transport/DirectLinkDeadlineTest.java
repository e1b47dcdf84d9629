package io.remem.transport;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.transport.ScriptedNode.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Per-call deadlines shorter than the link's timeout, which let a read move to another replica when its node stalls:
 * the deadline a link proposes from its measured latency, and a read that misses one.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DirectLinkDeadlineTest {
    private static final long MS = 1_000_000;

    /** A blocking read (only those teach the link its latency), answered by the node after {@code delayMillis}. */
    private static void answeredRead(DirectLink l, ScriptedNode node, long delayMillis) throws Exception {
        Thread answer = Thread.ofVirtual().start(() -> {
            try {
                Request r = node.nextRequest();
                Thread.sleep(delayMillis);
                node.send(ScriptedNode.response(r, 64, new byte[64]));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        l.read(3, 0, MemorySegment.ofArray(new byte[64]));
        answer.join();
    }

    @Test
    void theEarlyDeadlineIsTheFloorUntilAnswersArriveThenFollowsLatencyWithinTheTimeout() throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink l = node.connect(Duration.ofSeconds(5));
            try {
                // The handshake is the only sample so far, and loopback answers it in well under 50 ms.
                assertThat(l.earlyDeadline(50 * MS)).isEqualTo(50 * MS);
                for (int i = 0; i < 20; i++) {
                    answeredRead(l, node, 0);
                }
                long learned = l.earlyDeadline(1);
                assertThat(learned).as("a deadline learned from prompt answers").isBetween(1L, 1000 * MS);
                assertThat(l.earlyDeadline(Long.MAX_VALUE)).as("never past the link's own timeout")
                        .isEqualTo(Duration.ofSeconds(5).toNanos());

                // Slow answers raise it: a node that is merely slow is not abandoned too eagerly.
                for (int i = 0; i < 8; i++) {
                    answeredRead(l, node, 40);
                }
                assertThat(l.earlyDeadline(1)).as("after 40 ms answers").isGreaterThan(Math.max(learned, 40 * MS));
            } finally {
                l.close();
            }
        }
    }

    @Test
    void aReadThatMissesItsEarlyDeadlineFailsWithTimeoutLongBeforeTheLinkTimeoutAndClosesTheLink() throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink l = node.connect(Duration.ofSeconds(20));
            try {
                long start = System.nanoTime();
                assertThatThrownBy(() -> l.read(3, 0, MemorySegment.ofArray(new byte[4096]), 100 * MS))
                        .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT))
                        .hasMessageContaining("got no response in");
                long took = System.nanoTime() - start;
                assertThat(took).as("failed after the 100 ms deadline, not the 20 s timeout")
                        .isBetween(100 * MS, 2_000 * MS);
                assertThat(node.nextRequest().header().length()).isEqualTo(4096); // it was sent
                assertThat(l.isOpen()).as("answers come in order: the link is given up").isFalse();
            } finally {
                l.close();
            }
        }
    }
}
