package io.remem.client;

import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetInfo;

/**
 * A named dataset, open in this session: far memory that belongs to its tenant rather than to a session, so it
 * survives the runtimes that use it and any runtime of the tenant, or of a tenant it was granted to, can open it again
 * by name ({@link FarMemory#dataset}).
 * Its bytes are a {@link FarSegment}, read and written through this session's cache like any other.
 *
 * <p>There is no coherence between runtimes yet: a runtime sees another's writes once they are flushed there and
 * the blocks are not cached here. Close the dataset to say this session no longer uses it; it stays until deleted.
 */
public final class Dataset implements AutoCloseable {
    private final DatasetInfo info;
    private final DatasetAccess access;
    private final FarSegment segment;
    private final Runnable onClose;
    private boolean closed;

    Dataset(DatasetInfo info, DatasetAccess access, FarSegment segment, Runnable onClose) {
        this.info = info;
        this.access = access;
        this.segment = segment;
        this.onClose = onClose;
    }

    /** What this session may do with it: everything with its own tenant's, as granted with another's. */
    public DatasetAccess access() {
        return access;
    }

    /** The tenants it is granted to, and how; shown to its owner only. */
    public java.util.Map<String, DatasetAccess> grants() {
        return info.grants();
    }

    /** The tenant that owns it. */
    public String owner() {
        return info.owner();
    }

    public String name() {
        return info.name();
    }

    /** Its size in bytes, as created. */
    public long byteSize() {
        return info.bytes();
    }

    /** Copies of each of its slabs. */
    public int replication() {
        return info.replication();
    }

    /**
     * Its bytes. The segment cannot be freed: a dataset's memory goes when the dataset is deleted. It is read-only
     * ({@link FarSegment#isReadOnly}) when another tenant granted it for reading only.
     */
    public FarSegment segment() {
        return segment;
    }

    /** Writes this session's dirty lines of it back and tells the controller this session has it closed. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            onClose.run();
        }
    }

    @Override
    public String toString() {
        return "Dataset[" + info.owner() + "/" + info.name() + ", " + info.bytes() + " bytes, " + info.replication()
                + " copies]";
    }
}
