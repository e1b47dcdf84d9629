package io.remem.transport;

import io.remem.protocol.Opcode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;

class PendingCallsTest {
    private static LinkCall<Void> call(long id, long deadline) {
        LinkCall<Void> c = new LinkCall<>(Opcode.PING, null, null, null, new CompletableFuture<>(), 0, deadline);
        c.id = id;
        return c;
    }

    @Test
    void aCallIsTakenOnceByItsId() {
        PendingCalls p = new PendingCalls();
        LinkCall<Void> c = call(7, 100);
        p.put(c);
        assertThat(p.size()).isEqualTo(1);
        assertThat(p.remove(7 + PendingCalls.SLOTS)).as("same slot, another id").isNull();
        assertThat(p.remove(7)).isSameAs(c);
        assertThat(p.remove(7)).isNull();
        assertThat(p.remove(c)).isFalse();
        assertThat(p.isEmpty()).isTrue();
    }

    @Test
    void moreInFlightThanTheRingHoldsOverflowAndAreAllFoundByIdOrByIdentity() {
        PendingCalls p = new PendingCalls();
        int n = 3 * PendingCalls.SLOTS + 5;
        List<LinkCall<Void>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LinkCall<Void> c = call(1000 + i, 100);
            calls.add(c);
            p.put(c);
        }
        assertThat(p.size()).isEqualTo(n);
        // Answered out of order: every third by id, newest first, the rest by identity.
        for (int i = n - 1; i >= 0; i -= 3) {
            assertThat(p.remove(1000 + i)).isSameAs(calls.get(i));
        }
        for (int i = 0; i < n; i++) {
            if ((n - 1 - i) % 3 != 0) {
                assertThat(p.remove(calls.get(i))).as("call %d", i).isTrue();
            }
        }
        assertThat(p.isEmpty()).isTrue();
    }

    @Test
    void drainTakesEveryCallOnceFromRingAndOverflow() {
        PendingCalls p = new PendingCalls();
        int n = PendingCalls.SLOTS + 10;
        for (int i = 0; i < n; i++) {
            p.put(call(i % 2 == 0 ? i : i + PendingCalls.SLOTS * 4L, 100)); // odd ids collide with nothing yet
        }
        ConcurrentLinkedQueue<LinkCall<?>> taken = new ConcurrentLinkedQueue<>();
        p.drain(taken::add);
        assertThat(taken).hasSize(n).doesNotHaveDuplicates();
        assertThat(p.isEmpty()).isTrue();
    }

    @Test
    void overdueFindsAPassedDeadlineInTheRingOrTheOverflow() {
        PendingCalls p = new PendingCalls();
        p.put(call(1, 1_000));
        assertThat(p.overdue(500)).isNull();
        LinkCall<Void> late = call(1 + PendingCalls.SLOTS, 200); // the same slot as id 1: to the overflow map
        p.put(late);
        assertThat(p.overdue(500)).isSameAs(late);
        assertThat(p.overdue(2_000)).isNotNull();
        assertThat(new PendingCalls().overdue(Long.MAX_VALUE)).isNull();
    }
}
