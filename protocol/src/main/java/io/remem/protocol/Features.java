package io.remem.protocol;

/** Optional behaviour a client asks for in HELLO; the server answers with the subset it granted. */
public final class Features {
    private Features() {}

    /**
     * End-to-end checksums of data in flight: READ, REPLICA_READ and WRITEV_READ answers end in a {@code u32} CRC32C of
     * their data bytes, and each WRITEV run carries one of its bytes after its length; the receiver checks them.
     */
    public static final int CHECKSUMS = 1;

    /** Every feature this version knows. */
    public static final int ALL = CHECKSUMS;

    public static boolean has(int features, int feature) {
        return (features & feature) != 0;
    }
}
