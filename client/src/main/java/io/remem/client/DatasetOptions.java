package io.remem.client;

import io.remem.protocol.DatasetMode;
import io.remem.protocol.DatasetOpen;
import io.remem.protocol.Limits;

import java.util.Objects;

/**
 * How {@link FarMemory#dataset} opens a named dataset: open one that exists, or create it with a size first.
 * Immutable: {@link #replication(int)}, {@link #mode(DatasetMode)}, {@link #growable()} and {@link #exclusive()}
 * return new options.
 */
public final class DatasetOptions {
    private final long bytes;
    private final int replication;
    private final boolean exclusive;
    private final DatasetMode mode;
    private final boolean growable;

    private DatasetOptions(long bytes, int replication, boolean exclusive, DatasetMode mode, boolean growable) {
        this.bytes = bytes;
        this.replication = replication;
        this.exclusive = exclusive;
        this.mode = Objects.requireNonNull(mode, "mode");
        this.growable = growable;
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes: " + bytes + " must not be negative");
        }
        if (replication < 0 || replication > Limits.MAX_REPLICATION) {
            throw new IllegalArgumentException("replication: " + replication + " is outside 0.." + Limits.MAX_REPLICATION);
        }
        if (exclusive && bytes == 0) {
            throw new IllegalArgumentException("an exclusive create needs a size: use create(bytes).exclusive()");
        }
    }

    /** Opens a dataset that exists; NO_SUCH_DATASET if it does not. */
    public static DatasetOptions open() {
        return new DatasetOptions(0, 0, false, DatasetMode.NONE, false);
    }

    /** Opens the dataset, creating it with {@code bytes} of zeros first if it does not exist. */
    public static DatasetOptions create(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes: " + bytes + " must be positive");
        }
        return new DatasetOptions(bytes, 0, false, DatasetMode.NONE, false);
    }

    /** The same, with {@code copies} copies of each slab if it is created. */
    public DatasetOptions replication(int copies) {
        if (copies < 1) {
            throw new IllegalArgumentException("replication: " + copies + " must be at least 1");
        }
        return new DatasetOptions(bytes, copies, exclusive, mode, growable);
    }

    /** The same, but fails with DATASET_EXISTS rather than open a dataset that exists. */
    public DatasetOptions exclusive() {
        return new DatasetOptions(bytes, replication, true, mode, growable);
    }

    /**
     * The same, creating the dataset with coherence {@code mode} (ignored when it exists; {@link Dataset#mode} says
     * what it has). A coherent dataset's size is rounded up to 4 KiB, and it has a header and a commit log besides.
     */
    public DatasetOptions mode(DatasetMode mode) {
        if (mode != DatasetMode.NONE && bytes == 0) {
            throw new IllegalArgumentException("a mode applies to a dataset being created: use create(bytes).mode(...)");
        }
        return new DatasetOptions(bytes, replication, exclusive, mode, growable);
    }

    /**
     * The same, creating the dataset so that it can {@link Dataset#grow} (ignored when it exists): its memory is
     * reserved, and charged to the tenant's quota, in whole slabs, the last one too (a dataset of 1 MiB holds one slab,
     * 64 MiB by default). Without it a dataset can grow only within its last slab's bytes.
     */
    public DatasetOptions growable() {
        if (bytes == 0) {
            throw new IllegalArgumentException("growable applies to a dataset being created: use create(bytes).growable()");
        }
        return new DatasetOptions(bytes, replication, exclusive, mode, true);
    }

    /** Whether the dataset is created so that it can grow. */
    public boolean isGrowable() {
        return growable;
    }

    /** The coherence to create the dataset with. */
    public DatasetMode mode() {
        return mode;
    }

    /** The size to create the dataset with; 0 to open only. */
    public long bytes() {
        return bytes;
    }

    /** Copies of each slab if it is created; 0 for the session's, else the cluster's, default. */
    public int replication() {
        return replication;
    }

    /** Whether opening a dataset that exists fails with DATASET_EXISTS. */
    public boolean isExclusive() {
        return exclusive;
    }

    @Override
    public String toString() {
        return "DatasetOptions[bytes=" + bytes + ", replication=" + replication + ", exclusive=" + exclusive + ", mode="
                + mode + ", growable=" + growable + "]";
    }

    DatasetOpen request(String name, int sessionReplication) {
        return request("", name, sessionReplication);
    }

    /** The request for {@code owner}'s dataset (empty: the session's own tenant's). */
    DatasetOpen request(String owner, String name, int sessionReplication) {
        DatasetOpen.Disposition d = bytes == 0 ? DatasetOpen.Disposition.OPEN
                : exclusive ? DatasetOpen.Disposition.CREATE : DatasetOpen.Disposition.OPEN_OR_CREATE;
        long total = mode.isCoherent() ? CoherenceLayout.forData(bytes).totalBytes() : bytes;
        return new DatasetOpen(owner, name, d, total, replication != 0 ? replication : sessionReplication, mode,
                growable);
    }
}
