package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of DATASET_OPEN: {@code string owner, string name, u8 disposition, u64 bytes, u8 replication, u8 mode, u8 flags}. The header's
 * {@code slabId} is the opening runtime's lease: the dataset counts as open by it until it closes the dataset or the
 * lease ends.
 *
 * @param owner       the tenant whose dataset it is; empty for the asking tenant's own. Another tenant's dataset can
 *                    only be opened, as far as it was granted, never created
 *
 * @param bytes       the size to create it with (ignored when it exists); 0 with {@link Disposition#OPEN}
 * @param replication copies of each slab when created, 0 for the cluster's default
 * @param mode        its coherence when created (ignored when it exists, like {@code bytes})
 * @param growable    create it in whole slabs, so it can grow past its last slab ({@link DatasetGrow}); flag bit 0
 */
public record DatasetOpen(String owner, String name, Disposition disposition, long bytes, int replication,
                          DatasetMode mode, boolean growable) {
    private static final int GROWABLE = 1;

    /** What to do when the dataset does or does not exist. */
    public enum Disposition {
        /** Open it; NO_SUCH_DATASET if it does not exist. */
        OPEN,
        /** Create it; DATASET_EXISTS if it exists. */
        CREATE,
        /** Open it, creating it first if it does not exist. */
        OPEN_OR_CREATE
    }

    /** The asking tenant's own dataset. */
    public DatasetOpen(String name, Disposition disposition, long bytes, int replication) {
        this("", name, disposition, bytes, replication, DatasetMode.NONE, false);
    }

    /** Without coherence. */
    public DatasetOpen(String owner, String name, Disposition disposition, long bytes, int replication) {
        this(owner, name, disposition, bytes, replication, DatasetMode.NONE, false);
    }

    public DatasetOpen {
        if (owner == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "owner: null (empty for the asker's own)");
        }
        if (!owner.isEmpty()) {
            TenantName.check(owner);
            if (disposition != Disposition.OPEN) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "another tenant's dataset (" + owner + "/" + name
                        + ") can only be opened, not created");
            }
        }
        DatasetName.check(name);
        if (disposition == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "a disposition is required");
        }
        if (bytes < 0 || (disposition != Disposition.OPEN && bytes == 0)) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "dataset size " + bytes + " must be positive to create it");
        }
        if (replication < 0 || replication > Limits.MAX_REPLICATION) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "replication " + replication + " is outside 0.."
                    + Limits.MAX_REPLICATION);
        }
        if (mode == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "a mode is required (NONE for no coherence)");
        }
    }

    public void encode(ByteBuf out) {
        Bodies.writeString(out, owner);
        Bodies.writeString(out, name);
        out.writeByte(disposition.ordinal());
        out.writeLong(bytes);
        out.writeByte(replication);
        out.writeByte(mode.ordinal());
        out.writeByte(growable ? GROWABLE : 0);
    }

    public static DatasetOpen decode(ByteBuf body) {
        String owner = Bodies.readString(body, "datasetOpen.owner");
        String name = Bodies.readString(body, "datasetOpen.name");
        int d = Bodies.readUnsignedByte(body, "datasetOpen.disposition");
        if (d >= Disposition.values().length) {
            throw RememException.malformed("datasetOpen.disposition: " + d + " is not 0, 1 or 2");
        }
        long bytes = Bodies.readNonNegativeLong(body, "datasetOpen.bytes");
        int replication = Bodies.readUnsignedByte(body, "datasetOpen.replication");
        DatasetMode mode = DatasetMode.ofCode(Bodies.readUnsignedByte(body, "datasetOpen.mode"), "datasetOpen.mode");
        int flags = Bodies.readUnsignedByte(body, "datasetOpen.flags");
        if ((flags & ~GROWABLE) != 0) {
            throw RememException.malformed("datasetOpen.flags: " + flags + " sets bits other than 0 (growable)");
        }
        Bodies.expectEnd(body, "datasetOpen");
        try {
            return new DatasetOpen(owner, name, Disposition.values()[d], bytes, replication, mode, flags != 0);
        } catch (RememException e) {
            throw RememException.malformed("datasetOpen: " + e.detail());
        }
    }
}
