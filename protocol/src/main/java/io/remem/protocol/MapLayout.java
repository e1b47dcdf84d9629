package io.remem.protocol;

/**
 * The far-memory layout of one shard of a hash map, shared by the client that builds it ({@code FarMap}) and
 * the memory node that runs {@link Opcode#OFFLOAD_MAP_GET} on it. All fields are little-endian.
 *
 * <p>A shard is one region: a contiguous allocation that lies inside one slab, so a get never leaves the memory
 * node that holds the region. It begins with {@code capacity} slots (a power of two) of {@link #SLOT_BYTES} each:
 *
 * <pre>
 *   u64 ref          0: empty. Bit 63 clear: the entry's offset from the region's start (inline).
 *                    Bit 63 set: the entry lives out of line, at far address {@code ref & ~OUT_OF_LINE}.
 *   u32 tag          (int) (hash >>> 32) of the key's 64-bit hash
 *   u32 entryBytes   the entry's whole size, header included
 * </pre>
 *
 * <p>An entry is {@code u32 keyBytes, u32 valueBytes, key, value}. A key's home slot is
 * {@code hash & (capacity - 1)}; probing is linear and stops at the first empty slot, so a table keeps at least
 * one slot empty. The hash is 64 bits of the key's encoded bytes, chosen by the client; the memory node only
 * compares tags and then bytes.
 */
public final class MapLayout {
    private MapLayout() {}

    public static final int SLOT_BYTES = 16;
    public static final int SLOT_REF = 0;
    public static final int SLOT_TAG = 8;
    public static final int SLOT_ENTRY_BYTES = 12;
    public static final long OUT_OF_LINE = Long.MIN_VALUE;

    public static final int ENTRY_HEADER_BYTES = 8;
    public static final int ENTRY_KEY_BYTES = 0;
    public static final int ENTRY_VALUE_BYTES = 4;

    /** Largest capacity one request may name: 2^14 slots, the most a 256 KiB region can hold. */
    public static final int MAX_CAPACITY = 1 << 14;
    /** Largest key a near get may carry; longer keys are never inline (entries over 32 KiB go out of line). */
    public static final int MAX_KEY_BYTES = 32 << 10;
    /** Key bytes one near get may compare in all: past it the node answers ELSEWHERE (address 0), and the client pulls. */
    public static final int MAX_COMPARED_BYTES = 1 << 20;

    public static int tag(long hash) {
        return (int) (hash >>> 32);
    }

    public static int homeSlot(long hash, int capacity) {
        return (int) (hash & (capacity - 1));
    }
}
