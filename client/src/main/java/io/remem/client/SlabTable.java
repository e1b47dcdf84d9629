package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.SlabDescriptor;
import io.remem.protocol.SlabRun;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runtime's copy of the controller's slab map for its tenant (LegoOS's vRegion array): slab id to replicas.
 * Consulted on misses and write-backs only, never on hits.
 */
final class SlabTable {
    private final int slabShift;
    private final int blockShift;
    private final Map<Long, SlabEntry> slabs = new ConcurrentHashMap<>();

    SlabTable(int slabShift, int blockShift) {
        this.slabShift = slabShift;
        this.blockShift = blockShift;
    }

    int slabShift() {
        return slabShift;
    }

    long slabId(long farAddress) {
        return farAddress >>> slabShift;
    }

    long offset(long farAddress) {
        return farAddress & ((1L << slabShift) - 1);
    }

    long farAddress(long slabId, long offset) {
        return (slabId << slabShift) | offset;
    }

    void add(SlabRun run, boolean fresh) {
        for (SlabDescriptor d : run.slabs()) {
            slabs.put(d.slabId(), new SlabEntry(d, blockShift, fresh));
        }
    }

    /** The ids of every slab in the table now. */
    List<Long> slabIds() {
        return List.copyOf(slabs.keySet());
    }

    void remove(long firstSlabId, int count) {
        for (long id = firstSlabId; id < firstSlabId + count; id++) {
            slabs.remove(id);
        }
    }

    /** The entry of slab {@code slabId}, or null. */
    SlabEntry findSlab(long slabId) {
        return slabs.get(slabId);
    }

    /** The slab holding {@code farAddress}, or null if there is none (never allocated, or freed). */
    SlabEntry find(long farAddress) {
        return slabs.get(slabId(farAddress));
    }

    SlabEntry get(long farAddress) {
        SlabEntry e = find(farAddress);
        if (e == null) {
            throw new RememException(ErrorCode.NO_SUCH_SLAB, "far address 0x" + Long.toHexString(farAddress)
                    + " is not in any slab of this session (freed?)");
        }
        return e;
    }
}
