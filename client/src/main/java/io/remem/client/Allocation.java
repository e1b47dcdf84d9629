package io.remem.client;

/**
 * The far memory a {@link FarSegment} and its slices share: where it is, whose it is (a session's allocation or a
 * dataset's bytes), whether it may be written, and whether it was freed.
 */
final class Allocation {
    final FarMemory memory;
    final long address;
    final long bytes;
    /** Whether it has slabs of its own, which go back to the controller when it is freed. */
    final boolean ownRun;
    /** The dataset whose bytes these are, which only deleting the dataset frees; null for an allocation. */
    final String dataset;
    /** Whether writes are refused (a dataset granted for reading only). */
    final boolean readOnly;
    boolean freed; // plain: freeing while other threads still use the memory is a bug in the caller

    Allocation(FarMemory memory, long address, long bytes) {
        this(memory, address, bytes, false);
    }

    Allocation(FarMemory memory, long address, long bytes, boolean ownRun) {
        this(memory, address, bytes, ownRun, null);
    }

    Allocation(FarMemory memory, long address, long bytes, boolean ownRun, String dataset) {
        this(memory, address, bytes, ownRun, dataset, false);
    }

    Allocation(FarMemory memory, long address, long bytes, boolean ownRun, String dataset, boolean readOnly) {
        this.memory = memory;
        this.address = address;
        this.bytes = bytes;
        this.ownRun = ownRun;
        this.dataset = dataset;
        this.readOnly = readOnly;
    }
}
