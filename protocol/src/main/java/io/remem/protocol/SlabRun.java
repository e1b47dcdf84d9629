package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/** Body of the SLAB_ALLOC and SLAB_LOOKUP responses: slabs with consecutive ids, lowest first. */
public record SlabRun(List<SlabDescriptor> slabs) {
    /** Upper bound on slabs in one run; 2^20 slabs of the smallest size is already 1 TiB. */
    public static final int MAX_SLABS = 1 << 20;

    public SlabRun {
        slabs = List.copyOf(slabs);
        if (slabs.isEmpty()) {
            throw RememException.malformed("slab run: a run holds at least one slab");
        }
        for (int i = 1; i < slabs.size(); i++) {
            if (slabs.get(i).slabId() != slabs.get(i - 1).slabId() + 1) {
                throw RememException.malformed("slab run: ids are not consecutive");
            }
        }
    }

    public long firstSlabId() {
        return slabs.getFirst().slabId();
    }

    public long bytes() {
        long sum = 0;
        for (SlabDescriptor s : slabs) {
            sum += s.size();
        }
        return sum;
    }

    public void encode(ByteBuf out) {
        out.writeInt(slabs.size());
        for (SlabDescriptor s : slabs) {
            s.encode(out);
        }
    }

    public static SlabRun decode(ByteBuf body) {
        int n = Bodies.readCount(body, MAX_SLABS, "run.count");
        if (n == 0) {
            throw RememException.malformed("run.count: a run holds at least one slab");
        }
        List<SlabDescriptor> slabs = new ArrayList<>(Math.min(n, body.readableBytes() / 30));
        for (int i = 0; i < n; i++) {
            slabs.add(SlabDescriptor.decode(body));
        }
        Bodies.expectEnd(body, "run");
        return new SlabRun(slabs);
    }
}
