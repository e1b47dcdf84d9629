package io.remem.protocol;

/** Sizes that every layer must agree on. */
public final class Limits {
    private Limits() {}

    /**
     * Slab sizes are multiples of this, so no cache block (at most 64 KiB) ever straddles two slabs, and memory
     * nodes back slabs in chunks of this size.
     */
    public static final long SLAB_GRANULE = 64 << 10;
    /** Smallest slab window: 1 MiB. */
    public static final int MIN_SLAB_SHIFT = 20;
    /** Largest slab window: 4 GiB. */
    public static final int MAX_SLAB_SHIFT = 32;
    /** Default slab window: 64 MiB, docs/design.md, "Addresses and allocation". */
    public static final int DEFAULT_SLAB_SHIFT = 26;
    /** Far addresses are non-negative longs, so slab id and offset share 63 bits. */
    public static final int FAR_ADDRESS_BITS = 63;
    /** Highest replication factor a request may ask for. */
    public static final int MAX_REPLICATION = 8;

    /** Rounds {@code bytes} up to a whole number of slab granules. */
    public static long roundToGranule(long bytes) {
        return (bytes + SLAB_GRANULE - 1) & -SLAB_GRANULE;
    }
}
