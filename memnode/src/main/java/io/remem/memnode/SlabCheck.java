package io.remem.memnode;

import java.lang.foreign.MemorySegment;

/** Checks a file-backed slab's sealed chunks against their checksums, and describes what failed. */
final class SlabCheck {
    private SlabCheck() {}

    /**
     * Checks every sealed chunk of {@code slab}, which no one may be writing (it is recovered, quarantined or not yet
     * published). Returns what is wrong with the first chunk that fails, or null if all pass.
     */
    static String verifyAll(Slab slab, ChunkSums.Summer summer) {
        ChunkSums sums = slab.sums();
        if (sums == null) {
            String damage = slab.damage();
            return damage != null ? damage : "it has no checksums to verify";
        }
        for (int c = 0; c < slab.chunkCount(); c++) {
            MemorySegment data = slab.backedChunkOrNull(c);
            if (data != null) {
                String bad = describe(c, sums.verify(c, data, summer));
                if (bad != null) {
                    return bad;
                }
            }
        }
        return null;
    }

    /** What {@code check} of chunk {@code c} means for the slab: null if nothing is wrong with it. */
    static String describe(int c, ChunkSums.Check check) {
        long from = (long) c << Slab.CHUNK_SHIFT;
        String chunk = "chunk " + c + " (bytes " + from + " to " + (from + Slab.CHUNK_SIZE - 1) + ")";
        return switch (check) {
            case MISMATCH -> chunk + " does not match its checksum";
            case BAD_ENTRY -> chunk + " has a damaged entry in the checksum file";
            case GOOD, UNSEALED, BUSY -> null;
        };
    }
}
