package io.remem.transport;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * A link's calls awaiting their answers, by request id. A link numbers its requests consecutively and few are in
 * flight at once, so a ring indexed by the id's low bits holds them with no boxed id and no map node per call: a miss
 * leaves no garbage here. A call whose slot is still taken by one {@value #SLOTS} ids older (that many in flight)
 * goes to an overflow map instead. Nothing relies on answers arriving in id order.
 *
 * <p>While the link is up, only the leader holding the read lock takes calls by id; others take them by identity
 * once the link has failed. That is why {@link #remove(long)} may skip an empty overflow map without a lock.
 */
final class PendingCalls {
    static final int SLOTS = 1024;
    private static final int MASK = SLOTS - 1;

    private final AtomicReferenceArray<LinkCall<?>> ring = new AtomicReferenceArray<>(SLOTS);
    private final ConcurrentHashMap<Long, LinkCall<?>> overflow = new ConcurrentHashMap<>();
    /** Counted before a call is placed and after it is taken, so it is never less than what the ring and map hold. */
    private final AtomicInteger size = new AtomicInteger();

    /** Adds {@code c}, whose {@link LinkCall#id} is set and unique on this link. */
    void put(LinkCall<?> c) {
        size.incrementAndGet();
        if (!ring.compareAndSet(slot(c.id), null, c)) {
            overflow.put(c.id, c);
        }
    }

    /** Takes the call with this id; null if there is none (already taken, or never sent). */
    LinkCall<?> remove(long id) {
        int i = slot(id);
        LinkCall<?> c = ring.get(i);
        if (c != null && c.id == id && ring.compareAndSet(i, c, null)) {
            size.decrementAndGet();
            return c;
        }
        // The answer to a call comes after its put, so a call that went to the overflow map is there by now.
        if (overflow.isEmpty()) {
            return null;
        }
        c = overflow.remove(id);
        if (c != null) {
            size.decrementAndGet();
        }
        return c;
    }

    /** Takes {@code c} if it is still here; false if someone else took it. */
    boolean remove(LinkCall<?> c) {
        if (ring.compareAndSet(slot(c.id), c, null) || overflow.remove(c.id, c)) {
            size.decrementAndGet();
            return true;
        }
        return false;
    }

    /** Takes every call, handing each to {@code taken}. */
    void drain(Consumer<LinkCall<?>> taken) {
        for (int i = 0; i < SLOTS; i++) {
            LinkCall<?> c = ring.getAndSet(i, null);
            if (c != null) {
                size.decrementAndGet();
                taken.accept(c);
            }
        }
        for (Long id : overflow.keySet()) {
            LinkCall<?> c = overflow.remove(id);
            if (c != null) {
                size.decrementAndGet();
                taken.accept(c);
            }
        }
    }

    /** The first call whose deadline has passed at {@code now}, or null. Calls may come and go meanwhile. */
    LinkCall<?> overdue(long now) {
        if (isEmpty()) {
            return null;
        }
        for (int i = 0; i < SLOTS; i++) {
            LinkCall<?> c = ring.get(i);
            if (c != null && now - c.deadline > 0) {
                return c;
            }
        }
        for (LinkCall<?> c : overflow.values()) {
            if (now - c.deadline > 0) {
                return c;
            }
        }
        return null;
    }

    int size() {
        return size.get();
    }

    boolean isEmpty() {
        return size.get() == 0;
    }

    private static int slot(long id) {
        return (int) id & MASK;
    }
}
