package io.remem.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WriteRunReaderTest {

    record Run(long slabId, long offset, byte[] data) {}

    private static ByteBuf body(List<Run> runs) {
        ByteBuf b = Unpooled.buffer();
        for (Run r : runs) {
            WriteRunReader.writeRunHeader(b, r.slabId(), r.offset(), r.data().length);
            b.writeBytes(r.data());
        }
        return b;
    }

    private static final List<Run> THREE_RUNS = List.of(
            new Run(3, 0, new byte[] {1, 2, 3, 4}),
            new Run(3, 4096, new byte[0]),
            new Run(Long.MAX_VALUE, Long.MAX_VALUE, new byte[] {(byte) 0xAB, (byte) 0xCD}));

    private static void assertMalformed(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(RememException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    private static void walkAndCheck(WriteRunReader reader, List<Run> expected) {
        for (int i = 0; i < expected.size(); i++) {
            Run run = expected.get(i);
            assertThat(reader.next()).as("run %d present", i).isTrue();
            assertThat(reader.slabId()).as("run %d slab", i).isEqualTo(run.slabId());
            assertThat(reader.offset()).as("run %d offset", i).isEqualTo(run.offset());
            assertThat(reader.length()).as("run %d length", i).isEqualTo(run.data().length);
            byte[] data = new byte[reader.length()];
            reader.body().getBytes(reader.dataIndex(), data);
            assertThat(data).as("run %d data", i).isEqualTo(run.data());
        }
        assertThat(reader.next()).isFalse();
    }

    @Test
    void runHeaderIsSlabOffsetLengthBigEndian() {
        ByteBuf b = Unpooled.buffer();
        WriteRunReader.writeRunHeader(b, 1, 2, 3);
        assertThat(b.readableBytes()).isEqualTo(Wire.WRITE_RUN_HEADER_BYTES);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0000000000000001" + "0000000000000002" + "00000003");
    }

    @Test
    void walksEveryRunExactly() {
        ByteBuf b = body(THREE_RUNS);
        walkAndCheck(new WriteRunReader().reset(b, 3), THREE_RUNS);
    }

    @Test
    void dataIndexIsAbsoluteInTheBodyBuffer() {
        ByteBuf b = Unpooled.buffer();
        b.writeBytes(new byte[44]); // a frame header and prefix before the body
        b.readerIndex(44);
        WriteRunReader.writeRunHeader(b, 1, 0, 2);
        b.writeBytes(new byte[] {5, 6});
        WriteRunReader reader = new WriteRunReader().reset(b, 1);
        assertThat(reader.next()).isTrue();
        assertThat(reader.dataIndex()).isEqualTo(44 + 20);
        assertThat(b.getByte(reader.dataIndex())).isEqualTo((byte) 5);
    }

    @Test
    void rewindWalksTheSameRunsAgain() {
        ByteBuf b = body(THREE_RUNS);
        WriteRunReader reader = new WriteRunReader().reset(b, 3);
        walkAndCheck(reader, THREE_RUNS);
        reader.rewind();
        walkAndCheck(reader, THREE_RUNS);
    }

    @Test
    void rewindFromTheMiddleRestartsAtTheFirstRun() {
        ByteBuf b = body(THREE_RUNS);
        WriteRunReader reader = new WriteRunReader().reset(b, 3);
        assertThat(reader.next()).isTrue();
        assertThat(reader.next()).isTrue();
        reader.rewind();
        walkAndCheck(reader, THREE_RUNS);
    }

    @Test
    void readerIsReusableForAnotherBody() {
        WriteRunReader reader = new WriteRunReader();
        walkAndCheck(reader.reset(body(THREE_RUNS), 3), THREE_RUNS);
        List<Run> other = List.of(new Run(9, 8, new byte[] {7}));
        walkAndCheck(reader.reset(body(other), 1), other);
    }

    @Test
    void randomRunsWalkBackExactly() {
        SplittableRandom r = new SplittableRandom(7);
        WriteRunReader reader = new WriteRunReader();
        for (int iteration = 0; iteration < 200; iteration++) {
            List<Run> runs = new ArrayList<>();
            for (int i = r.nextInt(20); i > 0; i--) {
                byte[] data = new byte[r.nextInt(100)];
                r.nextBytes(data);
                runs.add(new Run(r.nextLong(Long.MAX_VALUE), r.nextLong(Long.MAX_VALUE), data));
            }
            reader.reset(body(runs), runs.size());
            walkAndCheck(reader, runs);
        }
    }

    @Test
    void zeroRunsInAnEmptyBodyIsFine() {
        assertThat(new WriteRunReader().reset(Unpooled.EMPTY_BUFFER, 0).next()).isFalse();
    }

    @Test
    void negativeRunLengthIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        WriteRunReader.writeRunHeader(b, 1, 0, -1);
        b.writeBytes(new byte[8]);
        WriteRunReader reader = new WriteRunReader().reset(b, 1);
        assertMalformed(reader::next);
    }

    @Test
    void negativeSlabIdOrOffsetIsMalformed() {
        ByteBuf slab = Unpooled.buffer();
        WriteRunReader.writeRunHeader(slab, -1, 0, 0);
        assertMalformed(new WriteRunReader().reset(slab, 1)::next);
        ByteBuf offset = Unpooled.buffer();
        WriteRunReader.writeRunHeader(offset, 0, Long.MIN_VALUE, 0);
        assertMalformed(new WriteRunReader().reset(offset, 1)::next);
    }

    @Test
    void runWhoseDataIsTruncatedIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        WriteRunReader.writeRunHeader(b, 1, 0, 10);
        b.writeBytes(new byte[9]);
        WriteRunReader reader = new WriteRunReader().reset(b, 1);
        assertThatThrownBy(reader::next).isInstanceOfSatisfying(RememException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.detail()).contains("writev.run.data");
        });
    }

    @Test
    void runWhoseHeaderIsTruncatedIsMalformed() {
        ByteBuf b = body(THREE_RUNS);
        ByteBuf cut = b.copy(0, 4 + 20 + 10); // first run complete, second header cut
        WriteRunReader reader = new WriteRunReader().reset(cut, 3);
        assertThat(reader.next()).isTrue();
        assertMalformed(reader::next);
    }

    @Test
    void fewerRunsThanTheCountIsMalformed() {
        ByteBuf b = body(THREE_RUNS);
        WriteRunReader reader = new WriteRunReader().reset(b, 4);
        for (int i = 0; i < 3; i++) {
            assertThat(reader.next()).isTrue();
        }
        assertMalformed(reader::next);
    }

    @Test
    void trailingBytesAfterTheLastRunAreMalformed() {
        ByteBuf b = body(THREE_RUNS);
        b.writeByte(0);
        WriteRunReader reader = new WriteRunReader().reset(b, 3);
        for (int i = 0; i < 3; i++) {
            assertThat(reader.next()).isTrue();
        }
        assertMalformed(reader::next);
    }

    @Test
    void moreRunsThanTheCountAreMalformed() {
        ByteBuf b = body(THREE_RUNS);
        WriteRunReader reader = new WriteRunReader().reset(b, 2);
        assertThat(reader.next()).isTrue();
        assertThat(reader.next()).isTrue();
        assertMalformed(reader::next);
    }

    @Test
    void runCountAboveTheLimitOrNegativeIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        new WriteRunReader().reset(b, Wire.MAX_WRITE_RUNS); // the limit itself is allowed
        assertMalformed(() -> new WriteRunReader().reset(b, Wire.MAX_WRITE_RUNS + 1));
        assertMalformed(() -> new WriteRunReader().reset(b, -1));
    }

    @Test
    void withChecksumsARunCarriesItsCrcAndAMismatchIsRefusedBeforeTheCallerSeesIt() {
        byte[] data = {1, 2, 3, 4, 5};
        CRC32C crc = new CRC32C();
        crc.update(data);
        ByteBuf good = Unpooled.buffer();
        WriteRunReader.writeRunHeader(good, 3, 64, data.length, (int) crc.getValue());
        good.writeBytes(data);
        WriteRunReader r = new WriteRunReader().reset(good, 1, true);
        assertThat(r.next()).isTrue();
        assertThat(r.slabId()).isEqualTo(3);
        assertThat(r.length()).isEqualTo(5);
        assertThat(r.next()).isFalse();

        ByteBuf bad = Unpooled.buffer();
        WriteRunReader.writeRunHeader(bad, 3, 64, data.length, (int) crc.getValue() ^ 1);
        bad.writeBytes(data);
        WriteRunReader rb = new WriteRunReader().reset(bad, 1, true);
        assertThatThrownBy(rb::next).isInstanceOfSatisfying(RememException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH));
    }
}
