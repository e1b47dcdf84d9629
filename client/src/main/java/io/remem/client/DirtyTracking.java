package io.remem.client;

/** At what granularity the local cache remembers what was written, and so what it writes back. */
public enum DirtyTracking {
    /** One bit per 64-byte line; only written lines go back (Kona). The default. */
    LINE,
    /** One bit per block; a write anywhere sends the whole block back, as page-based remote paging does. */
    BLOCK
}
