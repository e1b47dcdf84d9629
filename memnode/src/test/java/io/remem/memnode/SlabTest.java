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

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SlabTest {
    private static final long CHUNK = Slab.CHUNK_SIZE;
    private static final long SIZE = 8 * CHUNK;

    private final Capacity capacity = new Capacity(64L << 20);
    private final List<Slab> slabs = new ArrayList<>();

    private Slab slab(long size) {
        return slab(size, capacity);
    }

    private Slab slab(long size, Capacity cap) {
        Slab s = new Slab(slabs.size() + 1, 1, size, cap);
        slabs.add(s);
        return s;
    }

    @AfterEach
    void freeSlabs() {
        slabs.forEach(Slab::delete);
    }

    private static byte[] read(Slab s, long offset, int length) {
        ByteBuf out = Unpooled.buffer();
        s.read(offset, length, out);
        assertThat(out.readableBytes()).isEqualTo(length);
        byte[] b = new byte[length];
        out.readBytes(b);
        return b;
    }

    private static void write(Slab s, long offset, byte[] data) {
        s.backRange(offset, data.length);
        s.write(offset, Unpooled.wrappedBuffer(data), 0, data.length);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i * 31 + (i >>> 8));
        }
        return b;
    }

    private static void assertCode(ThrowingCallable call, ErrorCode code) {
        Throwable t = catchThrowable(call);
        if (t == null) {
            throw new AssertionError("expected RememException " + code + " but the call returned normally");
        }
        assertThat(t).as("expected RememException " + code).isInstanceOf(RememException.class);
        assertThat(((RememException) t).code()).isEqualTo(code);
    }

    @Test
    void chunkSizeIsTheSlabGranule() {
        assertThat(Slab.CHUNK_SIZE).isEqualTo(Limits.SLAB_GRANULE);
        assertThat(Slab.CHUNK_SIZE).isEqualTo(1L << Slab.CHUNK_SHIFT);
    }

    @Test
    void neverWrittenSlabReadsAsZerosAndBacksNothing() {
        Slab s = slab(SIZE);
        assertThat(read(s, 0, (int) SIZE)).containsOnly(0);
        assertThat(read(s, CHUNK - 3, 10)).containsOnly(0);
        assertThat(s.backedBytes()).isZero();
        assertThat(capacity.backed()).isZero();
        assertThat(s.size()).isEqualTo(SIZE);
    }

    @Test
    void writeBacksExactlyTheChunkItTouches() {
        Slab s = slab(SIZE);
        byte[] data = pattern(100, 1);
        write(s, 3 * CHUNK + 10, data);
        assertThat(s.backedBytes()).isEqualTo(CHUNK);
        assertThat(capacity.backed()).isEqualTo(CHUNK);
        assertThat(read(s, 3 * CHUNK + 10, 100)).isEqualTo(data);
        // The rest of the chunk and the neighbours are still zero.
        assertThat(read(s, 3 * CHUNK, 10)).containsOnly(0);
        assertThat(read(s, 3 * CHUNK + 110, (int) CHUNK - 110)).containsOnly(0);
        assertThat(read(s, 2 * CHUNK, (int) CHUNK)).containsOnly(0);
        assertThat(read(s, 4 * CHUNK, (int) CHUNK)).containsOnly(0);
    }

    @Test
    void writeStraddlingTwoChunksBacksBoth() {
        Slab s = slab(SIZE);
        byte[] data = pattern(64, 7);
        long offset = 2 * CHUNK - 32;
        write(s, offset, data);
        assertThat(s.backedBytes()).isEqualTo(2 * CHUNK);
        assertThat(read(s, offset, 64)).isEqualTo(data);
        assertThat(read(s, offset - 1, 1)).containsOnly(0);
        assertThat(read(s, offset + 64, 1)).containsOnly(0);
    }

    @Test
    void largeWriteAcrossManyChunksReadsBack() {
        Slab s = slab(SIZE);
        byte[] data = pattern((int) (3 * CHUNK + 123), 3);
        write(s, CHUNK / 2, data);
        // [CHUNK/2, 3.5 CHUNK + 123) touches chunks 0..3.
        assertThat(s.backedBytes()).isEqualTo(4 * CHUNK);
        assertThat(read(s, CHUNK / 2, data.length)).isEqualTo(data);
        byte[] whole = read(s, 0, (int) SIZE);
        for (int i = 0; i < CHUNK / 2; i++) {
            assertThat(whole[i]).isZero();
        }
    }

    @Test
    void rewritingABackedChunkBacksNothingMore() {
        Slab s = slab(SIZE);
        write(s, 0, pattern(10, 1));
        write(s, 100, pattern(10, 2));
        write(s, CHUNK - 1, new byte[] {5});
        assertThat(s.backedBytes()).isEqualTo(CHUNK);
        assertThat(read(s, 0, 10)).isEqualTo(pattern(10, 1));
        assertThat(read(s, 100, 10)).isEqualTo(pattern(10, 2));
        assertThat(read(s, CHUNK - 1, 1)).containsExactly(5);
    }

    @Test
    void writeFromAnOffsetInsideTheSourceBuffer() {
        Slab s = slab(SIZE);
        byte[] src = pattern(50, 9);
        s.backRange(1000, 20);
        s.write(1000, Unpooled.wrappedBuffer(src), 30, 20);
        byte[] expected = new byte[20];
        System.arraycopy(src, 30, expected, 0, 20);
        assertThat(read(s, 1000, 20)).isEqualTo(expected);
    }

    @Test
    void backRangeOfZeroBytesBacksNothing() {
        Slab s = slab(SIZE);
        s.backRange(5 * CHUNK, 0);
        s.backRange(SIZE, 0);
        assertThat(s.backedBytes()).isZero();
    }

    @Test
    void accessesOutsideTheSlabAreOutOfBounds() {
        Slab s = slab(SIZE);
        ByteBuf out = Unpooled.buffer();
        assertCode(() -> s.read(-1, 1, out), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.read(SIZE, 1, out), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.read(SIZE - 1, 2, out), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.read(0, (int) SIZE + 1, out), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.read(0, -1, out), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.read(Long.MAX_VALUE, 8, out), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.read(Long.MAX_VALUE - 2, Integer.MAX_VALUE, out), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.read(Long.MIN_VALUE, 8, out), ErrorCode.OUT_OF_BOUNDS);
        assertThat(out.readableBytes()).isZero();

        assertCode(() -> s.backRange(-8, 8), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.backRange(SIZE - 4, 8), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.backRange(Long.MAX_VALUE, 1), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.backRange(Long.MAX_VALUE - 10, Integer.MAX_VALUE), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.backRange(0, -1), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.checkRange(Long.MAX_VALUE, Long.MAX_VALUE), ErrorCode.OUT_OF_BOUNDS);

        assertCode(() -> s.compareAndExchange(SIZE, 0, 1), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.compareAndExchange(Long.MAX_VALUE & ~7L, 0, 1), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.getAndAdd(SIZE - 4, 1), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> s.getAndAdd(-8, 1), ErrorCode.OUT_OF_BOUNDS);
        assertThat(s.backedBytes()).isZero();

        // The very last byte and word are in bounds.
        assertThat(read(s, SIZE - 1, 1)).containsOnly(0);
        assertThat(s.getAndAdd(SIZE - 8, 1)).isZero();
        assertThat(read(s, 0, 0)).isEmpty();
    }

    @Test
    void compareAndExchangeOnAnUnbackedWordWithNonZeroExpectedFailsWithoutBacking() {
        Slab s = slab(SIZE);
        assertThat(s.compareAndExchange(CHUNK + 8, 5, 6)).isZero();
        assertThat(s.backedBytes()).isZero();
        assertThat(read(s, CHUNK + 8, 8)).containsOnly(0);
    }

    @Test
    void compareAndExchangeOnAnUnbackedWordWithZeroExpectedSucceeds() {
        Slab s = slab(SIZE);
        assertThat(s.compareAndExchange(CHUNK + 8, 0, 42)).isZero();
        assertThat(s.backedBytes()).isEqualTo(CHUNK);
        // The witness is the old value; a second swap expecting 0 fails and reports 42.
        assertThat(s.compareAndExchange(CHUNK + 8, 0, 43)).isEqualTo(42);
        assertThat(s.compareAndExchange(CHUNK + 8, 42, 44)).isEqualTo(42);
        assertThat(s.compareAndExchange(CHUNK + 8, 42, 45)).isEqualTo(44);
        assertThat(s.getAndAdd(CHUNK + 8, 0)).isEqualTo(44);
    }

    @Test
    void getAndAddReturnsPreviousValues() {
        Slab s = slab(SIZE);
        assertThat(s.getAndAdd(64, 5)).isZero();
        assertThat(s.getAndAdd(64, 10)).isEqualTo(5);
        assertThat(s.getAndAdd(64, -20)).isEqualTo(15);
        assertThat(s.getAndAdd(64, 0)).isEqualTo(-5);
        assertThat(s.getAndAdd(72, 1)).isZero();
        assertThat(s.backedBytes()).isEqualTo(CHUNK);
        // Words are stored in native order; a read returns the same 8 bytes a Java long has there.
        long v = ByteBuffer.wrap(read(s, 64, 8)).order(ByteOrder.nativeOrder()).getLong();
        assertThat(v).isEqualTo(-5);
    }

    @Test
    void atomicsSeeWrittenData() {
        Slab s = slab(SIZE);
        byte[] word = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(1234).array();
        write(s, 128, word);
        assertThat(s.getAndAdd(128, 1)).isEqualTo(1234);
        assertThat(s.compareAndExchange(128, 1235, 7)).isEqualTo(1235);
        assertThat(s.getAndAdd(128, 0)).isEqualTo(7);
    }

    @Test
    void misalignedAtomicsAreRefused() {
        Slab s = slab(SIZE);
        for (long offset : new long[] {1, 4, 7, 9, CHUNK - 4}) {
            assertCode(() -> s.compareAndExchange(offset, 0, 1), ErrorCode.MISALIGNED);
            assertCode(() -> s.getAndAdd(offset, 1), ErrorCode.MISALIGNED);
        }
        assertThat(s.backedBytes()).isZero();
    }

    @Test
    void deleteReleasesCapacity() {
        Slab s = slab(SIZE);
        write(s, 0, pattern(10, 1));
        write(s, 5 * CHUNK, pattern(10, 1));
        assertThat(capacity.backed()).isEqualTo(2 * CHUNK);
        s.delete();
        assertThat(capacity.backed()).isZero();
        assertThat(s.backedBytes()).isZero();
        s.delete(); // idempotent
        assertThat(capacity.backed()).isZero();
    }

    /** Every kind of access to a deleted slab, on a chunk that was backed before the delete. */
    @Test
    void afterDeleteAccessesToBackedChunksAreNoSuchSlab() {
        Slab s = slab(SIZE);
        write(s, 0, pattern(64, 1));
        s.delete();
        ByteBuf out = Unpooled.buffer();
        assertCode(() -> s.read(0, 8, out), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> s.write(0, Unpooled.wrappedBuffer(new byte[8]), 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> s.compareAndExchange(0, 0, 1), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> s.compareAndExchange(8, 5, 1), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> s.getAndAdd(16, 1), ErrorCode.NO_SUCH_SLAB);
        assertThat(capacity.backed()).isZero();
    }

    /** Every kind of access to a deleted slab, on a chunk that was never backed. */
    @Test
    void afterDeleteAccessesToUnbackedChunksAreNoSuchSlab() {
        Slab s = slab(SIZE);
        write(s, 0, pattern(64, 1));
        s.delete();
        long unbacked = 3 * CHUNK;
        assertCode(() -> s.write(unbacked, Unpooled.wrappedBuffer(new byte[8]), 0, 8), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> s.compareAndExchange(unbacked, 0, 1), ErrorCode.NO_SUCH_SLAB);
        assertCode(() -> s.getAndAdd(unbacked, 1), ErrorCode.NO_SUCH_SLAB);
        assertThat(capacity.backed()).isZero();
    }

    @Test
    void afterDeleteBackRangeIsNoSuchSlab() {
        Slab s = slab(SIZE);
        write(s, 0, pattern(64, 1));
        s.delete();
        assertCode(() -> s.backRange(3 * CHUNK, 8), ErrorCode.NO_SUCH_SLAB); // never backed
        assertCode(() -> s.backRange(0, 8), ErrorCode.NO_SUCH_SLAB);         // was backed
        assertThat(capacity.backed()).isZero();
    }

    @Test
    void afterDeleteReadOfANeverBackedChunkIsNoSuchSlab() {
        Slab s = slab(SIZE);
        s.delete();
        ByteBuf out = Unpooled.buffer();
        assertCode(() -> s.read(0, 8, out), ErrorCode.NO_SUCH_SLAB);
    }

    @Test
    void afterDeleteFailingCompareAndExchangeOnANeverBackedWordIsNoSuchSlab() {
        Slab s = slab(SIZE);
        s.delete();
        assertCode(() -> s.compareAndExchange(0, 5, 1), ErrorCode.NO_SUCH_SLAB);
    }

    @Test
    void afterDeleteNoAccessThrowsIllegalStateException() {
        Slab s = slab(SIZE);
        write(s, 0, pattern(64, 1));
        write(s, 2 * CHUNK - 4, pattern(8, 1));
        s.delete();
        List<ThrowingCallable> accesses = List.of(
                () -> s.read(0, (int) SIZE, Unpooled.buffer()),
                () -> s.read(2 * CHUNK - 4, 8, Unpooled.buffer()),
                () -> s.write(2 * CHUNK - 4, Unpooled.wrappedBuffer(new byte[8]), 0, 8),
                () -> s.backRange(0, (int) SIZE),
                () -> s.getAndAdd(0, 1),
                () -> s.compareAndExchange(0, 1, 2));
        for (ThrowingCallable a : accesses) {
            Throwable t = catchThrowable(a);
            assertThat(t).isNotInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void backingBeyondCapacityIsNodeOutOfMemoryAndBacksNothing() {
        Capacity small = new Capacity(2 * CHUNK);
        Slab s = slab(SIZE, small);
        write(s, 0, pattern(8, 1));
        write(s, CHUNK, pattern(8, 2));
        assertThat(small.backed()).isEqualTo(2 * CHUNK);
        assertCode(() -> s.backRange(2 * CHUNK, 8), ErrorCode.NODE_OUT_OF_MEMORY);
        assertCode(() -> s.getAndAdd(3 * CHUNK, 1), ErrorCode.NODE_OUT_OF_MEMORY);
        assertCode(() -> s.compareAndExchange(4 * CHUNK, 0, 1), ErrorCode.NODE_OUT_OF_MEMORY);
        assertThat(s.backedBytes()).isEqualTo(2 * CHUNK);
        assertThat(small.backed()).isEqualTo(2 * CHUNK);
        // Reads of unbacked chunks still work, and the data already there is intact.
        assertThat(read(s, 2 * CHUNK, 16)).containsOnly(0);
        assertThat(read(s, 0, 8)).isEqualTo(pattern(8, 1));
        // Deleting frees the memory for others.
        s.delete();
        assertThat(small.backed()).isZero();
        Slab other = slab(SIZE, small);
        other.backRange(0, (int) (2 * CHUNK));
        assertThat(small.backed()).isEqualTo(2 * CHUNK);
    }

    /** A range that only partly fits must not leave the chunks that did fit backed. */
    @Test
    void backRangeThatOnlyPartlyFitsBacksNothing() {
        Capacity small = new Capacity(2 * CHUNK);
        Slab s = slab(SIZE, small);
        assertCode(() -> s.backRange(0, (int) (3 * CHUNK)), ErrorCode.NODE_OUT_OF_MEMORY);
        assertThat(s.backedBytes()).isZero();
        assertThat(small.backed()).isZero();
    }

    @Test
    void concurrentGetAndAddOnOneUnbackedWordBacksOneChunk() throws Exception {
        Slab s = slab(SIZE);
        int threads = 8;
        int adds = 20_000;
        List<Thread> ts = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < adds; i++) {
                    s.getAndAdd(CHUNK * 6 + 16, 1);
                }
            }));
        }
        start.countDown();
        for (Thread t : ts) {
            t.join(10_000);
        }
        assertThat(s.getAndAdd(CHUNK * 6 + 16, 0)).isEqualTo((long) threads * adds);
        assertThat(s.backedBytes()).isEqualTo(CHUNK);
        assertThat(capacity.backed()).isEqualTo(CHUNK);
    }

    // ------------------------------------------------------------------ replicas: copy, states, epochs

    /** The copy's side of {@link Slab#copyPiece}: {@code data} for {@code [offset, +data.length)}. */
    private static void copy(Slab s, long offset, byte[] data) {
        s.copyPiece(offset, MemorySegment.ofArray(data));
    }

    /** What a slab holds after a copy of {@code source} and the client writes in {@code writes}, in order. */
    private static byte[] overlay(byte[] source, long[] offsets, byte[][] writes) {
        byte[] model = source.clone();
        for (int i = 0; i < offsets.length; i++) {
            System.arraycopy(writes[i], 0, model, (int) offsets[i], writes[i].length);
        }
        return model;
    }

    @Test
    void aSlabBeingCopiedTakesWritesButServesNoReadsUntilReady() {
        Slab s = slab(SIZE);
        s.beginSync(4);
        assertThat(s.state()).isEqualTo(Slab.State.SYNCING);
        assertThat(s.epoch()).isEqualTo(4);
        assertCode(s::checkReadable, ErrorCode.REPLICA_NOT_READY);
        s.checkWritable(1); // clients that know this replica write to it while it is copied
        s.markReady();
        assertThat(s.state()).isEqualTo(Slab.State.READY);
        s.checkReadable();
        s.checkWritable(1);
    }

    @Test
    void aRecoveredSlabServesNothingUntilReady() {
        Slab s = slab(SIZE);
        s.markRecovered(7);
        assertThat(s.state()).isEqualTo(Slab.State.RECOVERED);
        assertThat(s.epoch()).isEqualTo(7);
        assertCode(s::checkReadable, ErrorCode.REPLICA_NOT_READY);
        assertCode(() -> s.checkWritable(1), ErrorCode.REPLICA_NOT_READY);
        assertThat(s.declare(1, 7)).as("the epoch it was recovered at is current").isTrue();
        assertCode(() -> s.checkWritable(1), ErrorCode.REPLICA_NOT_READY);
        s.markReady();
        s.checkReadable();
        s.checkWritable(1);
    }

    @Test
    void theCopyNeverOverwritesWhatClientsWroteMeanwhile() {
        Slab s = slab(SIZE);
        s.beginSync(1);
        long[] at = {
                4096,            // two whole lines
                8192 + 16,       // 8 bytes inside one line, as an atomic's word
                12_288 + 40,     // the last 24 bytes of a line and the first 26 of the next
                16_384,          // the first 8 bytes of a line ...
                16_384 + 56,     // ... and its last 8: the copy fills the middle
                20_480 + 8,      // part of a line first ...
                20_480};         // ... then all of it
        byte[][] writes = {pattern(128, 1), pattern(8, 2), pattern(50, 3), pattern(8, 4), pattern(8, 5),
                pattern(16, 6), pattern(64, 7)};
        for (int i = 0; i < at.length; i++) {
            write(s, at[i], writes[i]);
        }
        byte[] source = pattern((int) CHUNK, 99);
        copy(s, 0, source);
        s.markReady();

        byte[] expected = overlay(source, at, writes);
        assertThat(read(s, 0, (int) CHUNK)).isEqualTo(expected);
        // Spelled out for the partial line: the client's 8 bytes, the copy's 56 around them.
        assertThat(read(s, 8192 + 16, 8)).isEqualTo(pattern(8, 2));
        assertThat(read(s, 8192, 16)).isEqualTo(Arrays.copyOfRange(source, 8192, 8192 + 16));
        assertThat(read(s, 8192 + 24, 40)).isEqualTo(Arrays.copyOfRange(source, 8192 + 24, 8192 + 64));
        assertThat(read(s, 16_384 + 8, 48)).isEqualTo(Arrays.copyOfRange(source, 16_384 + 8, 16_384 + 56));
    }

    @Test
    void theCopyKeepsClientWritesThatStraddleTwoChunks() {
        Slab s = slab(SIZE);
        s.beginSync(1);
        long straddling = 2 * CHUNK - 20;
        write(s, straddling, pattern(40, 1));
        byte[] source = pattern((int) (2 * CHUNK), 5);
        copy(s, CHUNK, Arrays.copyOfRange(source, 0, (int) CHUNK));
        copy(s, 2 * CHUNK, Arrays.copyOfRange(source, (int) CHUNK, (int) (2 * CHUNK)));
        s.markReady();
        byte[] expected = overlay(source, new long[] {CHUNK - 20}, new byte[][] {pattern(40, 1)});
        assertThat(read(s, CHUNK, (int) (2 * CHUNK))).isEqualTo(expected);
    }

    @Test
    void writesAfterTheCopyIsReadyAreNoLongerTracked() {
        Slab s = slab(SIZE);
        s.beginSync(1);
        copy(s, 0, pattern((int) CHUNK, 1));
        s.markReady();
        write(s, 64, pattern(8, 2));
        assertThat(read(s, 64, 8)).isEqualTo(pattern(8, 2));
        // The slab is no longer being copied: a late piece is refused instead of being applied around old writes.
        assertCode(() -> copy(s, 0, pattern(64, 3)), ErrorCode.INVALID_ARGUMENT);
        assertThat(read(s, 0, 8)).isEqualTo(Arrays.copyOfRange(pattern((int) CHUNK, 1), 0, 8));
    }

    @Test
    void zerosOverNeverWrittenChunksAreNotCopied() {
        Slab s = slab(SIZE);
        s.beginSync(1);
        copy(s, 0, new byte[(int) (4 * CHUNK)]);
        assertThat(s.backedBytes()).as("a copy of never-written memory backs nothing").isZero();
        byte[] oneLine = new byte[(int) CHUNK];
        oneLine[(int) CHUNK - 1] = 1;
        copy(s, 4 * CHUNK, oneLine);
        assertThat(s.backedBytes()).isEqualTo(CHUNK);
        s.markReady();
        assertThat(read(s, 4 * CHUNK, (int) CHUNK)).isEqualTo(oneLine);
        assertThat(read(s, 0, (int) (4 * CHUNK))).containsOnly(0);
    }

    @Test
    void copyPieceIsCheckedAgainstTheSlab() {
        Slab s = slab(SIZE);
        assertCode(() -> copy(s, 0, pattern(64, 1)), ErrorCode.INVALID_ARGUMENT); // not being copied
        s.beginSync(1);
        assertCode(() -> copy(s, SIZE - 32, pattern(64, 1)), ErrorCode.OUT_OF_BOUNDS);
        assertCode(() -> copy(s, -64, pattern(64, 1)), ErrorCode.OUT_OF_BOUNDS);
        s.delete();
        assertCode(() -> copy(s, 0, pattern(64, 1)), ErrorCode.NO_SUCH_SLAB);
    }

    @Test
    void concurrentClientWritesAlwaysWinOverTheCopy() throws Exception {
        Slab s = slab(SIZE);
        s.beginSync(1);
        byte[] source = pattern((int) SIZE, 42);
        int lines = (int) (SIZE / 64);
        // The client writes every third line, whole or 8 bytes of it, while the copy runs piece by piece.
        Thread client = Thread.ofPlatform().start(() -> {
            for (int line = 0; line < lines; line += 3) {
                long at = (long) line * 64 + (line % 2 == 0 ? 0 : 24);
                write(s, at, line % 2 == 0 ? pattern(64, line) : pattern(8, line));
            }
        });
        for (long at = 0; at < SIZE; at += 4096) {
            copy(s, at, Arrays.copyOfRange(source, (int) at, (int) at + 4096));
        }
        client.join();
        s.markReady();
        byte[] expected = source.clone();
        for (int line = 0; line < lines; line += 3) {
            byte[] w = line % 2 == 0 ? pattern(64, line) : pattern(8, line);
            System.arraycopy(w, 0, expected, line * 64 + (line % 2 == 0 ? 0 : 24), w.length);
        }
        assertThat(read(s, 0, (int) SIZE)).isEqualTo(expected);
    }

    @Test
    void aFenceAdmitsOnlySessionsThatDeclareTheNewEpoch() {
        Slab s = slab(SIZE);
        // Never fenced: every session writes, and epoch 0 is current.
        s.checkWritable(1);
        assertThat(s.declare(1, 0)).isTrue();
        s.checkWritable(2);

        s.fence(5);
        assertThat(s.epoch()).isEqualTo(5);
        assertCode(() -> s.checkWritable(1), ErrorCode.STALE_MAP);
        assertThat(s.declare(1, 4)).as("an epoch older than the fence").isFalse();
        assertThat(s.declare(1, 0)).isFalse();
        assertCode(() -> s.checkWritable(1), ErrorCode.STALE_MAP);
        assertThat(s.declare(1, 5)).isTrue();
        assertThat(s.declare(1, 5)).as("declaring twice is fine").isTrue();
        s.checkWritable(1);
        assertCode(() -> s.checkWritable(2), ErrorCode.STALE_MAP);
        // A session that knows a later replica set knows every replica this fence was for.
        assertThat(s.declare(3, 7)).isTrue();
        s.checkWritable(3);
        assertThat(s.epoch()).as("declaring does not move the epoch").isEqualTo(5);
        s.checkReadable(); // reads are never fenced

        s.fence(5); // the same fence again
        s.fence(2); // an older one
        assertThat(s.epoch()).isEqualTo(5);
        s.checkWritable(1);

        s.fence(6);
        assertCode(() -> s.checkWritable(1), ErrorCode.STALE_MAP);
        assertThat(s.declare(2, 6)).isTrue();
        s.checkWritable(2);
        assertCode(() -> s.checkWritable(1), ErrorCode.STALE_MAP);
    }

    @Test
    void aDeclarationRacingAFenceNeverAdmitsASessionOfTheOldEpoch() throws Exception {
        Slab s = slab(SIZE);
        int stop = Integer.MAX_VALUE;
        AtomicInteger go = new AtomicInteger(-1);
        AtomicInteger done = new AtomicInteger(-1);
        Thread declarer = Thread.ofPlatform().daemon().start(() -> {
            for (int seen = -1; ; ) {
                int r;
                while ((r = go.get()) == seen) {
                    Thread.onSpinWait();
                }
                if (r == stop) {
                    return;
                }
                s.declare(8, 2L * r + 1); // may come before, during or after the fence below
                done.set(r);
                seen = r;
            }
        });
        int admitted = 0;
        int rounds = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (; rounds < 100_000 && System.nanoTime() < deadline && admitted == 0; rounds++) {
            int r = rounds;
            s.fence(2L * r + 1);
            assertThat(s.declare(7, 2L * r + 1)).isTrue();
            go.set(r);
            s.fence(2L * r + 2);
            while (done.get() != r) {
                Thread.onSpinWait();
            }
            for (int session : new int[] {7, 8}) {
                if (catchThrowable(() -> s.checkWritable(session)) == null) {
                    admitted++;
                }
            }
        }
        go.set(stop);
        declarer.join(5_000);
        assertThat(admitted).as("sessions of epoch 2r+1 that could still write at epoch 2r+2, in " + rounds + " rounds")
                .isZero();
    }
}
