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

    // ------------------------------------------------------------------ replicas: reconcile, fence, copies, recovery

    private static void write(Slab s, long offset, byte[] data) {
        s.backRange(offset, data.length);
        s.write(offset, Unpooled.wrappedBuffer(data), 0, data.length);
    }

    private static byte[] read(Slab s, long offset, int length) {
        ByteBuf out = Unpooled.buffer();
        s.read(offset, length, out);
        byte[] b = new byte[length];
        out.readBytes(b);
        return b;
    }

    @Test
    void reconcileDeletesWhatIsNotKeptReadiesWhatIsAndSparesCopiesInProgress() {
        store.create(1, MIB, "alice");
        store.create(2, MIB, "alice");
        store.create(3, MIB, "bob");
        Slab recovered = store.get(3);
        recovered.markRecovered(4);
        Slab copying = store.createSyncing(4, MIB, "alice", 2);
        long reserved = store.capacity().reserved();

        store.reconcile(store.held().stream().map(h -> h.slabId()).toList(), List.of(3L, 99L));

        assertThat(store.get(1)).isNull();
        assertThat(store.get(2)).isNull();
        assertThat(store.get(3)).isSameAs(recovered);
        assertThat(recovered.state()).isEqualTo(Slab.State.READY);
        assertThat(store.get(4)).as("a copy in progress is newer than the registration").isSameAs(copying);
        assertThat(copying.state()).isEqualTo(Slab.State.SYNCING);
        assertThat(store.capacity().reserved()).isEqualTo(reserved - 2 * MIB);
        assertThat(store.held()).containsExactlyInAnyOrder(
                new io.remem.protocol.NodeRegister.HeldSlab(3, 4), new io.remem.protocol.NodeRegister.HeldSlab(4, 2));

        store.reconcile(store.held().stream().map(h -> h.slabId()).toList(), List.of());
        assertThat(store.slabCount()).isEqualTo(1);
        assertThat(store.get(4)).isSameAs(copying);
    }

    @Test
    void writableAndAccessFollowTheSlabsState() {
        store.create(1, MIB, "alice");
        int alice = store.tenantId("alice");
        store.fence(1, 3);
        assertThat(store.held()).containsExactly(new io.remem.protocol.NodeRegister.HeldSlab(1, 3));
        assertCode(() -> store.writable(1, alice, 10), ErrorCode.STALE_MAP);
        assertThat(store.access(1, alice)).isNotNull(); // reads are not fenced
        assertThat(store.get(1).declare(10, 3)).isTrue();
        assertThat(store.writable(1, alice, 10)).isSameAs(store.get(1));
        assertCode(() -> store.fence(2, 1), ErrorCode.NO_SUCH_SLAB);

        Slab copying = store.createSyncing(2, MIB, "alice", 3);
        assertCode(() -> store.access(2, alice), ErrorCode.REPLICA_NOT_READY);
        assertCode(() -> store.forReplica(2), ErrorCode.REPLICA_NOT_READY);
        assertThat(store.writable(2, alice, 11)).isSameAs(copying);
        assertThat(store.find(2, alice)).as("offloads skip a slab being copied").isNull();
        store.finishSync(copying);
        assertThat(store.access(2, alice)).isSameAs(copying);
        assertThat(store.forReplica(2)).isSameAs(copying);
        assertThat(store.find(2, alice)).isSameAs(copying);
        assertCode(() -> store.forReplica(3), ErrorCode.NO_SUCH_SLAB);
    }

    @Test
    void createSyncingReplacesAnOlderCopy() {
        store.create(1, MIB, "alice");
        Slab old = store.get(1);
        write(old, 0, new byte[] {1, 2, 3});
        Slab fresh = store.createSyncing(1, 2 * MIB, "alice", 5);
        assertThat(fresh).isNotSameAs(old);
        assertThat(store.get(1)).isSameAs(fresh);
        assertThat(store.capacity().reserved()).isEqualTo(2 * MIB);
        assertThat(store.capacity().backed()).as("the old copy's memory is freed").isZero();
        assertCode(() -> read(old, 0, 3), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> store.createSyncing(2, 12345, "alice", 1), ErrorCode.INVALID_ARGUMENT);
        assertCode(() -> store.createSyncing(2, 64 * MIB, "alice", 1), ErrorCode.NODE_OUT_OF_MEMORY);
        assertThat(store.get(2)).isNull();
    }

    @Test
    void slabsComeBackFromTheDataDirectoryRecoveredAndWaitForTheController(@org.junit.jupiter.api.io.TempDir
                                                                          java.nio.file.Path dir) {
        try (SlabFiles files = SlabFiles.open(dir)) {
            SlabStore before = new SlabStore(16 * MIB, files);
            before.create(1, MIB, "alice");
            before.create(2, MIB, "bob");
            before.fence(2, 6);
            write(before.get(1), 3 * Slab.CHUNK_SIZE + 5, new byte[] {7, 8, 9});
            Slab copying = before.createSyncing(3, MIB, "alice", 2);
            write(copying, 0, new byte[] {1});
            before.clear();
        }
        try (SlabFiles files = SlabFiles.open(dir)) {
            SlabStore after = new SlabStore(16 * MIB, files);
            after.recover();
            assertThat(after.held()).as("the copy that never finished is dropped").containsExactlyInAnyOrder(
                    new io.remem.protocol.NodeRegister.HeldSlab(1, 0), new io.remem.protocol.NodeRegister.HeldSlab(2, 6));
            assertThat(dir.resolve("slab-3.meta")).doesNotExist();
            int alice = after.tenantId("alice");
            assertThat(after.get(1).state()).isEqualTo(Slab.State.RECOVERED);
            assertCode(() -> after.access(1, alice), ErrorCode.REPLICA_NOT_READY);
            assertCode(() -> after.writable(1, alice, 1), ErrorCode.REPLICA_NOT_READY);
            assertCode(() -> after.access(2, alice), ErrorCode.ACCESS_DENIED); // owners survive by name

            after.reconcile(after.held().stream().map(h -> h.slabId()).toList(), List.of(1L));
            assertThat(read(after.access(1, alice), 3 * Slab.CHUNK_SIZE + 5, 3)).containsExactly(7, 8, 9);
            assertThat(after.get(2)).isNull();
            assertThat(dir.resolve("slab-2.meta")).doesNotExist();
            assertThat(dir.resolve("slab-2.data")).doesNotExist();
            assertThat(dir.resolve("slab-1.data")).exists();
            after.clear();
        }
    }
}
