package io.remem.client;

import io.remem.protocol.ChaseRequest;

import java.util.Objects;

/**
 * Where the fields of a linked structure's nodes are, for {@link Offload#chase}: a little-endian {@code long} key,
 * and far addresses of the successors ({@code 0} for none), at byte offsets from the node's start.
 *
 * @param shape       a list (one successor) or a binary search tree (keys compared as signed longs)
 * @param keyOffset   the key
 * @param nextOffset  the successor of a list node, or the left child (smaller keys) of a tree node
 * @param rightOffset the right child (larger keys) of a tree node; unused for lists
 * @param nodeBytes   how many bytes of the found node to return
 */
public record NodeLayout(ChaseRequest.Shape shape, int keyOffset, int nextOffset, int rightOffset, int nodeBytes) {
    public NodeLayout {
        Objects.requireNonNull(shape, "shape");
        checkField("keyOffset", keyOffset);
        checkField("nextOffset", nextOffset);
        checkField("rightOffset", rightOffset);
        if (nodeBytes < 0 || nodeBytes > ChaseRequest.MAX_NODE_BYTES) {
            throw new IllegalArgumentException("nodeBytes: " + nodeBytes + " is outside 0.." + ChaseRequest.MAX_NODE_BYTES);
        }
    }

    private static void checkField(String name, int offset) {
        if (offset < 0 || offset > ChaseRequest.MAX_NODE_BYTES - 8) {
            throw new IllegalArgumentException(name + ": " + offset + " is outside 0.." + (ChaseRequest.MAX_NODE_BYTES - 8));
        }
    }

    public static NodeLayout list(int keyOffset, int nextOffset, int nodeBytes) {
        return new NodeLayout(ChaseRequest.Shape.LIST, keyOffset, nextOffset, 0, nodeBytes);
    }

    public static NodeLayout tree(int keyOffset, int leftOffset, int rightOffset, int nodeBytes) {
        return new NodeLayout(ChaseRequest.Shape.TREE, keyOffset, leftOffset, rightOffset, nodeBytes);
    }
}
