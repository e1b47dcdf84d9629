package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of DATASET_GROW: {@code string owner, string name, u64 bytes}. Grows the dataset to at least {@code bytes}
 * (only its owner may), or, with {@code bytes} at most its size (0 will do), changes nothing: either way the answer is
 * the dataset as it is now, with all its slabs ({@link DatasetInfo#decodeOpened}), so a runtime that has it open learns
 * that another grew it.
 *
 * @param owner the tenant whose dataset it is; empty for the asking tenant's own
 */
public record DatasetGrow(String owner, String name, long bytes) {
    public DatasetGrow {
        if (owner == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "owner: null (empty for the asker's own)");
        }
        if (!owner.isEmpty()) {
            TenantName.check(owner);
        }
        DatasetName.check(name);
        if (bytes < 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "dataset size " + bytes + " must not be negative");
        }
    }

    public void encode(ByteBuf out) {
        Bodies.writeString(out, owner);
        Bodies.writeString(out, name);
        out.writeLong(bytes);
    }

    public static DatasetGrow decode(ByteBuf body) {
        String owner = Bodies.readString(body, "datasetGrow.owner");
        String name = Bodies.readString(body, "datasetGrow.name");
        long bytes = Bodies.readNonNegativeLong(body, "datasetGrow.bytes");
        Bodies.expectEnd(body, "datasetGrow");
        try {
            return new DatasetGrow(owner, name, bytes);
        } catch (RememException e) {
            throw RememException.malformed("datasetGrow: " + e.detail());
        }
    }
}
