package io.remem.client;

import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetMode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * A named dataset, open in this session: far memory that belongs to its tenant rather than to a session, so it
 * survives the runtimes that use it and any runtime of the tenant, or of a tenant it was granted to, can open it again
 * by name ({@link FarMemory#dataset}).
 *
 * <p>How runtimes see each other's writes is the dataset's {@link #mode}, chosen when it is created:
 * <ul>
 *   <li>{@link DatasetMode#NONE}: its bytes are a {@link FarSegment}, read and written through this session's cache
 *       like any other. A runtime sees another's writes once they are written back and the blocks are not cached
 *       here; a {@link FarLock} with {@link FarSegment#refresh}/{@link FarSegment#force} orders them.</li>
 *   <li>{@link DatasetMode#MRSW} and {@link DatasetMode#MRMW} (Hotpot's): writes go through {@link #acquire} and
 *       {@link Acquisition#commit}, reads through {@link #read}, which always sees whole commits, the latest completed
 *       before it began or a later one, and never an older one than an earlier read saw.</li>
 * </ul>
 * Close the dataset to say this session no longer uses it; it stays until deleted.
 */
public final class Dataset implements AutoCloseable {
    /** What the dataset is now, and a segment over all of it. */
    record View(DatasetInfo info, FarSegment segment) {}

    /** Asks the controller to grow the dataset to at least the given bytes (0: only to say how big it is now). */
    @FunctionalInterface
    interface Resize {
        View grow(long bytes);
    }

    private volatile View view;
    private final DatasetAccess access;
    /** The coherence protocol of an MRSW or MRMW dataset; null without coherence. */
    private final Coherence coherence;
    private final Resize resize;
    private final Runnable onClose;
    private boolean closed;

    Dataset(View view, DatasetAccess access, Coherence coherence, Resize resize, Runnable onClose) {
        this.view = view;
        this.access = access;
        this.coherence = coherence;
        this.resize = resize;
        this.onClose = onClose;
    }

    /** How runtimes that share it see each other's writes. */
    public DatasetMode mode() {
        return view.info().mode();
    }

    /** What this session may do with it: everything with its own tenant's, as granted with another's. */
    public DatasetAccess access() {
        return access;
    }

    /** The tenants it is granted to, and how; shown to its owner only. */
    public Map<String, DatasetAccess> grants() {
        return view.info().grants();
    }

    /** The tenant that owns it. */
    public String owner() {
        return view.info().owner();
    }

    public String name() {
        return view.info().name();
    }

    /**
     * Its size in bytes, as this handle last learned it (when opened, or at its last {@link #grow} or
     * {@link #refresh}): as created or grown, or rounded up to 4 KiB for a coherent one. The handles of one session
     * share a coherent dataset's size: any of them growing or refreshing it (or a recovery learning of a growth)
     * changes it for all.
     */
    public long byteSize() {
        return coherence == null ? view.info().bytes() : coherence.layout.dataBytes;
    }

    /** Copies of each of its slabs. */
    public int replication() {
        return view.info().replication();
    }

    /**
     * Its bytes, through this session's cache, as big as {@link #byteSize}. The segment cannot be freed: a dataset's
     * memory goes when the dataset is deleted. It is read-only ({@link FarSegment#isReadOnly}) when another tenant
     * granted it for reading only. A segment keeps the size it had when it was taken, like a {@code MemorySegment}:
     * after {@link #grow} or {@link #refresh}, take it again to reach the new bytes.
     *
     * @throws UnsupportedOperationException for a coherent dataset: use {@link #read} and {@link #acquire}
     */
    public FarSegment segment() {
        if (coherence != null) {
            throw new UnsupportedOperationException("dataset " + name() + " is " + mode()
                    + ": read it with read() and write it with acquire() and commit()");
        }
        return view.segment();
    }

    /**
     * Grows the dataset to at least {@code newByteSize} bytes (of zeros past its end; a coherent one's rounded up to
     * 4 KiB), and returns its size; a size it has already changes nothing. Only its owner may grow it. Every runtime
     * that has it open keeps its old size until it {@link #refresh}es or opens it again; what it already has is
     * unchanged. The dataset must have been created {@link DatasetOptions#growable()} to grow past its last slab; its
     * addresses never move.
     *
     * <p>A coherent dataset keeps the stripes and the commit log it was created with: the bytes it grows by share the
     * stripes of the bytes before them, so more data means more writers contending for each stripe, and a commit
     * still holds at most what the log held ({@link #createdByteSize}).
     *
     * @throws io.remem.protocol.RememException ACCESS_DENIED for another tenant's dataset, QUOTA_EXCEEDED or
     *                                          CLUSTER_OUT_OF_CAPACITY if the memory is not there, INVALID_ARGUMENT
     *                                          past its last slab if it was not created growable, TOO_LARGE past
     *                                          16,384 slabs
     * @throws IllegalStateException if this handle is closed
     */
    public synchronized long grow(long newByteSize) {
        checkOpen();
        if (newByteSize <= 0) {
            throw new IllegalArgumentException("newByteSize: " + newByteSize + " must be positive");
        }
        if (newByteSize <= byteSize()) {
            return refresh();
        }
        long total = coherence == null ? newByteSize
                : coherence.layout.dataOffset + CoherenceLayout.roundUp(newByteSize, CoherenceLayout.PAGE);
        return update(resize.grow(total));
    }

    /**
     * The data size a coherent dataset was created with, which its stripes and commit log are laid out for however
     * it grows: a structure that hashes over the dataset (the shared map) uses it, so that growing it never moves a key.
     *
     * @throws UnsupportedOperationException without coherence
     */
    public long createdByteSize() {
        return coherent().layout.createdBytes;
    }

    /** Learns the dataset's size now (another runtime may have grown it), and returns it. */
    public synchronized long refresh() {
        checkOpen();
        return update(resize.grow(0));
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("dataset " + name() + " is closed");
        }
    }

    private long update(View grown) {
        if (grown.info().bytes() > view.info().bytes()) {
            view = grown;
        }
        return byteSize();
    }

    /**
     * Copies {@code dst.byteSize()} committed bytes from {@code offset} into {@code dst}, fresh from the memory nodes:
     * every commit either wholly or not at all, nothing older than what commits completed before the call, and nothing
     * older than what this runtime read before. Waits while a commit to the same stripes is being applied.
     *
     * @throws UnsupportedOperationException without coherence: read {@link #segment()}
     */
    public void read(long offset, MemorySegment dst) {
        coherent().read(offset, dst);
    }

    /** The committed 8-byte little-endian word at {@code offset}, as {@link #read} reads it. */
    public long readLong(long offset) {
        MemorySegment w = MemorySegment.ofArray(new long[1]);
        coherent().read(offset, w);
        return w.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    /**
     * Takes {@code ranges} for writing and reads their committed bytes into local buffers ({@link Acquisition}):
     * under MRSW, waiting until no other runtime holds any of their stripes; under MRMW, at once. At most the commit
     * log's size (all of a small dataset, 2 MiB of a large one) at once.
     *
     * @throws UnsupportedOperationException without coherence, or with a read-only grant
     */
    public Acquisition acquire(FarRange... ranges) {
        return coherent().acquire(List.of(ranges));
    }

    /** {@link #acquire(FarRange...)} for one range. */
    public Acquisition acquire(long offset, long length) {
        return acquire(new FarRange(offset, length));
    }

    private Coherence coherent() {
        if (coherence == null) {
            throw new UnsupportedOperationException("dataset " + name() + " has no coherence (mode NONE): use"
                    + " segment(); create it with DatasetOptions.create(bytes).mode(DatasetMode.MRSW) for acquire/commit");
        }
        return coherence;
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
        return "Dataset[" + owner() + "/" + name() + ", " + byteSize() + " bytes, " + replication()
                + " copies, " + mode() + "]";
    }
}
