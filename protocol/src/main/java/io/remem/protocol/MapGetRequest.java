package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of {@link Opcode#OFFLOAD_MAP_GET}: {@code u64 hash, u32 capacity, u8 slabShift, key}. The header names the
 * region's start and the key's length; the slots ({@code capacity} of them, a power of two up to
 * {@link MapLayout#MAX_CAPACITY}) must lie in the slab.
 */
public record MapGetRequest(long hash, int capacity, int slabShift) {
    public static final int HEADER_BYTES = 13;

    public void encode(ByteBuf out, byte[] key, int keyOffset, int keyLength) {
        out.writeLong(hash);
        out.writeInt(capacity);
        out.writeByte(slabShift);
        out.writeBytes(key, keyOffset, keyLength);
    }

    /** Reads the fixed part; the key is what remains of the body, exactly {@code keyLength} bytes. */
    public static MapGetRequest decode(ByteBuf body, int keyLength) {
        long hash = Bodies.readLong(body, "mapGet.hash");
        int capacity = Bodies.readInt(body, "mapGet.capacity");
        if (capacity <= 0 || capacity > MapLayout.MAX_CAPACITY || Integer.bitCount(capacity) != 1) {
            throw RememException.malformed("mapGet.capacity: " + capacity + " is not a power of two up to "
                    + MapLayout.MAX_CAPACITY);
        }
        int slabShift = Bodies.readUnsignedByte(body, "mapGet.slabShift");
        if (slabShift < Limits.MIN_SLAB_SHIFT || slabShift > Limits.MAX_SLAB_SHIFT) {
            throw RememException.malformed("mapGet.slabShift: " + slabShift + " is out of range");
        }
        if (body.readableBytes() != keyLength) {
            throw RememException.malformed("mapGet.key: the header says " + keyLength + " bytes, the body holds "
                    + body.readableBytes());
        }
        return new MapGetRequest(hash, capacity, slabShift);
    }
}
