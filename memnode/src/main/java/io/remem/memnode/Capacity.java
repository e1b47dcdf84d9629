package io.remem.memnode;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes a memory node lends. Two figures: reserved (the sizes of the slabs it holds, which it never lets
 * exceed the capacity, so a write can never run out of memory) and backed (memory really in use).
 */
final class Capacity {
    private final long limit;
    private final AtomicLong backed = new AtomicLong();
    private final AtomicLong reserved = new AtomicLong();

    Capacity(long limit) {
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    long backed() {
        return backed.get();
    }

    long reserved() {
        return reserved.get();
    }

    void back(long bytes, long slabId) {
        long cur;
        do {
            cur = backed.get();
            if (cur + bytes > limit) {
                throw new RememException(ErrorCode.NODE_OUT_OF_MEMORY, "backing slab " + slabId + " needs "
                        + bytes + " more bytes, but " + cur + " of " + limit + " are in use");
            }
        } while (!backed.compareAndSet(cur, cur + bytes));
    }

    void unback(long bytes) {
        backed.addAndGet(-bytes);
    }

    void reserveSlab(long slabSize, long slabId) {
        long cur;
        do {
            cur = reserved.get();
            if (cur + slabSize > limit) {
                throw new RememException(ErrorCode.NODE_OUT_OF_MEMORY, "slab " + slabId + " of " + slabSize
                        + " bytes does not fit: " + cur + " of " + limit + " bytes are reserved by other slabs");
            }
        } while (!reserved.compareAndSet(cur, cur + slabSize));
    }

    void releaseSlab(long slabSize) {
        reserved.addAndGet(-slabSize);
    }
}
