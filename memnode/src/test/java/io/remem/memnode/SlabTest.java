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
import java.util.concurrent.TimeUnit;

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
        long v = java.nio.ByteBuffer.wrap(read(s, 64, 8)).order(java.nio.ByteOrder.nativeOrder()).getLong();
        assertThat(v).isEqualTo(-5);
    }

    @Test
    void atomicsSeeWrittenData() {
        Slab s = slab(SIZE);
        byte[] word = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.nativeOrder()).putLong(1234).array();
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
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
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
}
