package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of DATASET_GRANT: {@code string name, string grantee, u8 access}. The dataset's owner lets tenant
 * {@code grantee} read, or read and write, its dataset {@code name}; access NONE revokes.
 */
public record DatasetGrantChange(String name, String grantee, DatasetAccess access) {
    public DatasetGrantChange {
        DatasetName.check(name);
        TenantName.check(grantee);
        if (access == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "access: null");
        }
    }

    public void encode(ByteBuf out) {
        Bodies.writeString(out, name);
        Bodies.writeString(out, grantee);
        out.writeByte(access.ordinal());
    }

    public static DatasetGrantChange decode(ByteBuf body) {
        String name = Bodies.readString(body, "datasetGrant.name");
        String grantee = Bodies.readString(body, "datasetGrant.grantee");
        DatasetAccess access = DatasetAccess.ofCode(Bodies.readUnsignedByte(body, "datasetGrant.access"),
                "datasetGrant.access");
        Bodies.expectEnd(body, "datasetGrant");
        try {
            return new DatasetGrantChange(name, grantee, access);
        } catch (RememException e) {
            throw RememException.malformed("datasetGrant: " + e.detail());
        }
    }
}
