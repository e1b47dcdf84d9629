package io.remem.memnode;

/**
 * One slab's persisted metadata, kept by {@link SlabFiles} beside the slab's data. {@code epoch} and
 * {@code syncing} are stored as given; {@link SlabFiles} gives them no meaning.
 */
record SlabMeta(long slabId, String tenant, long size, long epoch, boolean syncing) {}
