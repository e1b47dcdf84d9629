package io.remem.protocol;

/** What a tenant may do with another tenant's dataset; on the wire as {@code u8} 0, 1 or 2. */
public enum DatasetAccess {
    /** Nothing: no grant, or a revoked one. */
    NONE,
    /** Read, including offloads that only read. */
    READ,
    /** Read and write, including far atomics. */
    READ_WRITE;

    public static DatasetAccess ofCode(int code, String field) {
        if (code < 0 || code >= values().length) {
            throw RememException.malformed(field + ": " + code + " is not 0 (none), 1 (read) or 2 (read-write)");
        }
        return values()[code];
    }

    public boolean reads() {
        return this != NONE;
    }

    public boolean writes() {
        return this == READ_WRITE;
    }
}
