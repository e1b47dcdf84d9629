package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.NodeRegister.HeldSlab;
import io.remem.protocol.RememException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
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
        Slab s = store.access(7, SlabAccess.ownOnly(alice));
        assertThat(s.id()).isEqualTo(7);
        assertThat(s.size()).isEqualTo(MIB);
        assertThat(s.tenant()).isEqualTo(alice);
        assertThat(store.slabCount()).isEqualTo(1);
        assertThat(store.capacity().reserved()).isEqualTo(MIB);

        s.backRange(0, 8);
        s.write(0, Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}), 0, 8);
        ByteBuf out = Unpooled.buffer();
        store.access(7, SlabAccess.ownOnly(alice)).read(0, 8, out);
        assertThat(out.readByte()).isEqualTo((byte) 1);
        assertThat(store.capacity().backed()).isEqualTo(Slab.CHUNK_SIZE);

        store.delete(7);
        assertThat(store.slabCount()).isZero();
        assertThat(store.capacity().reserved()).isZero();
        assertThat(store.capacity().backed()).isZero();
        assertCode(() -> store.access(7, SlabAccess.ownOnly(alice)), ErrorCode.NO_SUCH_SLAB);
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
    void anotherTenantsSlabIsAnsweredExactlyAsAMissingOne() {
        store.create(1, MIB, "alice");
        int bob = store.tenantId("bob");
        RememException foreign = assertCode(() -> store.access(1, SlabAccess.ownOnly(bob)), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> store.writable(1, SlabAccess.ownOnly(bob), 1), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> store.owned(1, SlabAccess.ownOnly(bob), false), ErrorCode.NO_SUCH_SLAB);
        assertThat(store.find(1, SlabAccess.ownOnly(bob))).isNull();
        assertThat(store.access(1, SlabAccess.ownOnly(store.tenantId("alice")))).isNotNull();
        // Once the slab is really gone, the answer must not differ by a byte: otherwise ids could be probed.
        store.delete(1);
        RememException missing = assertCode(() -> store.access(1, SlabAccess.ownOnly(bob)), ErrorCode.NO_SUCH_SLAB);
        assertThat(foreign.getMessage()).isEqualTo(missing.getMessage());
    }

    @Test
    void unknownSlabIsNoSuchSlab() {
        assertCode(() -> store.access(99, SlabAccess.ownOnly(store.tenantId("alice"))), ErrorCode.NO_SUCH_SLAB);
        store.create(1, MIB, "alice");
        assertCode(() -> store.access(2, SlabAccess.ownOnly(store.tenantId("alice"))), ErrorCode.NO_SUCH_SLAB);
    }

    /**
     * The controller creates each id once, so an existing slab under that id is a stale copy (a delete that never
     * arrived): a create drops it and starts from zeros, whoever owned it and whatever its size.
     */
    @Test
    void createOfAnExistingIdReplacesItWithAFreshZeroedSlab() {
        store.create(3, 2 * MIB, "alice");
        int alice = store.tenantId("alice");
        Slab first = store.access(3, SlabAccess.ownOnly(alice));
        write(first, 0, new byte[] {5, 6, 7});
        assertThat(store.capacity().backed()).isEqualTo(Slab.CHUNK_SIZE);

        store.create(3, 2 * MIB, "alice");
        Slab again = store.access(3, SlabAccess.ownOnly(alice));
        assertThat(again).isNotSameAs(first);
        assertThat(read(again, 0, 3)).containsOnly(0);
        assertThat(store.slabCount()).isEqualTo(1);
        assertThat(store.capacity().reserved()).as("the old copy's reservation is released").isEqualTo(2 * MIB);
        assertThat(store.capacity().backed()).as("and so is its memory").isZero();
        assertCode(() -> read(first, 0, 3), ErrorCode.NO_SUCH_SLAB); // the old handle is dead

        // Another owner and another size: the new slab is the new owner's alone.
        store.create(3, MIB, "bob");
        assertCode(() -> store.access(3, SlabAccess.ownOnly(alice)), ErrorCode.NO_SUCH_SLAB);
        Slab bobs = store.access(3, SlabAccess.ownOnly(store.tenantId("bob")));
        assertThat(bobs.size()).isEqualTo(MIB);
        assertThat(read(bobs, 0, 3)).containsOnly(0);
        assertThat(store.capacity().reserved()).isEqualTo(MIB);
    }

    @Test
    void aRecreatedSlabInTheDataDirectoryReadsZerosAfterARestartToo(@TempDir Path dir) {
        try (SlabFiles files = SlabFiles.open(dir)) {
            SlabStore before = new SlabStore(16 * MIB, files);
            before.create(1, MIB, "alice");
            write(before.get(1), 5, new byte[] {1, 2, 3});
            before.fence(1, 4);
            before.create(1, MIB, "bob");
            assertThat(read(before.get(1), 5, 3)).containsOnly(0);
            before.clear();
        }
        // The files were replaced as well, not only the memory: what comes back is bob's fresh slab at epoch 0.
        try (SlabFiles files = SlabFiles.open(dir)) {
            SlabStore after = new SlabStore(16 * MIB, files);
            after.recover();
            assertThat(after.held()).containsExactly(new HeldSlab(1, 0));
            after.reconcile(List.of(1L), List.of(1L));
            assertThat(read(after.access(1, SlabAccess.ownOnly(after.tenantId("bob"))), 5, 3)).containsOnly(0);
            assertCode(() -> after.access(1, SlabAccess.ownOnly(after.tenantId("alice"))), ErrorCode.NO_SUCH_SLAB);
            after.clear();
        }
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
            Slab s = big.access(2, SlabAccess.ownOnly(big.tenantId("alice")));
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
        assertThat(store.access(2, SlabAccess.ownOnly(store.tenantId("bob"))).size()).isEqualTo(10 * MIB);
    }

    @Test
    void clearDeletesEverything() {
        store.create(1, MIB, "alice");
        store.create(2, MIB, "bob");
        store.access(1, SlabAccess.ownOnly(store.tenantId("alice"))).getAndAdd(0, 1);
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
                        store.access(1, SlabAccess.ownOnly(alice)).getAndAdd(offset, delta);
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
        Slab s = store.access(1, SlabAccess.ownOnly(alice));
        assertThat(s.getAndAdd(offset, 0)).isEqualTo(expected);
        assertThat(expected).isEqualTo(36L * adds);
        assertThat(s.backedBytes()).isEqualTo(Slab.CHUNK_SIZE);
    }

    /**
     * The controller never creates one id twice at once, but if it did the node must not leak: whichever creates win,
     * each id ends with exactly one slab and one reservation, and a loser is told SLAB_EXISTS.
     */
    @Test
    void concurrentCreatesOfOneIdLeaveOneSlabAndOneReservation() throws Exception {
        SlabStore store = new SlabStore(1L << 30); // reservations only: nothing is backed
        int rounds = 500;
        int threads = 8;
        List<String> failures = new CopyOnWriteArrayList<>();
        for (int round = 0; round < rounds; round++) {
            long slabId = 1000 + round;
            CyclicBarrier barrier = new CyclicBarrier(threads);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                ts.add(Thread.ofPlatform().daemon().start(() -> {
                    try {
                        barrier.await(5, TimeUnit.SECONDS);
                        store.create(slabId, Limits.SLAB_GRANULE, "alice");
                    } catch (RememException e) {
                        if (e.code() != ErrorCode.SLAB_EXISTS) {
                            failures.add("slab " + slabId + ": " + e.getMessage());
                        }
                    } catch (Exception e) {
                        failures.add("slab " + slabId + ": " + e);
                    }
                }));
            }
            for (Thread t : ts) {
                t.join(5_000);
                assertThat(t.isAlive()).as("a create thread is stuck").isFalse();
            }
        }
        assertThat(failures).as("concurrent creates that failed otherwise than SLAB_EXISTS").isEmpty();
        assertThat(store.slabCount()).isEqualTo(rounds);
        assertThat(store.capacity().reserved()).isEqualTo(rounds * Limits.SLAB_GRANULE);
        store.clear();
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
                new HeldSlab(3, 4), new HeldSlab(4, 2));

        store.reconcile(store.held().stream().map(h -> h.slabId()).toList(), List.of());
        assertThat(store.slabCount()).isEqualTo(1);
        assertThat(store.get(4)).isSameAs(copying);
    }

    @Test
    void writableAndAccessFollowTheSlabsState() {
        store.create(1, MIB, "alice");
        int alice = store.tenantId("alice");
        store.fence(1, 3);
        assertThat(store.held()).containsExactly(new HeldSlab(1, 3));
        assertCode(() -> store.writable(1, SlabAccess.ownOnly(alice), 10), ErrorCode.STALE_MAP);
        assertThat(store.access(1, SlabAccess.ownOnly(alice))).isNotNull(); // reads are not fenced
        assertThat(store.get(1).declare(10, 3)).isTrue();
        assertThat(store.writable(1, SlabAccess.ownOnly(alice), 10)).isSameAs(store.get(1));
        assertCode(() -> store.fence(2, 1), ErrorCode.NO_SUCH_SLAB);

        Slab copying = store.createSyncing(2, MIB, "alice", 3);
        assertCode(() -> store.access(2, SlabAccess.ownOnly(alice)), ErrorCode.REPLICA_NOT_READY);
        assertCode(() -> store.forReplica(2), ErrorCode.REPLICA_NOT_READY);
        assertThat(store.writable(2, SlabAccess.ownOnly(alice), 11)).isSameAs(copying);
        assertThat(store.find(2, SlabAccess.ownOnly(alice))).as("offloads skip a slab being copied").isNull();
        store.finishSync(copying);
        assertThat(store.access(2, SlabAccess.ownOnly(alice))).isSameAs(copying);
        assertThat(store.forReplica(2)).isSameAs(copying);
        assertThat(store.find(2, SlabAccess.ownOnly(alice))).isSameAs(copying);
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
    void slabsComeBackFromTheDataDirectoryRecoveredAndWaitForTheController(@TempDir Path dir) {
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
                    new HeldSlab(1, 0), new HeldSlab(2, 6));
            assertThat(dir.resolve("slab-3.meta")).doesNotExist();
            int alice = after.tenantId("alice");
            assertThat(after.get(1).state()).isEqualTo(Slab.State.RECOVERED);
            assertCode(() -> after.access(1, SlabAccess.ownOnly(alice)), ErrorCode.REPLICA_NOT_READY);
            assertCode(() -> after.writable(1, SlabAccess.ownOnly(alice), 1), ErrorCode.REPLICA_NOT_READY);
            // Owners survive by name: bob's slab is refused to alice as missing, to bob only as not ready yet.
            assertCode(() -> after.access(2, SlabAccess.ownOnly(alice)), ErrorCode.NO_SUCH_SLAB);
            assertCode(() -> after.access(2, SlabAccess.ownOnly(after.tenantId("bob"))), ErrorCode.REPLICA_NOT_READY);

            after.reconcile(after.held().stream().map(h -> h.slabId()).toList(), List.of(1L));
            assertThat(read(after.access(1, SlabAccess.ownOnly(alice)), 3 * Slab.CHUNK_SIZE + 5, 3)).containsExactly(7, 8, 9);
            assertThat(after.get(2)).isNull();
            assertThat(dir.resolve("slab-2.meta")).doesNotExist();
            assertThat(dir.resolve("slab-2.data")).doesNotExist();
            assertThat(dir.resolve("slab-1.data")).exists();
            after.clear();
        }
    }
}
