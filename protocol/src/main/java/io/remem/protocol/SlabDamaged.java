package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of SLAB_DAMAGED (the slab id is in the header): {@code u8 damaged, string detail}. A memory node reports that its
 * copy failed its checksums ({@code damaged} 1, and it serves the copy no more), or that a copy it was told to restore
 * passed them after all ({@code damaged} 0, and it serves it again).
 */
public record SlabDamaged(boolean damaged, String detail) {
    public void encode(ByteBuf out) {
        out.writeByte(damaged ? 1 : 0);
        Bodies.writeString(out, detail);
    }

    public static SlabDamaged decode(ByteBuf body) {
        int d = Bodies.readUnsignedByte(body, "slabDamaged.damaged");
        if (d > 1) {
            throw RememException.malformed("slabDamaged.damaged: " + d + " is not 0 or 1");
        }
        String detail = Bodies.readString(body, "slabDamaged.detail");
        Bodies.expectEnd(body, "slabDamaged");
        return new SlabDamaged(d == 1, detail);
    }
}
