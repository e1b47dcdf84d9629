package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of DATASET_DELETE: {@code string owner, string name, u8 force}. A tenant may name only itself as owner; an admin
 * any tenant. Without force, a dataset open by another runtime session is not deleted.
 */
public record DatasetDelete(String owner, String name, boolean force) {
    public DatasetDelete {
        TenantName.check(owner);
        DatasetName.check(name);
    }

    public void encode(ByteBuf out) {
        Bodies.writeString(out, owner);
        Bodies.writeString(out, name);
        out.writeByte(force ? 1 : 0);
    }

    public static DatasetDelete decode(ByteBuf body) {
        String owner = Bodies.readString(body, "datasetDelete.owner");
        String name = Bodies.readString(body, "datasetDelete.name");
        boolean force = Bodies.readBoolean(body, "datasetDelete.force");
        Bodies.expectEnd(body, "datasetDelete");
        try {
            return new DatasetDelete(owner, name, force);
        } catch (RememException e) {
            throw RememException.malformed("datasetDelete: " + e.detail());
        }
    }
}
