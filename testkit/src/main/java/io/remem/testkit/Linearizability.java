package io.remem.testkit;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A linearizability checker for the history of one register (one key of a map), in the manner of Knossos and of
 * Wing and Gong's search: it looks for an order of the operations that respects real time (an operation that
 * completed before another was invoked comes first) and in which every read returns the last value written. The
 * search is depth-first over "which pending operation takes effect next", memoized on (operations done, value).
 *
 * <p>Operations whose outcome is unknown (the client died or timed out) may take effect at any point after their
 * invocation, or never. Times must come from one clock every recording process shares (on one host,
 * {@link System#nanoTime()}: CLOCK_MONOTONIC).
 */
public final class Linearizability {
    private Linearizability() {}

    /** What an operation did. {@code null} values mean "absent". */
    public enum Kind {
        /** Returned {@code result}. */
        READ,
        /** Set the value to {@code arg}. */
        WRITE,
        /** If the value was {@code arg}, set it to {@code arg2}; {@code result} 1 if it did, 0 if not. */
        CAS
    }

    /**
     * One operation: invoked at {@code invoke}, completed at {@code complete} ({@link Long#MAX_VALUE} with
     * {@code known} false: unknown outcome).
     */
    public record Op(String process, Kind kind, Long arg, Long arg2, Long result, long invoke, long complete,
                     boolean known) {
        public Op {
            Objects.requireNonNull(kind, "kind");
            if (known && complete < invoke) {
                throw new IllegalArgumentException("completed before invoked: " + invoke + " > " + complete);
            }
        }

        public static Op read(String process, Long result, long invoke, long complete) {
            return new Op(process, Kind.READ, null, null, result, invoke, complete, true);
        }

        public static Op write(String process, Long value, long invoke, long complete) {
            return new Op(process, Kind.WRITE, value, null, null, invoke, complete, true);
        }

        public static Op cas(String process, Long expected, Long value, boolean swapped, long invoke, long complete) {
            return new Op(process, Kind.CAS, expected, value, swapped ? 1L : 0L, invoke, complete, true);
        }

        /** The same operation, its outcome unknown. */
        public Op unknown() {
            return new Op(process, kind, arg, arg2, result, invoke, Long.MAX_VALUE, false);
        }

        long end() {
            return known ? complete : Long.MAX_VALUE;
        }
    }

    /** The verdict: linearizable, or not, with the operations that could not be placed at the deepest point. */
    public record Result(boolean linearizable, int placed, List<Op> stuckAt) {}

    /** Checks the history of one register that starts at {@code initial}. Reads of unknown outcome are dropped. */
    public static Result check(List<Op> history, Long initial) {
        List<Op> ops = new ArrayList<>();
        for (Op o : history) {
            if (o.known() || o.kind() != Kind.READ) {
                ops.add(o);
            }
        }
        ops.sort(Comparator.comparingLong(Op::invoke));
        Search s = new Search(ops);
        boolean ok = s.run(new BitSet(ops.size()), initial, 0);
        return new Result(ok, s.deepest, ok ? List.of() : s.stuck);
    }

    private static final class Search {
        private final List<Op> ops;
        private final int mustPlace;
        private final Set<State> seen = new HashSet<>();
        int deepest = -1;
        List<Op> stuck = List.of();

        Search(List<Op> ops) {
            this.ops = ops;
            this.mustPlace = (int) ops.stream().filter(Op::known).count();
        }

        private record State(BitSet done, Long value) {}

        boolean run(BitSet done, Long value, int placedKnown) {
            if (placedKnown == mustPlace) {
                return true;
            }
            if (!seen.add(new State((BitSet) done.clone(), value))) {
                return false;
            }
            // Only an operation invoked before every pending one's completion can be next.
            long horizon = Long.MAX_VALUE;
            for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
                horizon = Math.min(horizon, ops.get(i).end());
            }
            List<Op> tried = new ArrayList<>();
            for (int i = done.nextClearBit(0); i < ops.size() && ops.get(i).invoke() <= horizon; i = done.nextClearBit(i + 1)) {
                Op o = ops.get(i);
                tried.add(o);
                Long next;
                switch (o.kind()) {
                    case READ -> {
                        if (!Objects.equals(o.result(), value)) {
                            continue;
                        }
                        next = value;
                    }
                    case WRITE -> next = o.arg();
                    case CAS -> {
                        boolean matches = Objects.equals(o.arg(), value);
                        if (o.known() && matches != (o.result() == 1L)) {
                            continue;
                        }
                        next = matches ? o.arg2() : value;
                    }
                    default -> throw new IllegalStateException();
                }
                done.set(i);
                boolean found = run(done, next, placedKnown + (o.known() ? 1 : 0));
                done.clear(i);
                if (found) {
                    return true;
                }
            }
            if (done.cardinality() > deepest) {
                deepest = done.cardinality();
                stuck = tried;
            }
            return false;
        }
    }
}
