package io.remem.testkit;

import io.remem.testkit.Linearizability.Op;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class LinearizabilityTest {
    @Test
    void sequentialHistoriesAreCheckedAgainstTheRegister() {
        assertThat(Linearizability.check(List.of(
                Op.write("a", 1L, 0, 1), Op.read("b", 1L, 2, 3), Op.cas("a", 1L, 2L, true, 4, 5),
                Op.cas("b", 1L, 3L, false, 6, 7), Op.read("a", 2L, 8, 9)), null).linearizable()).isTrue();
        assertThat(Linearizability.check(List.of(Op.read("a", null, 0, 1), Op.write("a", 5L, 2, 3)), null)
                .linearizable()).isTrue();
    }

    @Test
    void aStaleReadAfterACompletedWriteIsCaught() {
        Linearizability.Result r = Linearizability.check(List.of(
                Op.write("a", 1L, 0, 1), Op.write("a", 2L, 2, 3), Op.read("b", 1L, 4, 5)), null);
        assertThat(r.linearizable()).isFalse();
        assertThat(r.stuckAt()).extracting(Op::process).contains("b");
    }

    @Test
    void concurrentOperationsMayTakeEffectInEitherOrderButReadsMustAgree() {
        // Two overlapping writes: readers after both may see either, but not one then the other then the first.
        assertThat(Linearizability.check(List.of(Op.write("a", 1L, 0, 10), Op.write("b", 2L, 1, 9),
                Op.read("c", 1L, 11, 12), Op.read("c", 1L, 13, 14)), null).linearizable()).isTrue();
        assertThat(Linearizability.check(List.of(Op.write("a", 1L, 0, 10), Op.write("b", 2L, 1, 9),
                Op.read("c", 1L, 11, 12), Op.read("c", 2L, 13, 14)), null).linearizable()).isFalse();
    }

    @Test
    void aCasThatClaimsSuccessOnAValueThatWasNeverThereIsCaught() {
        assertThat(Linearizability.check(List.of(Op.write("a", 1L, 0, 1), Op.cas("b", 7L, 8L, true, 2, 3)), null)
                .linearizable()).isFalse();
    }

    @Test
    void anOperationOfUnknownOutcomeMayHaveHappenedLateOrNever() {
        Op lost = Op.write("dead", 9L, 2, 3).unknown();
        assertThat(Linearizability.check(List.of(Op.write("a", 1L, 0, 1), lost, Op.read("b", 1L, 4, 5),
                Op.read("b", 9L, 6, 7)), null).linearizable()).as("took effect after the first read").isTrue();
        assertThat(Linearizability.check(List.of(Op.write("a", 1L, 0, 1), lost, Op.read("b", 1L, 4, 5)), null)
                .linearizable()).as("never took effect").isTrue();
        assertThat(Linearizability.check(List.of(Op.write("a", 1L, 0, 1), lost, Op.read("b", 9L, 4, 5),
                Op.read("b", 1L, 6, 7)), null).linearizable()).as("cannot be undone").isFalse();
    }

    /** A real register driven by threads records a history the checker accepts; making one read stale breaks it. */
    @Test
    void aRecordedHistoryPassesAndTheSameHistoryWithOneReadMadeStaleFails() throws Exception {
        AtomicReference<Long> register = new AtomicReference<>();
        List<Op> history = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String name = "t" + t;
            SplittableRandom r = new SplittableRandom(t);
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 150; i++) {
                    long v = r.nextLong(5);
                    long start = System.nanoTime();
                    switch (r.nextInt(3)) {
                        case 0 -> history.add(Op.read(name, register.get(), start, System.nanoTime()));
                        case 1 -> {
                            register.set(v);
                            history.add(Op.write(name, v, start, System.nanoTime()));
                        }
                        default -> {
                            Long expected = register.get();
                            boolean ok = register.compareAndSet(expected, v);
                            history.add(Op.cas(name, expected, v, ok, start, System.nanoTime()));
                        }
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(Linearizability.check(history, null).linearizable()).isTrue();
        // Make the last read that followed a completed write of another value return the value before it.
        List<Op> stale = new ArrayList<>(history);
        stale.sort(Comparator.comparingLong(Op::invoke));
        Long previous = null;
        Long current = null;
        for (int i = 0; i < stale.size(); i++) {
            Op o = stale.get(i);
            boolean quiet = stale.stream().noneMatch(x -> x != o && x.invoke() < o.complete() && x.complete() > o.invoke());
            if (o.kind() == Linearizability.Kind.WRITE && quiet && !Objects.equals(o.arg(), current)) {
                previous = current;
                current = o.arg();
            } else if (o.kind() == Linearizability.Kind.READ && quiet && previous != null
                    && Objects.equals(o.result(), current) && !Objects.equals(previous, current)) {
                stale.set(i, Op.read(o.process(), previous, o.invoke(), o.complete()));
                assertThat(Linearizability.check(stale, null).linearizable()).as("a stale read at %d", i).isFalse();
                return;
            } else if (!quiet) {
                previous = null; // overlapping operations: the value before is ambiguous
                current = null;
            }
        }
        throw new AssertionError("the recorded history had no quiet write followed by a quiet read; record a longer one");
    }
}
