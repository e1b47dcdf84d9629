package io.remem.examples;

import io.remem.collections.Codec;
import io.remem.collections.FarMap;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read-through cache in front of a slow store, kept in far memory instead of the heap: a {@link FarMap} is a
 * {@code ConcurrentMap}, so {@code computeIfAbsent} loads a missing entry once. Looks up a skewed stream of keys,
 * checks every answer against the store, and reports how often the store was spared.
 */
public final class FarMapCache {
    private static final int KEYS = 20_000;

    private FarMapCache() {
    }

    /** The store the cache spares: 100 µs a lookup, as a database round trip might take. */
    static final class SlowStore {
        final AtomicLong lookups = new AtomicLong();

        String load(long key) {
            lookups.incrementAndGet();
            long until = System.nanoTime() + 100_000;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            return "profile-of-user-" + key + "-" + "x".repeat((int) (key % 200));
        }
    }

    public static void main(String[] args) {
        SlowStore store = new SlowStore();
        try (Connection c = Connection.open(args, 4L << 20);
             FarMap<Long, String> cache = FarMap.create(c.session().memory(), Codec.int64(), Codec.utf8(), KEYS)) {
            SplittableRandom random = new SplittableRandom(7);
            int requests = 100_000;
            long wrong = 0;
            long start = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                long key = Math.min(KEYS - 1, (long) (KEYS * Math.pow(random.nextDouble(), 3))); // skewed: hot keys
                String profile = cache.computeIfAbsent(key, store::load);
                if (!profile.startsWith("profile-of-user-" + key + "-")) {
                    wrong++;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%d requests in %.2f s, %d went to the slow store (%.1f%%), %d entries cached far away,"
                    + " %d wrong answers%n", requests, seconds, store.lookups.get(),
                    100.0 * store.lookups.get() / requests, cache.size(), wrong);
            if (wrong != 0 || store.lookups.get() != cache.size()) {
                throw new IllegalStateException("the cache answered wrong, or loaded an entry twice");
            }
        }
    }
}
