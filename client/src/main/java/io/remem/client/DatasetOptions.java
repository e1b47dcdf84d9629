package io.remem.client;

import io.remem.protocol.DatasetOpen;
import io.remem.protocol.Limits;

/**
 * How {@link FarMemory#dataset} opens a named dataset: open one that exists, or create it with a size first.
 * Immutable: {@link #replication(int)} and {@link #exclusive()} return new options.
 */
public final class DatasetOptions {
    private final long bytes;
    private final int replication;
    private final boolean exclusive;

    private DatasetOptions(long bytes, int replication, boolean exclusive) {
        this.bytes = bytes;
        this.replication = replication;
        this.exclusive = exclusive;
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
        return new DatasetOptions(0, 0, false);
    }

    /** Opens the dataset, creating it with {@code bytes} of zeros first if it does not exist. */
    public static DatasetOptions create(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes: " + bytes + " must be positive");
        }
        return new DatasetOptions(bytes, 0, false);
    }

    /** The same, with {@code copies} copies of each slab if it is created. */
    public DatasetOptions replication(int copies) {
        if (copies < 1) {
            throw new IllegalArgumentException("replication: " + copies + " must be at least 1");
        }
        return new DatasetOptions(bytes, copies, exclusive);
    }

    /** The same, but fails with DATASET_EXISTS rather than open a dataset that exists. */
    public DatasetOptions exclusive() {
        return new DatasetOptions(bytes, replication, true);
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
        return "DatasetOptions[bytes=" + bytes + ", replication=" + replication + ", exclusive=" + exclusive + "]";
    }

    DatasetOpen request(String name, int sessionReplication) {
        return request("", name, sessionReplication);
    }

    /** The request for {@code owner}'s dataset (empty: the session's own tenant's). */
    DatasetOpen request(String owner, String name, int sessionReplication) {
        DatasetOpen.Disposition d = bytes == 0 ? DatasetOpen.Disposition.OPEN
                : exclusive ? DatasetOpen.Disposition.CREATE : DatasetOpen.Disposition.OPEN_OR_CREATE;
        return new DatasetOpen(owner, name, d, bytes, replication != 0 ? replication : sessionReplication);
    }
}
