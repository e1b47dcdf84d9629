package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SlabStoreTest {
    private static final long MIB = 1L << 20;

    private final SlabStore store = new SlabStore(16 * MIB);

    @AfterEach
    void clear() {
        store.clear();
    }

    private static RememException assertCode(ThrowingCallable call, ErrorCode code) {
        Throwable t = catchThrowable(call);
        if (t == null) {
            throw new AssertionError("expected RememException " + code + " but the call returned normally");
        }
        assertThat(t).as("expected RememException " + code).isInstanceOf(RememException.class);
        assertThat(((RememException) t).code()).isEqualTo(code);
        return (RememException) t;
    }

    @Test
    void createAccessAndDelete() {
        store.create(7, MIB, "alice");
        int alice = store.tenantId("alice");
        Slab s = store.access(7, alice);
        assertThat(s.id()).isEqualTo(7);
        assertThat(s.size()).isEqualTo(MIB);
        assertThat(s.tenant()).isEqualTo(alice);
        assertThat(store.slabCount()).isEqualTo(1);
        assertThat(store.capacity().reserved()).isEqualTo(MIB);

        s.backRange(0, 8);
        s.write(0, Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), 0, 8);
        ByteBuf out = Unpooled.buffer();
        store.access(7, alice).read(0, 8, out);
        assertThat(out.readByte()).isEqualTo((byte) 1);
        assertThat(store.capacity().backed()).isEqualTo(Slab.CHUNK_SIZE);

        store.delete(7);
        assertThat(store.slabCount()).isZero();
        assertThat(store.capacity().reserved()).isZero();
        assertThat(store.capacity().backed()).isZero();
        assertCode(() -> store.access(7, alice), ErrorCode.NO_SUCH_SLAB);
        // The old handle is dead too.
        assertCode(() -> s.read(0, 8, Unpooled.buffer()), ErrorCode.NO_SUCH_SLAB);
        // Deleting again, or deleting what never existed, is fine.
        store.delete(7);
        store.delete(12345);
    }

    @Test
    void tenantIdsAreStableAndDistinct() {
        int a = store.tenantId("alice");
        int b = store.tenantId("bob");
        assertThat(a).isNotEqualTo(b);
        assertThat(store.tenantId("alice")).isEqualTo(a);
        assertThat(store.tenantId("bob")).isEqualTo(b);
    }

    @Test
    void accessByAnotherTenantIsDenied() {
        store.create(1, MIB, "alice");
        RememException e = assertCode(() -> store.access(1, store.tenantId("bob")), ErrorCode.ACCESS_DENIED);
        assertThat(e.detail()).contains("1");
        assertThat(store.access(1, store.tenantId("alice"))).isNotNull();
    }

    @Test
    void unknownSlabIsNoSuchSlab() {
        assertCode(() -> store.access(99, store.tenantId("alice")), ErrorCode.NO_SUCH_SLAB);
        store.create(1, MIB, "alice");
        assertCode(() -> store.access(2, store.tenantId("alice")), ErrorCode.NO_SUCH_SLAB);
    }

    @Test
    void createIsIdempotentForTheSameTenantAndSize() {
        store.create(3, 2 * MIB, "alice");
        Slab first = store.access(3, store.tenantId("alice"));
        first.getAndAdd(0, 5);
        store.create(3, 2 * MIB, "alice");
        assertThat(store.slabCount()).isEqualTo(1);
        assertThat(store.capacity().reserved()).isEqualTo(2 * MIB);
        Slab again = store.access(3, store.tenantId("alice"));
        assertThat(again).isSameAs(first);
        assertThat(again.getAndAdd(0, 0)).isEqualTo(5);
    }

    @Test
    void createOfAnExistingSlabWithAnotherOwnerOrSizeIsSlabExists() {
        store.create(3, 2 * MIB, "alice");
        assertCode(() -> store.create(3, 2 * MIB, "bob"), ErrorCode.SLAB_EXISTS);
        assertCode(() -> store.create(3, MIB, "alice"), ErrorCode.SLAB_EXISTS);
        assertThat(store.capacity().reserved()).isEqualTo(2 * MIB);
        assertThat(store.access(3, store.tenantId("alice")).size()).isEqualTo(2 * MIB);
    }

    @Test
    void invalidSizesAreRefused() {
        long[] bad = {0, -Limits.SLAB_GRANULE, 1, Limits.SLAB_GRANULE - 1, Limits.SLAB_GRANULE + 1, MIB + 4096,
                (1L << 32) + Limits.SLAB_GRANULE, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long size : bad) {
            assertCode(() -> store.create(5, size, "alice"), ErrorCode.INVALID_ARGUMENT);
        }
        assertThat(store.slabCount()).isZero();
        assertThat(store.capacity().reserved()).isZero();
    }

    @Test
    void smallestAndLargestSizesAreAccepted() {
        SlabStore big = new SlabStore(8L << 30);
        try {
            big.create(1, Limits.SLAB_GRANULE, "alice");
            big.create(2, 1L << 32, "alice");
            assertThat(big.capacity().reserved()).isEqualTo(Limits.SLAB_GRANULE + (1L << 32));
            Slab s = big.access(2, big.tenantId("alice"));
            assertThat(s.getAndAdd((1L << 32) - 8, 3)).isZero();
            assertThat(s.backedBytes()).isEqualTo(Slab.CHUNK_SIZE);
        } finally {
            big.clear();
        }
    }

    @Test
    void reservationsBeyondCapacityAreNodeOutOfMemory() {
        store.create(1, 8 * MIB, "alice");
        store.create(2, 6 * MIB, "bob");
        assertCode(() -> store.create(3, 4 * MIB, "alice"), ErrorCode.NODE_OUT_OF_MEMORY);
        assertThat(store.slabCount()).isEqualTo(2);
        assertThat(store.capacity().reserved()).isEqualTo(14 * MIB);
        store.create(4, 2 * MIB, "alice"); // exactly full
        assertThat(store.capacity().reserved()).isEqualTo(16 * MIB);
        assertCode(() -> store.create(5, Limits.SLAB_GRANULE, "alice"), ErrorCode.NODE_OUT_OF_MEMORY);
        // A single slab larger than the node.
        SlabStore tiny = new SlabStore(MIB);
        assertCode(() -> tiny.create(1, 2 * MIB, "alice"), ErrorCode.NODE_OUT_OF_MEMORY);
        assertThat(tiny.capacity().reserved()).isZero();
    }

    @Test
    void deleteReleasesTheReservation() {
        store.create(1, 10 * MIB, "alice");
        assertCode(() -> store.create(2, 10 * MIB, "bob"), ErrorCode.NODE_OUT_OF_MEMORY);
        store.delete(1);
        assertThat(store.capacity().reserved()).isZero();
        store.create(2, 10 * MIB, "bob");
        assertThat(store.access(2, store.tenantId("bob")).size()).isEqualTo(10 * MIB);
    }

    @Test
    void clearDeletesEverything() {
        store.create(1, MIB, "alice");
        store.create(2, MIB, "bob");
        store.access(1, store.tenantId("alice")).getAndAdd(0, 1);
        store.clear();
        assertThat(store.slabCount()).isZero();
        assertThat(store.capacity().reserved()).isZero();
        assertThat(store.capacity().backed()).isZero();
    }

    @Test
    void concurrentGetAndAddFromEightThreadsSumsExactly() throws Exception {
        store.create(1, MIB, "alice");
        int alice = store.tenantId("alice");
        int threads = 8;
        int adds = 50_000;
        long offset = 3 * Slab.CHUNK_SIZE + 24; // unbacked at the start: the first adds race to back it
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Long>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long delta = t + 1;
            CompletableFuture<Long> r = new CompletableFuture<>();
            results.add(r);
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < adds; i++) {
                        store.access(1, alice).getAndAdd(offset, delta);
                    }
                    r.complete(delta * adds);
                } catch (Throwable e) {
                    r.completeExceptionally(e);
                }
            });
        }
        start.countDown();
        long expected = 0;
        for (CompletableFuture<Long> r : results) {
            expected += r.get(15, TimeUnit.SECONDS);
        }
        Slab s = store.access(1, alice);
        assertThat(s.getAndAdd(offset, 0)).isEqualTo(expected);
        assertThat(expected).isEqualTo(36L * adds);
        assertThat(s.backedBytes()).isEqualTo(Slab.CHUNK_SIZE);
    }

    /**
     * Create is idempotent for the same tenant and size, so racing retries of one create (the controller retrying
     * on a fresh connection while the first attempt is still being served) must all succeed and reserve once.
     */
    @Test
    void concurrentIdenticalCreatesAllSucceedAndReserveOnce() throws Exception {
        SlabStore store = new SlabStore(1L << 30); // reservations only: nothing is backed
        int rounds = 500;
        int threads = 8;
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int round = 0; round < rounds; round++) {
            long slabId = 1000 + round;
            java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(threads);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ts.add(Thread.ofPlatform().daemon().start(() -> {
                    try {
                        barrier.await(5, TimeUnit.SECONDS);
                        store.create(slabId, Limits.SLAB_GRANULE, "alice");
                    } catch (RememException e) {
                        failures.add("slab " + slabId + ": " + e.getMessage());
                    } catch (Exception e) {
                        failures.add("slab " + slabId + ": " + e);
                    }
                }));
            }
            for (Thread t : ts) {
                t.join(5_000);
            }
        }
        assertThat(store.slabCount()).isEqualTo(rounds);
        assertThat(store.capacity().reserved()).isEqualTo(rounds * Limits.SLAB_GRANULE);
        assertThat(failures).as("identical concurrent creates that failed").isEmpty();
    }
}
