package io.remem.controller;

import java.util.Arrays;

/**
 * One slab the controller has placed: its owner, its size and the nodes holding it. Immutable; a change of the replica
 * set makes a new record with the next epoch.
 *
 * @param replicas the nodes holding it: the first {@code readable} hold every acknowledged write (the first of them is
 *                 the primary), the rest are still being copied
 * @param epoch    how many times the replica set changed
 * @param factor   how many readable replicas the slab should have
 */
record SlabRecord(long id, String tenant, long size, long[] replicas, long epoch, int readable, int factor) {
    SlabRecord {
        replicas = replicas.clone();
    }

    boolean holds(long nodeId) {
        return indexOf(nodeId) >= 0;
    }

    boolean readableOn(long nodeId) {
        int i = indexOf(nodeId);
        return i >= 0 && i < readable;
    }

    boolean copying() {
        return readable < replicas.length;
    }

    /** Without {@code nodeId}, at the next epoch. */
    SlabRecord without(long nodeId) {
        int i = indexOf(nodeId);
        long[] rest = new long[replicas.length - 1];
        System.arraycopy(replicas, 0, rest, 0, i);
        System.arraycopy(replicas, i + 1, rest, i, replicas.length - i - 1);
        return new SlabRecord(id, tenant, size, rest, epoch + 1, i < readable ? readable - 1 : readable, factor);
    }

    /** With {@code nodeId} as a new replica being copied, at the next epoch. */
    SlabRecord withCopy(long nodeId) {
        long[] more = Arrays.copyOf(replicas, replicas.length + 1);
        more[replicas.length] = nodeId;
        return new SlabRecord(id, tenant, size, more, epoch + 1, readable, factor);
    }

    /** With the copy on {@code nodeId} complete: it joins the readable replicas. The epoch stays: writes already reach it. */
    SlabRecord copied(long nodeId) {
        int i = indexOf(nodeId);
        long[] order = replicas.clone();
        order[i] = order[readable];
        order[readable] = nodeId;
        return new SlabRecord(id, tenant, size, order, epoch, readable + 1, factor);
    }

    private int indexOf(long nodeId) {
        for (int i = 0; i < replicas.length; i++) {
            if (replicas[i] == nodeId) {
                return i;
            }
        }
        return -1;
    }
}
