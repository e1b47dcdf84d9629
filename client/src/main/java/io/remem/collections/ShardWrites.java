package io.remem.collections;

import io.remem.client.FarMemory;
import io.remem.client.FarSegment;
import io.remem.protocol.MapLayout;

import java.util.concurrent.atomic.LongAdder;

/**
 * Every write to a {@link FarMap}, on encoded keys and values: under the write lock of the key's shard, it looks the
 * key up and puts, replaces or removes as its {@link Op} says, rebuilding the shard ({@link ShardRebuilds}) when the
 * entry does not fit. An entry too large to live in its shard's region is written out of line first, before any
 * lock is taken, so a shard is never locked across an allocation.
 */
final class ShardWrites {
    /** Write results that are not previous values. */
    static final byte[] PRESENT = new byte[0];
    static final byte[] MISMATCH = new byte[0];

    enum Op { PUT, PUT_IF_ABSENT, REPLACE, REPLACE_IF_EQUAL, REMOVE, REMOVE_IF_EQUAL }

    private final FarMemory memory;
    private final ShardDirectory directory;
    private final ShardRebuilds rebuilds;
    private final LongAdder entries;
    /** Entries bigger than this go out of line. */
    private final int inlineLimit;
    private final int blockSize;
    private final Runnable ensureOpen;

    /** @param entries the map's entry count, kept up to date here */
    ShardWrites(FarMemory memory, ShardDirectory directory, ShardRebuilds rebuilds, LongAdder entries, int inlineLimit,
                int blockSize, Runnable ensureOpen) {
        this.memory = memory;
        this.directory = directory;
        this.rebuilds = rebuilds;
        this.entries = entries;
        this.inlineLimit = inlineLimit;
        this.blockSize = blockSize;
        this.ensureOpen = ensureOpen;
    }

    /**
     * Every write: under the write lock of the key's shard, looks the key up and does what {@code op} says.
     *
     * @return the previous value's bytes if {@code wantOld}, else {@link #PRESENT}, when the key was there (and, for
     *         the conditional ops, its value equal to {@code expected}); {@link #MISMATCH} when it was there with
     *         another value; null when it was not there
     */
    byte[] write(Op op, byte[] key, long hash, byte[] value, byte[] expected, boolean wantOld) {
        Shard.OutOfLine prepared = null;
        if (value != null) {
            long entryBytes = (long) MapLayout.ENTRY_HEADER_BYTES + key.length + value.length;
            if (entryBytes > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("an entry of " + entryBytes + " bytes is too large");
            }
            if (entryBytes > inlineLimit) {
                prepared = writeOutOfLine(key, value, hash, (int) entryBytes);
            }
        }
        boolean linked = false;
        FarSegment unlinked = null;
        try {
            while (true) {
                Shard shard = directory.shardFor(hash);
                long stamp = shard.lock.writeLock();
                try {
                    if (shard.retired) {
                        ensureOpen.run();
                        continue;
                    }
                    int slot = shard.find(key, hash);
                    if (slot < 0) {
                        if (op != Op.PUT && op != Op.PUT_IF_ABSENT) {
                            return null;
                        }
                        if (!insert(shard, -slot - 1, key, hash, value, prepared)) {
                            rebuilds.rebuild(shard, hash, prepared == null ? Shard.pad(8 + key.length + value.length) : 0);
                            continue;
                        }
                        linked = prepared != null;
                        entries.increment();
                        return null;
                    }
                    if (op == Op.PUT_IF_ABSENT) {
                        return wantOld ? shard.readValue(slot, blockSize) : PRESENT;
                    }
                    if ((op == Op.REPLACE_IF_EQUAL || op == Op.REMOVE_IF_EQUAL) && !shard.valueEquals(slot, expected)) {
                        return MISMATCH;
                    }
                    byte[] old = wantOld ? shard.readValue(slot, blockSize) : PRESENT;
                    long oldRef = shard.ref(slot);
                    int oldBytes = Shard.entryBytes(shard.meta(slot));
                    if (op == Op.REMOVE || op == Op.REMOVE_IF_EQUAL) {
                        unlinked = shard.release(oldRef, oldBytes);
                        shard.deleteSlot(slot);
                        shard.count--;
                        entries.decrement();
                        return old;
                    }
                    long ref;
                    int entryBytes;
                    if (prepared != null) {
                        shard.adopt(prepared);
                        ref = prepared.ref();
                        entryBytes = MapLayout.ENTRY_HEADER_BYTES + key.length + value.length;
                        linked = true;
                        unlinked = shard.release(oldRef, oldBytes);
                    } else {
                        entryBytes = MapLayout.ENTRY_HEADER_BYTES + key.length + value.length;
                        if (oldRef > 0 && Shard.pad(entryBytes) <= Shard.pad(oldBytes)) {
                            shard.overwrite(oldRef, oldBytes, key, value);
                            ref = oldRef;
                        } else if (shard.hasRoom(Shard.pad(entryBytes))) {
                            ref = shard.append(key, value);
                            unlinked = shard.release(oldRef, oldBytes);
                        } else {
                            rebuilds.rebuild(shard, hash, Shard.pad(entryBytes));
                            continue;
                        }
                    }
                    shard.setSlot(slot, ref, Shard.meta(hash, entryBytes));
                    return old;
                } finally {
                    shard.lock.unlockWrite(stamp);
                }
            }
        } finally {
            if (prepared != null && !linked) {
                prepared.segment().free();
            }
            if (unlinked != null) {
                unlinked.free();
            }
        }
    }

    /** Puts a new entry in empty {@code slot}; false, having changed nothing, if the shard must be rebuilt first. */
    private boolean insert(Shard shard, int slot, byte[] key, long hash, byte[] value, Shard.OutOfLine prepared) {
        if (shard.count >= shard.maxCount) {
            return false;
        }
        long ref;
        int entryBytes = MapLayout.ENTRY_HEADER_BYTES + key.length + value.length;
        if (prepared != null) {
            shard.adopt(prepared);
            ref = prepared.ref();
        } else if (shard.hasRoom(Shard.pad(entryBytes))) {
            ref = shard.append(key, value);
        } else {
            return false;
        }
        shard.setSlot(slot, ref, Shard.meta(hash, entryBytes));
        shard.count++;
        return true;
    }

    /** Allocates and writes an out-of-line entry, before any lock is taken. */
    private Shard.OutOfLine writeOutOfLine(byte[] key, byte[] value, long hash, int entryBytes) {
        FarSegment segment = memory.allocate(Shard.pad(entryBytes));
        try {
            Shard.writeEntry(segment, 0, key, value);
        } catch (RuntimeException | Error e) {
            segment.free();
            throw e;
        }
        return new Shard.OutOfLine(segment, hash);
    }
}
