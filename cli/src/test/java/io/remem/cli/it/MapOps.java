package io.remem.cli.it;

import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.collections.Codec;
import io.remem.collections.FarMap;
import io.remem.collections.SharedFarMap;

import java.util.SplittableRandom;

/**
 * An application in a JVM of its own that runs random single-key operations on shared map {@code args[2]} as tenant
 * {@code args[1]} at controller {@code args[0]} for {@code args[4]} milliseconds, over {@code args[5]} keys, and
 * prints each as {@code OP process kind key arg arg2 result invokeNanos completeNanos known} for a linearizability
 * check ("-" for null). Process {@code args[3]} writes values of its own (process × 10^9 + n), so writes differ.
 */
public final class MapOps {
    private MapOps() {}

    public static void main(String[] args) throws Exception {
        String proc = args[3];
        long until = System.nanoTime() + Long.parseLong(args[4]) * 1_000_000;
        int keys = Integer.parseInt(args[5]);
        SplittableRandom r = new SplittableRandom(proc.hashCode());
        long next = Long.parseLong(proc) * 1_000_000_000L;
        try (RememSession s = Remem.connect(args[0], RememOptions.builder().tenant(args[1])
                .secret(System.getenv("REMEM_SECRET").toCharArray()).cacheBytes(1 << 20).build());
             SharedFarMap<String, Long> map = FarMap.open(s.memory(), args[2], Codec.utf8(), Codec.int64())) {
            Long lastSeen = null;
            while (System.nanoTime() < until) {
                String key = "k" + r.nextInt(keys);
                int kind = r.nextInt(4);
                long v = ++next;
                long start = System.nanoTime();
                Long expected = null;
                try {
                    switch (kind) {
                        case 0 -> {
                            Long got = map.get(key);
                            lastSeen = got;
                            print(proc, "READ", key, null, null, got, start, true);
                        }
                        case 1 -> {
                            map.put(key, v);
                            print(proc, "WRITE", key, v, null, null, start, true);
                        }
                        case 2 -> {
                            boolean ok = map.putIfAbsent(key, v) == null;
                            print(proc, "CAS", key, null, v, ok ? 1L : 0L, start, true);
                        }
                        default -> {
                            expected = lastSeen != null && r.nextBoolean() ? lastSeen : map.get(key);
                            if (expected == null) {
                                continue;
                            }
                            start = System.nanoTime();
                            boolean ok = map.replace(key, expected, v);
                            print(proc, "CAS", key, expected, v, ok ? 1L : 0L, start, true);
                        }
                    }
                } catch (RuntimeException e) {
                    // The outcome is unknown: it may have taken effect, or not.
                    String k = switch (kind) { case 0 -> "READ"; case 1 -> "WRITE"; default -> "CAS"; };
                    print(proc, k, key, kind == 1 ? v : expected, kind >= 2 ? v : null, null, start, false);
                    System.err.println("unknown outcome: " + e);
                }
            }
        }
        System.out.println("done");
    }

    private static void print(String proc, String kind, String key, Long arg, Long arg2, Long result, long start,
                              boolean known) {
        long end = System.nanoTime();
        System.out.println("OP " + proc + " " + kind + " " + key + " " + str(arg) + " " + str(arg2) + " " + str(result)
                + " " + start + " " + end + " " + known);
    }

    private static String str(Long v) {
        return v == null ? "-" : v.toString();
    }
}
