package io.remem.protocol;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;

/**
 * Body of NODE_REGISTER: {@code u64 nodeId, string host, u16 port, u64 capacity, u16 n, n bytes publicKey, u16 m, m
 * bytes signature, u32 count, count × (u64 slabId, u64 epoch, u8 flags)}.
 *
 * <p>The address clients should use to reach the memory node, the bytes it lends, its identity, and the slabs it
 * already holds (after a restart from its data directory, or a lost controller connection), each with its epoch, so
 * the controller can say which are still current. {@code nodeId} is 0 for a node that has never registered, else the
 * id the controller gave it before. {@code publicKey} is the node's own Ed25519 key, which the controller binds to the
 * id; {@code signature} signs the session's binding, the id and the key with the matching private key.
 */
public record NodeRegister(long nodeId, String host, int port, long capacity, byte[] publicKey, byte[] signature,
                           List<HeldSlab> held) {
    /** Upper bound on the slabs one registration lists. */
    public static final int MAX_HELD = 1 << 20;
    public static final int MAX_KEY_BYTES = 128;
    /** {@link HeldSlab#flags()}: the copy failed its checksums or its metadata is unreadable; it is quarantined. */
    public static final int DAMAGED = 1;

    /** A slab the node holds, at the epoch it last knew. */
    public record HeldSlab(long slabId, long epoch, int flags) {
        public HeldSlab(long slabId, long epoch) {
            this(slabId, epoch, 0);
        }

        public boolean damaged() {
            return (flags & DAMAGED) != 0;
        }
    }

    public NodeRegister {
        if (port < 1 || port > 65535) {
            throw RememException.malformed("register.port: " + port + " is outside 1..65535");
        }
        if (publicKey.length > MAX_KEY_BYTES || signature.length > MAX_KEY_BYTES) {
            throw RememException.malformed("register: key or signature longer than " + MAX_KEY_BYTES + " bytes");
        }
        publicKey = publicKey.clone();
        signature = signature.clone();
        held = List.copyOf(held);
    }

    public void encode(ByteBuf out) {
        out.writeLong(nodeId);
        Bodies.writeString(out, host);
        out.writeShort(port);
        out.writeLong(capacity);
        Bodies.writeBytes(out, publicKey);
        Bodies.writeBytes(out, signature);
        out.writeInt(held.size());
        for (HeldSlab h : held) {
            out.writeLong(h.slabId());
            out.writeLong(h.epoch());
            out.writeByte(h.flags());
        }
    }

    public static NodeRegister decode(ByteBuf body) {
        long nodeId = Bodies.readNonNegativeLong(body, "register.nodeId");
        String host = Bodies.readString(body, "register.host");
        int port = Bodies.readPort(body, "register.port");
        long capacity = Bodies.readNonNegativeLong(body, "register.capacity");
        byte[] publicKey = Bodies.readBytes(body, MAX_KEY_BYTES, "register.publicKey");
        byte[] signature = Bodies.readBytes(body, MAX_KEY_BYTES, "register.signature");
        int count = Bodies.readCount(body, MAX_HELD, "register.heldCount");
        List<HeldSlab> held = new ArrayList<>(Math.min(count, body.readableBytes() / 17));
        for (int i = 0; i < count; i++) {
            long slabId = Bodies.readNonNegativeLong(body, "register.held.slabId");
            long epoch = Bodies.readNonNegativeLong(body, "register.held.epoch");
            int flags = Bodies.readUnsignedByte(body, "register.held.flags");
            if ((flags & ~DAMAGED) != 0) {
                throw RememException.malformed("register.held.flags: unknown bits 0x" + Integer.toHexString(flags));
            }
            held.add(new HeldSlab(slabId, epoch, flags));
        }
        Bodies.expectEnd(body, "register");
        if (host.isEmpty()) {
            throw RememException.malformed("register.host: empty");
        }
        return new NodeRegister(nodeId, host, port, capacity, publicKey, signature, held);
    }

    /** The same registration, signed. */
    public NodeRegister withSignature(byte[] sig) {
        return new NodeRegister(nodeId, host, port, capacity, publicKey, sig, held);
    }
}
