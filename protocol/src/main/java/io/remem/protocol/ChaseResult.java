package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Response body of {@link Opcode#OFFLOAD_CHASE}: {@code u8 outcome, u32 hops, u64 address, u32 n, n bytes}.
 * FOUND: {@code address} is the node holding the key and the bytes are its first {@code nodeBytes}. ABSENT: the
 * structure ends without the key. CONTINUE: {@code address} is the next node to visit, elsewhere or past the hop
 * budget.
 */
public record ChaseResult(Outcome outcome, int hops, long address, byte[] node) {
    public enum Outcome { FOUND, ABSENT, CONTINUE }

    public static final int HEADER_BYTES = 17;

    public void encode(ByteBuf out) {
        out.writeByte(outcome.ordinal());
        out.writeInt(hops);
        out.writeLong(address);
        out.writeInt(node.length);
        out.writeBytes(node);
    }

    public static ChaseResult decode(ByteBuf body) {
        int code = Bodies.readUnsignedByte(body, "chaseResult.outcome");
        if (code >= Outcome.values().length) {
            throw RememException.malformed("chaseResult.outcome: unknown outcome " + code);
        }
        int hops = Bodies.readInt(body, "chaseResult.hops");
        if (hops < 0 || hops > ChaseRequest.MAX_HOPS) {
            throw RememException.malformed("chaseResult.hops: " + hops + " is out of range");
        }
        long address = Bodies.readLong(body, "chaseResult.address");
        int n = Bodies.readCount(body, ChaseRequest.MAX_NODE_BYTES, "chaseResult.nodeBytes");
        Bodies.need(body, n, "chaseResult.node");
        byte[] node = new byte[n];
        body.readBytes(node);
        Bodies.expectEnd(body, "chaseResult");
        return new ChaseResult(Outcome.values()[code], hops, address, node);
    }
}
