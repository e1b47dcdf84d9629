package io.remem.collections;

import io.remem.client.Offload;
import io.remem.client.OffloadMode;
import io.remem.protocol.MapGetResult;
import io.remem.protocol.MapLayout;

/**
 * How a {@link FarMap} finds a key in one shard, whose read (or write) lock the caller holds so that the region can be
 * neither rebuilt nor freed meanwhile: pulled through the local cache, near at the memory node, or whichever costs
 * less now (AUTO).
 */
final class ShardLookups {
    /** Entries bigger than this go out of line. */
    private final int inlineLimit;
    private final int blockSize;
    private final Offload offload;

    ShardLookups(int inlineLimit, int blockSize, Offload offload) {
        this.inlineLimit = inlineLimit;
        this.blockSize = blockSize;
        this.offload = offload;
    }

    /** The encoded value of {@code key} (encoded) in {@code shard}, or null, run as {@code mode} says. */
    byte[] find(Shard shard, byte[] key, long hash, OffloadMode mode) {
        return switch (mode) {
            case PULL -> getPulled(key, hash, shard);
            case NEAR -> nearAllowed(key) ? getNear(key, hash, shard) : getPulled(key, hash, shard);
            case AUTO -> getAuto(key, hash, shard);
        };
    }

    /** A key too long to be inline is always out of line, where only the cache has its latest bytes. */
    boolean nearAllowed(byte[] key) {
        return MapLayout.ENTRY_HEADER_BYTES + key.length <= inlineLimit;
    }

    /**
     * AUTO: the lookup runs here when every slot and entry it reads is cached, costing no round trip; here too when
     * the shard has writes the memory node may not have yet (near would have to write them back first); and at the
     * memory node otherwise, costing one round trip where a pulled miss costs a block fetch.
     */
    byte[] getAuto(byte[] key, long hash, Shard shard) {
        int slot = shard.findCached(key, hash);
        if (slot != Shard.NOT_CACHED) {
            return slot < 0 ? null : shard.readValue(slot, blockSize);
        }
        if (!nearAllowed(key)) {
            return getPulled(key, hash, shard);
        }
        if (shard.isDirty()) {
            // Near would first have to write the shard back: a round trip that pulling does not pay. Once the cache
            // has nothing unwritten of it, the shard is clean for the memory node, and near is one round trip again.
            if (shard.region().mayHaveUnwritten()) {
                return getPulled(key, hash, shard);
            }
            shard.markClean();
        }
        return getNear(key, hash, shard);
    }

    /**
     * The near path: the memory node holding the shard probes it ({@link Offload#mapGet}), one round trip. The caller
     * holds the shard's read lock, so no write can land between the force and the memory node's read; the shard is
     * marked clean only once the force succeeded. An out-of-line entry is read through the cache, which holds its
     * latest bytes: one more read, of an entry bigger than an eighth of a region.
     */
    byte[] getNear(byte[] key, long hash, Shard shard) {
        if (shard.isDirty()) {
            shard.region().force();
            shard.markClean();
        }
        MapGetResult r = offload.mapGet(shard.region(), shard.capacity(), hash, key);
        if (r == null) {
            return getPulled(key, hash, shard); // no replica could run it near: the same probe through the cache
        }
        return switch (r.outcome()) {
            case FOUND -> r.value();
            case ABSENT -> null;
            case ELSEWHERE -> {
                long ref = r.address() | MapLayout.OUT_OF_LINE;
                yield shard.outOfLine(ref) != null && shard.keyEquals(ref, key) ? shard.readValueAt(ref, blockSize)
                        : getPulled(key, hash, shard); // a tag collision: probe on through the cache
            }
        };
    }

    /**
     * The pull path of a lookup: probes the shard's slots from the key's home, reads the entry whose tag and key
     * match, and returns a copy of its value bytes, or null. The caller holds the shard's read (or write) lock.
     */
    byte[] getPulled(byte[] key, long hash, Shard shard) {
        int slot = shard.find(key, hash);
        return slot < 0 ? null : shard.readValue(slot, blockSize);
    }
}
