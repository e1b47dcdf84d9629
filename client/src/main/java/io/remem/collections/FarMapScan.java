package io.remem.collections;

import io.remem.client.OffloadMode;

import java.util.Arrays;

/**
 * A walk over a {@link FarMap} in hash order, one shard's worth of entries at a time (see FarMap's class comment);
 * yields the encoded key and, if asked, value of each entry.
 */
final class FarMapScan {
    private final FarMap<?, ?> map;
    private final boolean withValues;
    private long cursor;
    private boolean exhausted;
    private Shard.Batch batch = Shard.Batch.EMPTY;
    private Integer[] order = new Integer[0];
    private int pos;
    long hash;
    byte[] key;
    byte[] value;

    FarMapScan(FarMap<?, ?> map, boolean withValues) {
        this.map = map;
        this.withValues = withValues;
    }

    /** Moves to the next entry; false at the end. */
    boolean advance() {
        while (true) {
            while (pos < order.length) {
                int i = order[pos++];
                byte[] v = null;
                if (withValues) {
                    v = batch.values()[i];
                    if (v == null) { // out of line: read now, if it is still there
                        v = map.valueBytes(batch.keys()[i], batch.hash()[i], OffloadMode.PULL);
                        if (v == null) {
                            continue;
                        }
                    }
                }
                hash = batch.hash()[i];
                key = batch.keys()[i];
                value = v;
                return true;
            }
            if (exhausted) {
                key = null;
                value = null;
                return false;
            }
            fetch();
        }
    }

    private void fetch() {
        while (true) {
            map.ensureOpen();
            Shard shard = map.shardFor(cursor);
            long end;
            Shard.Batch b;
            long stamp = shard.lock.readLock();
            try {
                if (shard.retired) {
                    continue;
                }
                b = shard.collect(cursor, withValues);
                end = shard.rangeEnd();
            } finally {
                shard.lock.unlockRead(stamp);
            }
            Integer[] o = new Integer[b.n()];
            Arrays.setAll(o, i -> i);
            Arrays.sort(o, (x, y) -> KeyHash.compare(b.hash()[x], b.keys()[x], b.hash()[y], b.keys()[y]));
            batch = b;
            order = o;
            pos = 0;
            cursor = end;
            exhausted = end == 0;
            return;
        }
    }
}
