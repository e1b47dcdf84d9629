package io.remem.protocol;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.auth.Grant;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A dataset as the controller describes it: {@code string owner, string name, u64 bytes, u8 replication, u8 mode,
 * u32 openBy} (how many runtime sessions have it open now), {@code u16 n, n × (string grantee, u8 access)} (the tenants it
 * is granted to, in ascending order of name; shown to its owner and admins only).
 */
public record DatasetInfo(String owner, String name, long bytes, int replication, DatasetMode mode, int openBy,
                          Map<String, DatasetAccess> grants) {
    private static final int MAX_LIST = 1 << 20;
    /** Tenants one dataset may be granted to. */
    public static final int MAX_GRANTS = 1024;

    public DatasetInfo {
        if (mode == null) {
            throw new IllegalArgumentException("mode: null");
        }
        grants = Collections.unmodifiableMap(new TreeMap<>(grants));
    }

    public DatasetInfo(String owner, String name, long bytes, int replication, DatasetMode mode, int openBy) {
        this(owner, name, bytes, replication, mode, openBy, Map.of());
    }

    public void encode(ByteBuf out) {
        Bodies.writeString(out, owner);
        Bodies.writeString(out, name);
        out.writeLong(bytes);
        out.writeByte(replication);
        out.writeByte(mode.ordinal());
        out.writeInt(openBy);
        out.writeShort(grants.size());
        for (Map.Entry<String, DatasetAccess> g : grants.entrySet()) {
            Bodies.writeString(out, g.getKey());
            out.writeByte(g.getValue().ordinal());
        }
    }

    public static DatasetInfo decode(ByteBuf body) {
        try {
            String owner = TenantName.check(Bodies.readString(body, "dataset.owner"));
            String name = DatasetName.check(Bodies.readString(body, "dataset.name"));
            long bytes = Bodies.readNonNegativeLong(body, "dataset.bytes");
            int replication = Bodies.readUnsignedByte(body, "dataset.replication");
            DatasetMode mode = DatasetMode.ofCode(Bodies.readUnsignedByte(body, "dataset.mode"), "dataset.mode");
            int openBy = Bodies.readCount(body, Integer.MAX_VALUE, "dataset.openBy");
            int n = Bodies.readUnsignedShort(body, "dataset.grantCount");
            if (n > MAX_GRANTS) {
                throw RememException.malformed("dataset.grantCount: " + n + " exceeds " + MAX_GRANTS);
            }
            Map<String, DatasetAccess> grants = new TreeMap<>();
            String previous = null;
            for (int i = 0; i < n; i++) {
                String grantee = TenantName.check(Bodies.readString(body, "dataset.grantee"));
                DatasetAccess a = DatasetAccess.ofCode(Bodies.readUnsignedByte(body, "dataset.access"), "dataset.access");
                // One encoding per value: grantees in ascending order, each once, each with some access.
                if (a == DatasetAccess.NONE || previous != null && previous.compareTo(grantee) >= 0) {
                    throw RememException.malformed("dataset.grants: " + grantee + " out of order, listed twice, or"
                            + " with no access");
                }
                grants.put(grantee, a);
                previous = grantee;
            }
            return new DatasetInfo(owner, name, bytes, replication, mode, openBy, grants);
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
        List<DatasetInfo> out = new ArrayList<>(Math.min(n, body.readableBytes() / 18));
        for (int i = 0; i < n; i++) {
            out.add(decode(body));
        }
        Bodies.expectEnd(body, "datasets");
        return out;
    }

    /**
     * Body of DATASET_OPEN's answer: the dataset, {@code u8 access} (what the asker may do), {@code u16 n, n bytes} a
     * grant for another tenant's dataset (none for one's own), then its slabs as a slab run.
     */
    public static void encodeOpened(Opened o, ByteBuf out) {
        o.info().encode(out);
        out.writeByte(o.access().ordinal());
        Bodies.writeBytes(out, o.grant());
        o.run().encode(out);
    }

    /**
     * The dataset, what the asker may do with it, the capability memory nodes need to let it (empty for its own),
     * and its slabs.
     */
    public record Opened(DatasetInfo info, DatasetAccess access, byte[] grant, SlabRun run) {
        public Opened {
            grant = grant.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Opened x && info.equals(x.info) && access == x.access
                    && Arrays.equals(grant, x.grant) && run.equals(x.run);
        }

        @Override
        public int hashCode() {
            return info.hashCode() * 31 + Arrays.hashCode(grant);
        }
    }

    public static Opened decodeOpened(ByteBuf body) {
        DatasetInfo info = decode(body);
        DatasetAccess access = DatasetAccess.ofCode(Bodies.readUnsignedByte(body, "opened.access"), "opened.access");
        if (access == DatasetAccess.NONE) {
            throw RememException.malformed("opened.access: an opened dataset allows at least reading");
        }
        byte[] grant = Bodies.readBytes(body, Grant.MAX_BYTES, "opened.grant");
        return new Opened(info, access, grant, SlabRun.decode(body));
    }
}
