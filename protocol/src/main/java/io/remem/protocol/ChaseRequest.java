package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of {@link Opcode#OFFLOAD_CHASE}: a search over a linked structure in far memory, run by the memory node
 * (Clio's pointer chasing). Each node holds a little-endian {@code u64} key at {@code keyOffset} and far addresses
 * ({@code u64}, 0 for none) of its successors. A {@link Shape#LIST} node has one successor at {@code nextOffset};
 * a {@link Shape#TREE} node (a binary search tree, keys compared as signed longs) has its left child at
 * {@code nextOffset} and its right child at {@code rightOffset}.
 *
 * <p>The node follows pointers while they stay in this tenant's slabs on this memory node; a pointer elsewhere
 * ends the request with {@link ChaseResult.Outcome#CONTINUE}, and the client resumes at that node's memory node.
 *
 * @param shape       list or tree
 * @param slabShift   log2 of the slab size, to turn far addresses into (slab, offset)
 * @param keyOffset   where a node's key is
 * @param nextOffset  the successor (list) or left child (tree)
 * @param rightOffset the right child (tree; ignored for lists)
 * @param nodeBytes   bytes of the found node to return, from its start
 * @param key         the key searched for
 */
public record ChaseRequest(Shape shape, int slabShift, int keyOffset, int nextOffset, int rightOffset, int nodeBytes,
                           long key) {
    /** Hops per request: bounds the time one request holds a memory node's I/O thread. */
    public static final int MAX_HOPS = 1 << 16;
    /** Largest node a chase may return, and largest field offset. */
    public static final int MAX_NODE_BYTES = 64 << 10;

    /** Structure shapes; codes are part of the wire format. */
    public enum Shape {
        LIST(0), TREE(1);

        private final int code;

        Shape(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    public ChaseRequest {
        check(slabShift >= Limits.MIN_SLAB_SHIFT && slabShift <= Limits.MAX_SLAB_SHIFT, "slabShift", slabShift);
        check(keyOffset >= 0 && keyOffset <= MAX_NODE_BYTES - 8, "keyOffset", keyOffset);
        check(nextOffset >= 0 && nextOffset <= MAX_NODE_BYTES - 8, "nextOffset", nextOffset);
        check(rightOffset >= 0 && rightOffset <= MAX_NODE_BYTES - 8, "rightOffset", rightOffset);
        check(nodeBytes >= 0 && nodeBytes <= MAX_NODE_BYTES, "nodeBytes", nodeBytes);
    }

    private static void check(boolean ok, String field, int value) {
        if (!ok) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "chase." + field + ": " + value + " is out of range");
        }
    }

    public void encode(ByteBuf out) {
        out.writeByte(shape.code());
        out.writeByte(slabShift);
        out.writeInt(keyOffset);
        out.writeInt(nextOffset);
        out.writeInt(rightOffset);
        out.writeInt(nodeBytes);
        out.writeLong(key);
    }

    public static ChaseRequest decode(ByteBuf body) {
        int shapeCode = Bodies.readUnsignedByte(body, "chase.shape");
        if (shapeCode > 1) {
            throw RememException.malformed("chase.shape: unknown shape " + shapeCode);
        }
        int slabShift = Bodies.readUnsignedByte(body, "chase.slabShift");
        int keyOffset = Bodies.readInt(body, "chase.keyOffset");
        int nextOffset = Bodies.readInt(body, "chase.nextOffset");
        int rightOffset = Bodies.readInt(body, "chase.rightOffset");
        int nodeBytes = Bodies.readInt(body, "chase.nodeBytes");
        long key = Bodies.readLong(body, "chase.key");
        Bodies.expectEnd(body, "chase");
        try {
            return new ChaseRequest(Shape.values()[shapeCode], slabShift, keyOffset, nextOffset, rightOffset, nodeBytes, key);
        } catch (RememException e) {
            throw RememException.malformed(e.detail());
        }
    }
}
