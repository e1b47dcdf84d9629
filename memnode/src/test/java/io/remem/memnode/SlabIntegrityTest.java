package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegister.HeldSlab;
import io.remem.protocol.NodeRegistered.Restore;
import io.remem.protocol.RememException;
import io.remem.protocol.SlabDamaged;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Checksums of slab data at rest, on real files, with the scrubber's time in the test's hands: sealing chunks left
 * alone, unsealing them on every write, verifying them at recovery and in the background, quarantining a damaged copy,
 * and the controller's answers to one (drop it, or restore it when it is the only copy).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlabIntegrityTest {
    private static final long MIB = 1L << 20;
    private static final long CHUNK = Slab.CHUNK_SIZE;
    private static final long SECOND = 1_000_000_000L;
    private static final long SLAB = 42;

    @TempDir
    Path dir;

    private final AtomicLong nanos = new AtomicLong(1_000 * SECOND);
    private SlabFiles files;
    private DamageReports reports;
    private SlabStore store;
    private Scrubber scrubber;

    @AfterEach
    void closeStore() {
        stop();
    }

    // ------------------------------------------------------------------ helpers

    /** Opens the data directory as a node does, with a scrubber verifying {@code rate} bytes a second (not started). */
    private void start(long rate) {
        files = SlabFiles.open(dir);
        reports = new DamageReports();
        store = new SlabStore(16 * MIB, files, reports, Runnable::run);
        store.recover();
        scrubber = new Scrubber(store, rate, nanos::get);
    }

    private void start() {
        start(MIB);
    }

    /** As a node stops: the memory goes, the files stay. */
    private void stop() {
        if (store != null) {
            scrubber.close();
            store.clear();
            files.close();
            store = null;
        }
    }

    private void restart() {
        stop();
        start();
    }

    /** A pass of the scrubber {@code millis} after the last. */
    private void tickAfter(long millis) {
        nanos.addAndGet(millis * 1_000_000);
        scrubber.tick();
    }

    /** Seals every chunk written so far: one pass sees them, the next, a second later, seals them. */
    private void sealAll() {
        tickAfter(0);
        tickAfter(1000);
    }

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

    private Slab slab() {
        return store.get(SLAB);
    }

    private int state(int chunk) {
        return slab().sums().state(chunk);
    }

    /** A slab of 1 MiB with chunks 0, 2 and 5 written. */
    private byte[] createWritten() {
        store.create(SLAB, MIB, "alice");
        byte[] data = Ops.pattern((int) (6 * CHUNK), 3);
        for (int c : new int[] {0, 2, 5}) {
            write(slab(), c * CHUNK, Arrays.copyOfRange(data, (int) (c * CHUNK), (int) ((c + 1) * CHUNK)));
        }
        return data;
    }

    /** Flips a bit of the slab's data file through a channel of its own, as a failing disk might. */
    private void flip(long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("slab-" + SLAB + ".data"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x40));
            b.rewind();
            ch.write(b, offset);
        }
    }

    private void damageMeta() throws IOException {
        Path meta = dir.resolve("slab-" + SLAB + ".meta");
        byte[] bytes = Files.readAllBytes(meta);
        bytes[bytes.length / 2] ^= 1;
        Files.write(meta, bytes);
    }

    private List<Long> listed() {
        return store.held().stream().map(HeldSlab::slabId).toList();
    }

    private static RememException assertCode(ThrowingCallable call, ErrorCode code) {
        Throwable t = catchThrowable(call);
        assertThat(t).as("expected RememException " + code).isInstanceOf(RememException.class);
        assertThat(((RememException) t).code()).as(t.getMessage()).isEqualTo(code);
        return (RememException) t;
    }

    /** Every client access to the slab fails with DATA_CORRUPT, naming the slab and what failed. */
    private void assertQuarantined(String why) {
        int alice = store.tenantId("alice");
        assertThat(slab().state()).isEqualTo(Slab.State.QUARANTINED);
        RememException e = assertCode(() -> store.access(SLAB, SlabAccess.ownOnly(alice)), ErrorCode.DATA_CORRUPT);
        assertThat(e.getMessage()).contains("slab " + SLAB).contains(why);
        assertCode(() -> store.writable(SLAB, SlabAccess.ownOnly(alice), 1), ErrorCode.DATA_CORRUPT);
        assertCode(() -> store.forReplica(SLAB), ErrorCode.DATA_CORRUPT);
        assertThat(store.find(SLAB, SlabAccess.ownOnly(alice))).as("offloads pass it by").isNull();
        assertThat(store.held()).contains(new HeldSlab(SLAB, slab().epoch(), NodeRegister.DAMAGED));
        assertThat(dir.resolve("slab-" + SLAB + ".data")).exists();
    }

    // ------------------------------------------------------------------ sealing

    @Test
    void aChunkIsSealedOnceNoWriteHasTouchedItForASecond() {
        start();
        createWritten();
        tickAfter(0);
        assertThat(state(0)).as("just written").isEqualTo(ChunkSums.UNSEALED);
        tickAfter(999);
        assertThat(state(0)).isEqualTo(ChunkSums.UNSEALED);
        write(slab(), 2 * CHUNK + 7, new byte[] {1}); // chunk 2 written again at 999 ms
        tickAfter(1);
        assertThat(state(0)).as("a second without writes").isEqualTo(ChunkSums.SEALED);
        assertThat(state(5)).isEqualTo(ChunkSums.SEALED);
        assertThat(state(2)).as("written a moment ago").isEqualTo(ChunkSums.UNSEALED);
        assertThat(state(1)).as("never written: nothing to seal").isEqualTo(ChunkSums.UNSEALED);
        tickAfter(999);
        assertThat(state(2)).isEqualTo(ChunkSums.UNSEALED);
        tickAfter(1);
        assertThat(state(2)).isEqualTo(ChunkSums.SEALED);
        assertThat(SlabCheck.verifyAll(slab(), new ChunkSums.Summer())).as("clean data verifies").isNull();
    }

    @Test
    void everyWayOfWritingUnsealsTheChunksItTouchesBeforeChangingThem() {
        start();
        createWritten();
        store.create(SLAB + 1, MIB, "alice");
        Slab other = store.get(SLAB + 1);
        write(other, 0, new byte[(int) (2 * CHUNK)]);
        sealAll();
        assertThat(state(0)).isEqualTo(ChunkSums.SEALED);

        write(slab(), CHUNK - 2, new byte[] {9, 9, 9, 9}); // across chunks 0 and 1
        assertThat(state(0)).isEqualTo(ChunkSums.UNSEALED);
        assertThat(slab().backedChunkOrNull(1)).isNotNull();
        assertThat(state(2)).as("untouched").isEqualTo(ChunkSums.SEALED);
        slab().getAndAdd(2 * CHUNK + 8, 1);
        assertThat(state(2)).isEqualTo(ChunkSums.UNSEALED);
        slab().compareAndExchange(5 * CHUNK, 12345, 1); // fails, but may not have: unsealed all the same
        assertThat(state(5)).isEqualTo(ChunkSums.UNSEALED);

        // A copy arriving (SLAB_SYNC) writes through copyPiece.
        Slab copy = store.createSyncing(SLAB + 1, MIB, "alice", 1);
        MemorySegment piece = MemorySegment.ofArray(Ops.pattern((int) CHUNK, 8));
        copy.copyPiece(0, piece);
        assertThat(copy.sums().sealNow(0, copy.backedChunkOrNull(0), new ChunkSums.Summer())).isTrue();
        copy.copyPiece(0, MemorySegment.ofArray(Ops.pattern((int) CHUNK, 9)));
        assertThat(copy.sums().state(0)).isEqualTo(ChunkSums.UNSEALED);
        sealAll();
        assertThat(copy.sums().state(0)).isEqualTo(ChunkSums.SEALED);
        assertThat(SlabCheck.verifyAll(copy, new ChunkSums.Summer())).isNull();
        assertThat(SlabCheck.verifyAll(slab(), new ChunkSums.Summer())).isNull();
    }

    @Test
    void slabsInMemoryHaveNoChecksums() {
        SlabStore memory = new SlabStore(16 * MIB);
        memory.create(1, MIB, "alice");
        assertThat(memory.get(1).sums()).isNull();
        memory.clear();
    }

    // ------------------------------------------------------------------ verification

    @Test
    void cleanSealedDataSurvivesARestartAndEveryScrub() {
        start();
        byte[] data = createWritten();
        sealAll();
        for (int i = 0; i < 5; i++) {
            tickAfter(1000);
        }
        assertThat(slab().state()).isEqualTo(Slab.State.READY);
        restart();
        assertThat(slab().state()).isEqualTo(Slab.State.RECOVERED);
        assertThat(state(0)).as("seals are kept in the file").isEqualTo(ChunkSums.SEALED);
        store.reconcile(listed(), List.of(SLAB));
        assertThat(read(slab(), 0, (int) (6 * CHUNK))).isEqualTo(maskUnwritten(data));
        assertThat(reports.pending()).isEmpty();
    }

    /** The pattern as the slab holds it: chunks 1, 3 and 4 were never written. */
    private static byte[] maskUnwritten(byte[] data) {
        byte[] b = data.clone();
        for (int c : new int[] {1, 3, 4}) {
            Arrays.fill(b, (int) (c * CHUNK), (int) ((c + 1) * CHUNK), (byte) 0);
        }
        return b;
    }

    @Test
    void theScrubberFindsAFlippedByteAtItsRateQuarantinesAndReports() throws IOException {
        start(CHUNK); // one chunk a second
        createWritten();
        sealAll(); // that pass verified chunk 0 too
        flip(5 * CHUNK + 100);
        tickAfter(1000); // chunk 1 (never written, so free), then chunk 2
        assertThat(slab().state()).as("chunk 5 not reached yet").isEqualTo(Slab.State.READY);
        tickAfter(1000); // chunks 3 and 4 (free), then chunk 5
        assertQuarantined("chunk 5");
        assertThat(reports.pending()).containsOnlyKeys(SLAB);
        SlabDamaged r = reports.pending().get(SLAB);
        assertThat(r.damaged()).isTrue();
        assertThat(r.detail()).contains("chunk 5");
        tickAfter(1000); // quarantined slabs are left alone
        assertThat(slab().state()).isEqualTo(Slab.State.QUARANTINED);
    }

    @Test
    void aScrubRateOfZeroVerifiesNothingButStillSeals() throws IOException {
        start(0);
        createWritten();
        sealAll();
        assertThat(state(0)).isEqualTo(ChunkSums.SEALED);
        flip(100);
        for (int i = 0; i < 5; i++) {
            tickAfter(1000);
        }
        assertThat(slab().state()).isEqualTo(Slab.State.READY);
        restart(); // recovery checks everything, whatever the rate
        assertQuarantined("chunk 0");
    }

    @Test
    void aFlippedByteInAStoppedNodesFileQuarantinesTheSlabAtRecovery() throws IOException {
        start();
        createWritten();
        sealAll();
        stop();
        flip(2 * CHUNK + 5);
        start();
        assertQuarantined("chunk 2");
        assertThat(reports.pending()).as("the registration reports it").isEmpty();
    }

    @Test
    void writesBeforeTheCrashLeaveChunksUnsealedNotDamaged() throws IOException {
        start();
        createWritten();
        sealAll();
        write(slab(), 7, new byte[] {1, 2, 3}); // unseals chunk 0; the node stops before it is sealed again
        stop();
        start();
        assertThat(slab().state()).isEqualTo(Slab.State.RECOVERED);
        assertThat(state(0)).isEqualTo(ChunkSums.UNSEALED);
        assertThat(state(2)).isEqualTo(ChunkSums.SEALED);
        sealAll();
        assertThat(state(0)).as("sealed again once quiet").isEqualTo(ChunkSums.SEALED);
    }

    // ------------------------------------------------------------------ the controller's answers

    @Test
    void aQuarantinedSlabTheControllerDropsIsDeletedFilesAndAll() throws IOException {
        start();
        createWritten();
        sealAll();
        stop();
        flip(0);
        start();
        store.reconcile(listed(), List.of(), List.of());
        assertThat(slab()).isNull();
        assertThat(dir.resolve("slab-" + SLAB + ".data")).doesNotExist();
        assertThat(dir.resolve("slab-" + SLAB + ".sums")).doesNotExist();
        assertThat(dir.resolve("slab-" + SLAB + ".meta")).doesNotExist();
    }

    @Test
    void aQuarantinedSlabIsNeverServedEvenIfTheControllerKeepsIt() throws IOException {
        start();
        createWritten();
        sealAll();
        flip(0);
        tickAfter(1000);
        assertQuarantined("chunk 0");
        // Its registration went out before the scrub found the damage, so the controller kept it: still quarantined.
        store.reconcile(listed(), List.of(SLAB), List.of());
        assertQuarantined("chunk 0");
        store.delete(SLAB); // what SLAB_DELETE does, once the controller drops it
        assertThat(dir.resolve("slab-" + SLAB + ".data")).doesNotExist();
    }

    @Test
    void theOnlyCopyCheckedAgainAndStillDamagedStaysQuarantined() throws IOException {
        start();
        createWritten();
        sealAll();
        stop();
        flip(5 * CHUNK);
        start();
        store.reconcile(listed(), List.of(), List.of(new Restore(SLAB, "alice", MIB, 3)));
        assertQuarantined("chunk 5");
        SlabDamaged r = reports.pending().get(SLAB);
        assertThat(r.damaged()).isTrue();
        assertThat(r.detail()).contains("still damaged").contains("chunk 5");
    }

    @Test
    void aRestoreThatDisagreesWithTheCopysMetaKeepsItQuarantined() throws IOException {
        start();
        createWritten();
        sealAll();
        stop();
        flip(0);
        start();
        store.reconcile(listed(), List.of(), List.of(new Restore(SLAB, "bob", MIB, 3)));
        assertThat(slab().state()).isEqualTo(Slab.State.QUARANTINED);
        assertThat(reports.pending().get(SLAB).detail()).contains("does not match");
    }

    @Test
    void aDamagedMetaKeepsTheDataAndTheControllersRecordRestoresIt() throws IOException {
        start();
        byte[] data = createWritten();
        store.fence(SLAB, 2);
        sealAll();
        stop();
        damageMeta();
        start();
        assertThat(slab()).as("not a slab until the controller says what it is").isNull();
        assertThat(store.held()).containsExactly(new HeldSlab(SLAB, 0, NodeRegister.DAMAGED));
        assertCode(() -> store.access(SLAB, SlabAccess.ownOnly(store.tenantId("alice"))), ErrorCode.NO_SUCH_SLAB);

        store.reconcile(listed(), List.of(), List.of(new Restore(SLAB, "alice", MIB, 4)));
        assertThat(slab().state()).isEqualTo(Slab.State.READY);
        assertThat(slab().epoch()).isEqualTo(4);
        assertThat(read(store.access(SLAB, SlabAccess.ownOnly(store.tenantId("alice"))), 0, (int) (6 * CHUNK))).isEqualTo(maskUnwritten(data));
        SlabDamaged r = reports.pending().get(SLAB);
        assertThat(r.damaged()).isFalse();
        assertThat(r.detail()).contains("restored");

        restart(); // the meta was written again from the controller's record
        assertThat(store.held()).containsExactly(new HeldSlab(SLAB, 4, 0));
        assertThat(slab().state()).isEqualTo(Slab.State.RECOVERED);
    }

    @Test
    void aDamagedMetaOverCorruptDataStaysQuarantinedWhenRestored() throws IOException {
        start();
        createWritten();
        sealAll();
        stop();
        damageMeta();
        flip(2 * CHUNK + 1);
        start();
        byte[] meta = Files.readAllBytes(dir.resolve("slab-" + SLAB + ".meta"));
        store.reconcile(listed(), List.of(), List.of(new Restore(SLAB, "alice", MIB, 4)));
        assertQuarantined("chunk 2");
        assertThat(reports.pending().get(SLAB).damaged()).isTrue();
        assertThat(Files.readAllBytes(dir.resolve("slab-" + SLAB + ".meta"))).as("left as found").isEqualTo(meta);
    }

    @Test
    void aDamagedMetaWhoseDataIsShorterThanTheControllersRecordStaysQuarantined() throws IOException {
        start();
        createWritten();
        stop();
        damageMeta();
        start();
        store.reconcile(listed(), List.of(), List.of(new Restore(SLAB, "alice", 2 * MIB, 4)));
        assertThat(slab()).isNull();
        assertThat(store.held()).containsExactly(new HeldSlab(SLAB, 0, NodeRegister.DAMAGED));
        assertThat(reports.pending().get(SLAB).detail()).contains("fewer than");
        assertThat(Files.size(dir.resolve("slab-" + SLAB + ".data"))).as("not grown").isEqualTo(MIB);
    }

    @Test
    void aDamagedMetaNeitherKeptNorRestoredIsDeleted() throws IOException {
        start();
        createWritten();
        stop();
        damageMeta();
        start();
        store.reconcile(listed(), List.of(), List.of());
        assertThat(store.held()).isEmpty();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("lock");
        }
    }

    @Test
    void aDamagedMetaIsDroppedWhenTheSlabIsCreatedAgain() throws IOException {
        start();
        createWritten();
        stop();
        damageMeta();
        start();
        store.create(SLAB, MIB, "bob");
        assertThat(store.held()).containsExactly(new HeldSlab(SLAB, 0, 0));
        assertThat(read(store.access(SLAB, SlabAccess.ownOnly(store.tenantId("bob"))), 0, 16)).containsOnly(0);
    }

    @Test
    void aSlabWithoutASumsFileComesBackUnsealedAndGetsOne() throws IOException {
        start();
        byte[] data = createWritten();
        sealAll();
        stop();
        Files.delete(dir.resolve("slab-" + SLAB + ".sums")); // as a remem without checksums left it
        flip(100); // undetectable now: no checksum covers it
        start();
        assertThat(slab().state()).isEqualTo(Slab.State.RECOVERED);
        assertThat(dir.resolve("slab-" + SLAB + ".sums")).exists();
        assertThat(state(0)).isEqualTo(ChunkSums.UNSEALED);
        store.reconcile(listed(), List.of(SLAB));
        assertThat(read(slab(), 200, 100)).isEqualTo(Arrays.copyOfRange(data, 200, 300));
        sealAll();
        assertThat(state(0)).isEqualTo(ChunkSums.SEALED);
    }

    @Test
    void aDamagedSumsFileQuarantinesTheSlab() throws IOException {
        start();
        createWritten();
        stop();
        Path sums = dir.resolve("slab-" + SLAB + ".sums");
        byte[] bytes = Files.readAllBytes(sums);
        bytes[8] ^= 1; // the chunk count
        Files.write(sums, bytes);
        start();
        assertQuarantined("checksum file");
        store.reconcile(listed(), List.of(), List.of(new Restore(SLAB, "alice", MIB, 0)));
        assertQuarantined("checksum file");
    }

    // ------------------------------------------------------------------ the sealing protocol under load

    /**
     * Writers (runs, atomics) race a sealer that seals as fast as it can and a verifier: no sealed chunk may ever fail
     * its check, during the race or after it. A write that did not unseal first, or a seal that did not notice a write
     * beginning, leaves a sealed chunk whose checksum is not its bytes'.
     */
    @Test
    void writesRacingTheSealerNeverLeaveASealedChunkWithAWrongChecksum() throws Exception {
        start();
        int chunks = 4;
        store.create(SLAB, chunks * CHUNK, "alice");
        Slab s = slab();
        s.backRange(0, (int) (chunks * CHUNK));
        ChunkSums sums = s.sums();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong seals = new AtomicLong();
        AtomicLong good = new AtomicLong();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            int seed = w;
            threads.add(Thread.ofPlatform().start(() -> {
                Random random = new Random(seed);
                byte[] bytes = new byte[3000];
                ByteBuf src = Unpooled.wrappedBuffer(bytes);
                while (!stop.get()) {
                    random.nextBytes(bytes);
                    long at = random.nextLong(chunks * CHUNK - bytes.length);
                    switch (random.nextInt(3)) {
                        case 0 -> s.write(at, src, 0, 1 + random.nextInt(bytes.length));
                        case 1 -> s.getAndAdd(at & ~7, 1);
                        default -> s.compareAndExchange(at & ~7, 0, random.nextLong());
                    }
                    if (random.nextInt(8) == 0) {
                        LockSupport.parkNanos(random.nextInt(50_000)); // pauses, so seals succeed and race writes
                    }
                }
            }));
        }
        threads.add(Thread.ofPlatform().start(() -> {
            ChunkSums.Summer summer = new ChunkSums.Summer();
            while (!stop.get()) {
                for (int c = 0; c < chunks; c++) {
                    if (sums.sealNow(c, s.backedChunkOrNull(c), summer)) {
                        seals.incrementAndGet();
                    }
                }
            }
        }));
        threads.add(Thread.ofPlatform().start(() -> {
            ChunkSums.Summer summer = new ChunkSums.Summer();
            while (!stop.get()) {
                for (int c = 0; c < chunks; c++) {
                    ChunkSums.Check check = sums.verify(c, s.backedChunkOrNull(c), summer);
                    if (check == ChunkSums.Check.GOOD) {
                        good.incrementAndGet();
                    } else if (check == ChunkSums.Check.MISMATCH || check == ChunkSums.Check.BAD_ENTRY) {
                        failures.add("chunk " + c + ": " + check);
                    }
                }
            }
        }));
        Thread.sleep(1500);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).as("checks that failed during the race").isEmpty();
        assertThat(seals.get()).as("seals that succeeded").isPositive();
        assertThat(good.get()).as("checks of sealed chunks that passed").isPositive();
        ChunkSums.Summer summer = new ChunkSums.Summer();
        for (int c = 0; c < chunks; c++) {
            assertThat(sums.verify(c, s.backedChunkOrNull(c), summer)).as("chunk " + c)
                    .isIn(ChunkSums.Check.GOOD, ChunkSums.Check.UNSEALED);
            sums.sealNow(c, s.backedChunkOrNull(c), summer);
            assertThat(sums.verify(c, s.backedChunkOrNull(c), summer)).isEqualTo(ChunkSums.Check.GOOD);
        }
    }
}
