package io.remem.client;

import io.remem.protocol.SlabDescriptor;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the runtime knows about one of its slabs: where it lives, and which of its blocks have ever been
 * written back. A block never written back holds zeros on the memory node, so a miss on it is served by
 * zero-filling locally, without a round trip (LegoOS's p-local lines).
 */
final class SlabEntry {
    private volatile SlabDescriptor descriptor;
    private final int blockShift;
    private final AtomicLongArray written; // one bit per block; null: assume every block may hold data

    /**
     * @param fresh true for a slab this runtime just allocated (all zeros); false for one it did not see born,
     *              whose blocks must all be fetched
     */
    SlabEntry(SlabDescriptor descriptor, int blockShift, boolean fresh) {
        this.descriptor = descriptor;
        this.blockShift = blockShift;
        long blocks = (descriptor.size() + (1L << blockShift) - 1) >>> blockShift;
        this.written = fresh ? new AtomicLongArray((int) ((blocks + 63) >>> 6)) : null;
    }

    SlabDescriptor descriptor() {
        return descriptor;
    }

    /** Takes the controller's newer view of where the slab lives; an older one than ours is ignored. */
    void refresh(SlabDescriptor newer) {
        if (newer.slabId() == descriptor.slabId() && newer.epoch() >= descriptor.epoch()) {
            descriptor = newer;
        }
    }

    long slabId() {
        return descriptor.slabId();
    }

    boolean mayHoldData(long offset, int length) {
        if (written == null) {
            return true;
        }
        for (long b = offset >>> blockShift, last = (offset + length - 1) >>> blockShift; b <= last; b++) {
            if ((written.get((int) (b >>> 6)) & (1L << b)) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Records that data is on its way to {@code [offset, +length)}; call before sending it. */
    void markWritten(long offset, int length) {
        if (written == null) {
            return;
        }
        for (long b = offset >>> blockShift, last = (offset + length - 1) >>> blockShift; b <= last; b++) {
            int word = (int) (b >>> 6);
            long bit = 1L << b;
            if ((written.get(word) & bit) == 0) {
                written.getAndAccumulate(word, bit, (x, y) -> x | y);
            }
        }
    }
}
