package io.remem.collections;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link FarMap}'s local directory: {@code 2^depth} entries indexed by the top {@code depth} bits of a hash, each
 * naming the shard that holds those hashes (a shard of depth {@code d} fills {@code 2^(depth - d)} entries in a row).
 * Lookups take no lock; rebuilds install their shards under a lock that closing takes too, so no shard is installed
 * in a closed map.
 */
final class ShardDirectory {
    private static final VarHandle SHARDS = MethodHandles.arrayElementVarHandle(Shard[].class);

    /** The entries, and how many top hash bits index them; replaced whole when the directory deepens. */
    private record Table(int depth, Shard[] shards) {}

    private final ReentrantLock lock = new ReentrantLock();
    private volatile Table table;
    private boolean closed; // guarded by lock

    /** @param shards {@code 2^depth} shards of that depth, in prefix order */
    ShardDirectory(int depth, Shard[] shards) {
        this.table = new Table(depth, shards);
    }

    /** The shard the directory names for {@code hash}; it may turn out retired once locked. */
    Shard shardFor(long hash) {
        Table t = table;
        int i = t.depth == 0 ? 0 : (int) (hash >>> (64 - t.depth));
        return (Shard) SHARDS.getAcquire(t.shards, i);
    }

    /** Distinct shards now. */
    int shardCount() {
        return distinct(table.shards).size();
    }

    /** The directory's depth now. */
    int depth() {
        return table.depth;
    }

    /**
     * Points the entries for each of {@code built} at it, deepening the directory as needed.
     *
     * @throws IllegalStateException if the map was closed
     */
    void install(List<Shard> built) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("FarMap is closed");
            }
            Table t = table;
            int depth = t.depth;
            for (Shard s : built) {
                depth = Math.max(depth, s.depth);
            }
            Shard[] shards = t.shards;
            if (depth > t.depth) {
                Shard[] deeper = new Shard[1 << depth];
                int shift = depth - t.depth;
                for (int i = 0; i < deeper.length; i++) {
                    deeper[i] = shards[i >>> shift];
                }
                shards = deeper;
            }
            for (Shard s : built) {
                int shift = depth - s.depth;
                int from = (int) (s.prefix << shift);
                int to = (int) ((s.prefix + 1) << shift);
                for (int i = from; i < to; i++) {
                    SHARDS.setRelease(shards, i, s);
                }
            }
            if (shards != t.shards) {
                table = new Table(depth, shards);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Closes the directory: no shard is installed afterwards. Returns its distinct shards, or null if it was closed. */
    List<Shard> close() {
        lock.lock();
        try {
            if (closed) {
                return null;
            }
            closed = true;
            return distinct(table.shards);
        } finally {
            lock.unlock();
        }
    }

    /** The shards of {@code shards} once each: a shard's entries are contiguous. */
    private static List<Shard> distinct(Shard[] shards) {
        List<Shard> out = new ArrayList<>();
        Shard prev = null;
        for (Shard s : shards) {
            if (s != prev) {
                out.add(s);
                prev = s;
            }
        }
        return out;
    }
}
