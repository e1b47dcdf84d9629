package io.remem.protocol;

/**
 * How runtimes that share a dataset see each other's writes (Hotpot's modes); chosen when the dataset is created, on
 * the wire as {@code u8} 0, 1 or 2.
 */
public enum DatasetMode {
    /**
     * No coherence: every runtime reads and writes through its own cache, and sees another's writes once they were
     * written back there and are not stale in its own cache. The fastest; for data one runtime writes at a time.
     */
    NONE,
    /** Multiple readers, single writer: {@code acquire} locks ranges for one writer, {@code commit} publishes them. */
    MRSW,
    /** Multiple readers, multiple writers: writers work optimistically, and a commit that conflicts is refused. */
    MRMW;

    public static DatasetMode ofCode(int code, String field) {
        if (code < 0 || code >= values().length) {
            throw RememException.malformed(field + ": " + code + " is not 0 (none), 1 (mrsw) or 2 (mrmw)");
        }
        return values()[code];
    }

    /** Whether writes go through acquire and commit. */
    public boolean isCoherent() {
        return this != NONE;
    }
}
