package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * A dataset as the controller describes it: {@code string owner, string name, u64 bytes, u8 replication, u32
 * openBy} (how many runtime sessions have it open now).
 */
public record DatasetInfo(String owner, String name, long bytes, int replication, int openBy) {
    private static final int MAX_LIST = 1 << 20;

    public void encode(ByteBuf out) {
        Bodies.writeString(out, owner);
        Bodies.writeString(out, name);
        out.writeLong(bytes);
        out.writeByte(replication);
        out.writeInt(openBy);
    }

    public static DatasetInfo decode(ByteBuf body) {
        try {
            return new DatasetInfo(TenantName.check(Bodies.readString(body, "dataset.owner")),
                    DatasetName.check(Bodies.readString(body, "dataset.name")),
                    Bodies.readNonNegativeLong(body, "dataset.bytes"),
                    Bodies.readUnsignedByte(body, "dataset.replication"),
                    Bodies.readCount(body, Integer.MAX_VALUE, "dataset.openBy"));
        } catch (RememException e) {
            throw e.code() == ErrorCode.MALFORMED_FRAME ? e : RememException.malformed("dataset: " + e.detail());
        }
    }

    /** Body of DATASET_LIST's answer: {@code u32 n}, then n datasets. */
    public static void encodeList(List<DatasetInfo> list, ByteBuf out) {
        out.writeInt(list.size());
        for (DatasetInfo d : list) {
            d.encode(out);
        }
    }

    public static List<DatasetInfo> decodeList(ByteBuf body) {
        int n = Bodies.readCount(body, MAX_LIST, "datasets.count");
        List<DatasetInfo> out = new ArrayList<>(Math.min(n, body.readableBytes() / 17));
        for (int i = 0; i < n; i++) {
            out.add(decode(body));
        }
        Bodies.expectEnd(body, "datasets");
        return out;
    }

    /** Body of DATASET_OPEN's answer: the dataset, then its slabs as a slab run. */
    public static void encodeOpened(DatasetInfo info, SlabRun run, ByteBuf out) {
        info.encode(out);
        run.encode(out);
    }

    /** The dataset and its slabs. */
    public record Opened(DatasetInfo info, SlabRun run) {}

    public static Opened decodeOpened(ByteBuf body) {
        DatasetInfo info = decode(body);
        return new Opened(info, SlabRun.decode(body));
    }
}
