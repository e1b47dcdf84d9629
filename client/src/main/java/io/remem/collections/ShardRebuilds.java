package io.remem.collections;

import io.remem.client.FarMemory;
import io.remem.client.FarSegment;
import io.remem.protocol.MapLayout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import static io.remem.protocol.MapLayout.SLOT_BYTES;

/**
 * Replaces a full shard of a {@link FarMap} by a compacted, grown or split copy: the {@link ShardPlanner} decides,
 * this writes the new shards from a local image of the old region and installs them in the {@link ShardDirectory}.
 */
final class ShardRebuilds {
    final LongAdder compactions = new LongAdder();
    final LongAdder growths = new LongAdder();
    final LongAdder splits = new LongAdder();
    private final FarMemory memory;
    private final ShardPlanner planner;
    private final ShardDirectory directory;
    private final Runnable ensureOpen;

    ShardRebuilds(FarMemory memory, ShardPlanner planner, ShardDirectory directory, Runnable ensureOpen) {
        this.memory = memory;
        this.planner = planner;
        this.directory = directory;
        this.ensureOpen = ensureOpen;
    }

    /**
     * Replaces {@code shard}, whose write lock the caller holds, by a compacted, grown or split copy with room for a
     * pending entry of {@code pendingHeap} heap bytes and hash {@code pendingHash} (see the class comment for the
     * policy). On return the shard is retired, and the caller looks the key's shard up again.
     */
    void rebuild(Shard shard, long pendingHash, int pendingHeap) {
        ensureOpen.run();
        byte[] image = shard.image();
        Shard.Live live = shard.live(image);
        List<ShardPlanner.Plan> plans = planner.plan(live, shard.depth, shard.prefix, pendingHash, pendingHeap);
        List<Shard> built = new ArrayList<>(plans.size());
        try {
            for (ShardPlanner.Plan p : plans) {
                built.add(build(p, image, live, shard));
            }
            directory.install(built);
        } catch (RuntimeException | Error e) {
            for (Shard b : built) {
                b.region.free();
            }
            throw e;
        }
        shard.retired = true;
        shard.region.free();
        if (plans.size() > 1) {
            splits.increment();
        } else if (plans.getFirst().regionBytes() > shard.regionBytes) {
            growths.increment();
        } else {
            compactions.increment();
        }
    }

    /** Writes the shard {@code p} plans, from a local image of the old shard's region, into a fresh region. */
    private Shard build(ShardPlanner.Plan p, byte[] image, Shard.Live live, Shard old) {
        int c = p.capacity();
        int mask = c - 1;
        int top = c * SLOT_BYTES;
        int heap = 0;
        for (int i : p.entries()) {
            if (live.ref()[i] > 0) {
                heap += Shard.pad(live.bytes()[i]);
            }
        }
        byte[] out = new byte[top + heap];
        HashMap<Long, Shard.OutOfLine> outOfLine = null;
        for (int i : p.entries()) {
            long ref = live.ref()[i];
            int bytes = live.bytes()[i];
            long hash = live.hash()[i];
            long newRef;
            if (ref < 0) {
                Shard.OutOfLine e = old.outOfLine(ref);
                if (outOfLine == null) {
                    outOfLine = new HashMap<>();
                }
                outOfLine.put(e.segment().address(), e);
                newRef = ref;
            } else {
                System.arraycopy(image, (int) ref, out, top, bytes);
                newRef = top;
                top += Shard.pad(bytes);
            }
            int slot = MapLayout.homeSlot(hash, c);
            while ((long) Shard.LONGS.get(out, slot * SLOT_BYTES) != 0) {
                slot = (slot + 1) & mask;
            }
            Shard.LONGS.set(out, slot * SLOT_BYTES + MapLayout.SLOT_REF, newRef);
            Shard.LONGS.set(out, slot * SLOT_BYTES + MapLayout.SLOT_TAG, Shard.meta(hash, bytes));
        }
        FarSegment region = memory.allocate(p.regionBytes());
        try {
            if (p.entries().length > 0) {
                FarSegment.copy(out, 0, region, 0, top); // a fresh region is all zero: empty shards need no write
            }
        } catch (RuntimeException | Error e) {
            region.free();
            throw e;
        }
        return new Shard(p.depth(), p.prefix(), region, c, top, p.entries().length, outOfLine);
    }
}
