package io.remem.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FrameHeaderTest {

    private static final long REQUEST_ID = 0x0102030405060708L;
    private static final int SESSION = 0x0A0B0C0D;
    private static final long SLAB = 0x1112131415161718L;
    private static final long OFFSET = 0x2122232425262728L;
    private static final int LENGTH = 0x31323334;

    /** A request frame with a 3-byte body, written through Frames. */
    private static ByteBuf sampleRequest() {
        ByteBuf out = Unpooled.buffer();
        int start = Frames.beginRequest(out, Opcode.READ, REQUEST_ID, SESSION, SLAB, OFFSET, LENGTH);
        out.writeBytes(new byte[] {7, 8, 9});
        Frames.finish(out, start);
        return out;
    }

    /** 40 header bytes with every field given explicitly, for the validate() cases. */
    private static ByteBuf rawHeader(int version, int opcode, int flags, int status) {
        ByteBuf b = Unpooled.buffer(Wire.HEADER_BYTES);
        b.writeByte(version);
        b.writeByte(opcode);
        b.writeShort(flags);
        b.writeInt(status);
        b.writeLong(1);
        b.writeInt(2);
        b.writeLong(3);
        b.writeLong(4);
        b.writeInt(5);
        return b;
    }

    @Test
    void requestIsLaidOutBigEndianExactlyAsDocumented() {
        ByteBuf frame = sampleRequest();
        String expected = ""
                + "0000002b"           // length: 40 header + 3 body
                + "03"                 // version: Wire.VERSION
                + "10"                 // READ
                + "0000"               // flags
                + "00000000"           // status
                + "0102030405060708"   // request id
                + "0a0b0c0d"           // session
                + "1112131415161718"   // slab id
                + "2122232425262728"   // offset
                + "31323334"           // length field
                + "070809";            // body
        assertThat(ByteBufUtil.hexDump(frame)).isEqualTo(expected);
    }

    @Test
    void lengthPrefixCountsHeaderAndBodyButNotItself() {
        ByteBuf frame = sampleRequest();
        assertThat(frame.readableBytes()).isEqualTo(4 + 40 + 3);
        assertThat(frame.getInt(0)).isEqualTo(40 + 3);
    }

    @Test
    void finishPatchesTheFrameThatStartsMidBuffer() {
        ByteBuf out = Unpooled.buffer();
        out.writeBytes(new byte[] {(byte) 0xEE, (byte) 0xEE, (byte) 0xEE});
        int start = Frames.beginRequest(out, Opcode.PING, 1, 0, 0, 0, 0);
        out.writeBytes(new byte[10]);
        Frames.finish(out, start);
        assertThat(start).isEqualTo(3);
        assertThat(out.getInt(3)).isEqualTo(50);
        assertThat(out.getByte(0)).isEqualTo((byte) 0xEE);
        assertThat(out.getByte(2)).isEqualTo((byte) 0xEE);
    }

    @Test
    void readFromByteBufReturnsEveryFieldAndLeavesReaderAtBody() {
        ByteBuf frame = sampleRequest();
        frame.skipBytes(4);
        FrameHeader h = new FrameHeader().read(frame).validate();
        assertThat(h.version()).isEqualTo(Wire.VERSION);
        assertThat(h.opcode()).isEqualTo(Opcode.READ);
        assertThat(h.opcodeCode()).isEqualTo(0x10);
        assertThat(h.isResponse()).isFalse();
        assertThat(h.status()).isZero();
        assertThat(h.requestId()).isEqualTo(REQUEST_ID);
        assertThat(h.session()).isEqualTo(SESSION);
        assertThat(h.slabId()).isEqualTo(SLAB);
        assertThat(h.offset()).isEqualTo(OFFSET);
        assertThat(h.length()).isEqualTo(LENGTH);
        assertThat(frame.readableBytes()).isEqualTo(3);
        assertThat(frame.readByte()).isEqualTo((byte) 7);
    }

    @Test
    void readFromNioBufferReturnsTheSameFields() {
        ByteBuf frame = sampleRequest();
        ByteBuffer nio = ByteBuffer.allocate(Wire.HEADER_BYTES);
        frame.getBytes(4, nio);
        nio.flip();
        FrameHeader h = new FrameHeader().read(nio).validate();
        assertThat(h.version()).isEqualTo(Wire.VERSION);
        assertThat(h.opcode()).isEqualTo(Opcode.READ);
        assertThat(h.isResponse()).isFalse();
        assertThat(h.status()).isZero();
        assertThat(h.requestId()).isEqualTo(REQUEST_ID);
        assertThat(h.session()).isEqualTo(SESSION);
        assertThat(h.slabId()).isEqualTo(SLAB);
        assertThat(h.offset()).isEqualTo(OFFSET);
        assertThat(h.length()).isEqualTo(LENGTH);
    }

    @Test
    void readFromNioBufferHonoursItsPosition() {
        ByteBuf frame = sampleRequest();
        ByteBuffer nio = ByteBuffer.allocate(5 + Wire.HEADER_BYTES);
        nio.put(new byte[] {9, 9, 9, 9, 9});
        frame.getBytes(4, nio);
        nio.flip();
        nio.position(5);
        FrameHeader h = new FrameHeader().read(nio).validate();
        assertThat(h.version()).isEqualTo(Wire.VERSION);
        assertThat(h.opcode()).isEqualTo(Opcode.READ);
        assertThat(h.isResponse()).isFalse();
        assertThat(h.status()).isZero();
        assertThat(h.requestId()).isEqualTo(REQUEST_ID);
        assertThat(h.session()).isEqualTo(SESSION);
        assertThat(h.slabId()).isEqualTo(SLAB);
        assertThat(h.offset()).isEqualTo(OFFSET);
        assertThat(h.length()).isEqualTo(LENGTH);
    }

    @Test
    void flyweightIsFullyRefilledByTheNextFrame() {
        FrameHeader h = new FrameHeader();
        ByteBuf first = sampleRequest().skipBytes(4);
        h.read(first);
        ByteBuf second = Unpooled.buffer();
        Frames.beginResponse(second, Opcode.PING.code(), 99, 0, 0, 0, 0);
        h.read(second.skipBytes(4)).validate();
        assertThat(h.opcode()).isEqualTo(Opcode.PING);
        assertThat(h.isResponse()).isTrue();
        assertThat(h.requestId()).isEqualTo(99);
        assertThat(h.session()).isZero();
        assertThat(h.slabId()).isZero();
        assertThat(h.offset()).isZero();
        assertThat(h.length()).isZero();
    }

    @Test
    void beginResponseEchoesTheRequestAndSetsTheResponseFlag() {
        FrameHeader request = new FrameHeader().read(sampleRequest().skipBytes(4));
        ByteBuf out = Unpooled.buffer();
        int start = Frames.beginResponse(out, request, 5, 6, 7);
        Frames.finish(out, start);
        assertThat(out.getInt(0)).isEqualTo(40);
        FrameHeader h = new FrameHeader().read(out.skipBytes(4)).validate();
        assertThat(h.isResponse()).isTrue();
        assertThat(h.opcode()).isEqualTo(Opcode.READ);
        assertThat(h.status()).isZero();
        assertThat(h.requestId()).isEqualTo(REQUEST_ID);
        assertThat(h.session()).isEqualTo(SESSION);
        assertThat(h.slabId()).isEqualTo(5);
        assertThat(h.offset()).isEqualTo(6);
        assertThat(h.length()).isEqualTo(7);
    }

    @Test
    void validateAcceptsAWellFormedRequestAndResponse() {
        new FrameHeader().read(rawHeader(Wire.VERSION, 0x01, 0, 0)).validate();
        new FrameHeader().read(rawHeader(Wire.VERSION, 0x01, Wire.FLAG_RESPONSE, ErrorCode.NO_SUCH_SLAB.code())).validate();
    }

    @Test
    void validateRejectsAnotherVersion() {
        FrameHeader h = new FrameHeader().read(rawHeader(Wire.VERSION + 1, 0x01, 0, 0));
        assertThat(h.version()).isEqualTo(Wire.VERSION + 1);
        assertThatThrownBy(h::validate)
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION));
    }

    @Test
    void validateRejectsVersionZero() {
        FrameHeader h = new FrameHeader().read(rawHeader(0, 0x01, 0, 0));
        assertThatThrownBy(h::validate)
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION));
    }

    @Test
    void unknownOpcodeIsReadAsNullAndRejectedByValidate() {
        FrameHeader h = new FrameHeader().read(rawHeader(Wire.VERSION, 0xFE, 0, 0));
        assertThat(h.opcode()).isNull();
        assertThat(h.opcodeCode()).isEqualTo(0xFE);
        // The request id is still available, so the error can be answered.
        assertThat(h.requestId()).isEqualTo(1);
        assertThatThrownBy(h::validate)
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_OPCODE);
                    assertThat(e.detail()).contains("0xfe");
                });
    }

    @Test
    void validateRejectsUnknownFlagBits() {
        for (int flags : new int[] {0x4, 0x5, 0x6, 0x7, 0x8, 0x100, 0x8000, 0x8002, 0xFFFC, 0xFFFF}) {
            FrameHeader h = new FrameHeader().read(rawHeader(Wire.VERSION, 0x02, flags, 0));
            assertThatThrownBy(h::validate)
                    .as("flags 0x%x", flags)
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        }
    }

    @Test
    void aRequestWithTheRetryFlagValidatesAndIsARetry() {
        for (int op : new int[] {Opcode.WRITEV.code(), Opcode.CAS.code(), Opcode.FAA.code()}) {
            FrameHeader h = new FrameHeader().read(rawHeader(Wire.VERSION, op, Wire.FLAG_RETRY, 0)).validate();
            assertThat(h.isRetry()).as("op 0x%x", op).isTrue();
            assertThat(h.isResponse()).as("op 0x%x", op).isFalse();
            assertThat(h.opcodeCode()).isEqualTo(op);
            assertThat(h.requestId()).isEqualTo(1);
            assertThat(h.session()).isEqualTo(2);
            assertThat(h.slabId()).isEqualTo(3);
            assertThat(h.offset()).isEqualTo(4);
            assertThat(h.length()).isEqualTo(5);
        }
    }

    @Test
    void retryFlagIsBitOneOfTheFlagsField() {
        assertThat(Wire.FLAG_RESPONSE).isEqualTo(1);
        assertThat(Wire.FLAG_RETRY).isEqualTo(2);
        ByteBuf b = rawHeader(Wire.VERSION, Opcode.WRITEV.code(), 0, 0);
        b.setShort(2, 0x0002);
        assertThat(new FrameHeader().read(b).validate().isRetry()).isTrue();
    }

    @Test
    void aRetryIsStillARequestSoItMustNotCarryAStatus() {
        FrameHeader h = new FrameHeader().read(rawHeader(Wire.VERSION, Opcode.CAS.code(), Wire.FLAG_RETRY, 7));
        assertThat(h.isRetry()).isTrue();
        assertThatThrownBy(h::validate)
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    @Test
    void framesWithoutTheRetryFlagAreNotRetries() {
        assertThat(new FrameHeader().read(rawHeader(Wire.VERSION, 0x02, 0, 0)).validate().isRetry()).isFalse();
        FrameHeader response = new FrameHeader()
                .read(rawHeader(Wire.VERSION, 0x02, Wire.FLAG_RESPONSE, ErrorCode.STALE_MAP.code())).validate();
        assertThat(response.isResponse()).isTrue();
        assertThat(response.isRetry()).isFalse();
        assertThat(ErrorCode.ofCode(response.status())).isEqualTo(ErrorCode.STALE_MAP);
        assertThat(new FrameHeader().read(sampleRequest().skipBytes(4)).validate().isRetry()).isFalse();
    }

    @Test
    void theFlyweightForgetsTheRetryFlagOfThePreviousFrame() {
        FrameHeader h = new FrameHeader();
        h.read(rawHeader(Wire.VERSION, Opcode.WRITEV.code(), Wire.FLAG_RETRY, 0)).validate();
        assertThat(h.isRetry()).isTrue();
        h.read(rawHeader(Wire.VERSION, Opcode.WRITEV.code(), 0, 0)).validate();
        assertThat(h.isRetry()).isFalse();
        ByteBuffer nio = ByteBuffer.allocate(Wire.HEADER_BYTES);
        rawHeader(Wire.VERSION, Opcode.FAA.code(), Wire.FLAG_RETRY, 0).getBytes(0, nio);
        nio.flip();
        assertThat(h.read(nio).validate().isRetry()).isTrue();
    }

    @Test
    void responseOnlyFlagCombinationsStillValidate() {
        for (int status : new int[] {0, ErrorCode.NO_SUCH_SLAB.code(), ErrorCode.STALE_MAP.code(),
                ErrorCode.REPLICA_NOT_READY.code()}) {
            FrameHeader h = new FrameHeader().read(rawHeader(Wire.VERSION, Opcode.READ.code(), Wire.FLAG_RESPONSE, status)).validate();
            assertThat(h.isResponse()).isTrue();
            assertThat(h.isRetry()).isFalse();
            assertThat(h.status()).isEqualTo(status);
        }
        ByteBuf out = Unpooled.buffer();
        Frames.writeError(out, Opcode.SLAB_EPOCH.code(), 4, 5, ErrorCode.REPLICA_NOT_READY, "copying");
        FrameHeader error = new FrameHeader().read(out.skipBytes(4)).validate();
        assertThat(error.isResponse()).isTrue();
        assertThat(error.isRetry()).isFalse();
        assertThat(error.opcode()).isEqualTo(Opcode.SLAB_EPOCH);
        assertThat(ErrorCode.ofCode(error.status())).isEqualTo(ErrorCode.REPLICA_NOT_READY);
    }

    @Test
    void validateRejectsAResponseThatCarriesTheRetryFlag() {
        int flags = Wire.FLAG_RESPONSE | Wire.FLAG_RETRY;
        assertThat(flags).isEqualTo(0x3);
        for (int op : new int[] {Opcode.WRITEV.code(), Opcode.CAS.code(), Opcode.FAA.code(), Opcode.READ.code()}) {
            for (int status : new int[] {0, ErrorCode.NO_SUCH_SLAB.code(), ErrorCode.STALE_MAP.code()}) {
                FrameHeader h = new FrameHeader().read(rawHeader(Wire.VERSION, op, flags, status));
                // Both bits are read as they are, so the error can still be attributed to the frame.
                assertThat(h.isResponse()).isTrue();
                assertThat(h.isRetry()).isTrue();
                assertThat(h.requestId()).isEqualTo(1);
                assertThatThrownBy(h::validate)
                        .as("op 0x%x status %d", op, status)
                        .isInstanceOfSatisfying(RememException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
            }
        }
        // The same through the NIO read path.
        ByteBuffer nio = ByteBuffer.allocate(Wire.HEADER_BYTES);
        rawHeader(Wire.VERSION, Opcode.CAS.code(), flags, 0).getBytes(0, nio);
        nio.flip();
        FrameHeader h = new FrameHeader().read(nio);
        assertThatThrownBy(h::validate)
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    @Test
    void validateRejectsARequestThatCarriesAStatus() {
        FrameHeader h = new FrameHeader().read(rawHeader(Wire.VERSION, 0x02, 0, 7));
        assertThatThrownBy(h::validate)
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    @Test
    void readRejectsAByteBufShorterThanAHeader() {
        ByteBuf shortFrame = rawHeader(Wire.VERSION, 1, 0, 0).writerIndex(Wire.HEADER_BYTES - 1);
        assertThatThrownBy(() -> new FrameHeader().read(shortFrame))
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        assertThatThrownBy(() -> new FrameHeader().read(Unpooled.EMPTY_BUFFER))
                .isInstanceOf(RememException.class);
    }

    @Test
    void readRejectsANioBufferShorterThanAHeader() {
        ByteBuffer nio = ByteBuffer.allocate(Wire.HEADER_BYTES - 1);
        assertThatThrownBy(() -> new FrameHeader().read(nio))
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    @Test
    void writeErrorProducesAResponseWithStatusAndMessageBody() {
        ByteBuf out = Unpooled.buffer();
        Frames.writeError(out, Opcode.SLAB_ALLOC.code(), 42, 3, ErrorCode.QUOTA_EXCEEDED, "tenant über quota");
        int prefix = out.readInt();
        assertThat(prefix).isEqualTo(out.readableBytes());
        FrameHeader h = new FrameHeader().read(out).validate();
        assertThat(h.isResponse()).isTrue();
        assertThat(h.opcode()).isEqualTo(Opcode.SLAB_ALLOC);
        assertThat(h.status()).isEqualTo(11);
        assertThat(ErrorCode.ofCode(h.status())).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
        assertThat(h.requestId()).isEqualTo(42);
        assertThat(h.session()).isEqualTo(3);
        // Body: u16 byte count, then UTF-8.
        byte[] utf8 = "tenant über quota".getBytes(StandardCharsets.UTF_8);
        assertThat(out.readUnsignedShort()).isEqualTo(utf8.length);
        byte[] body = new byte[out.readableBytes()];
        out.readBytes(body);
        assertThat(body).isEqualTo(utf8);
    }

    @Test
    void writeErrorWithNullMessageSendsAnEmptyString() {
        ByteBuf out = Unpooled.buffer();
        Frames.writeError(out, Opcode.PING.code(), 1, 0, ErrorCode.INTERNAL, null);
        out.skipBytes(4);
        new FrameHeader().read(out);
        assertThat(Bodies.readString(out, "message")).isEmpty();
        Bodies.expectEnd(out, "error");
    }

    @Test
    void writeErrorTruncatesAHugeMessageToAStringThatFits() {
        String huge = "€".repeat(10_000); // 3 UTF-8 bytes each
        ByteBuf out = Unpooled.buffer();
        Frames.writeError(out, Opcode.PING.code(), 1, 0, ErrorCode.INTERNAL, huge);
        out.skipBytes(4);
        new FrameHeader().read(out).validate();
        String message = Bodies.readString(out, "message");
        assertThat(message).isNotEmpty().matches("€+");
        assertThat(message.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Wire.MAX_STRING_BYTES);
        Bodies.expectEnd(out, "error");
    }

    @Test
    void writeErrorTruncationNeverSplitsASurrogatePair() {
        // The cut falls between the two chars of the emoji; the peer must receive a prefix of the message,
        // not a replacement character that was never in it.
        String message = "a".repeat(Wire.MAX_STRING_BYTES / 4 - 1) + "😀" + " and more";
        ByteBuf out = Unpooled.buffer();
        Frames.writeError(out, Opcode.PING.code(), 1, 0, ErrorCode.INTERNAL, message);
        out.skipBytes(4);
        new FrameHeader().read(out);
        String received = Bodies.readString(out, "message");
        assertThat(message.startsWith(received))
                .as("received message ends in '%s', expected a prefix of the original", received.substring(received.length() - 3))
                .isTrue();
    }

    @Test
    void finishAcceptsTheLargestFrameAndRejectsOneByteMoreWithTooLarge() {
        ByteBuf out = Unpooled.buffer(Wire.FRAME_OVERHEAD + Wire.MAX_BODY_BYTES + 1);
        int start = Frames.beginRequest(out, Opcode.WRITEV, 1, 1, 0, 0, 0);
        out.writerIndex(out.writerIndex() + Wire.MAX_BODY_BYTES);
        Frames.finish(out, start);
        assertThat(out.getInt(start)).isEqualTo(40 + (16 << 20));

        out.writerIndex(out.writerIndex() + 1);
        assertThatThrownBy(() -> Frames.finish(out, start))
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
    }

    @Test
    void writeRequestHeaderMatchesBeginRequestByteForByte() {
        ByteBuf viaNetty = Unpooled.buffer();
        int start = Frames.beginRequest(viaNetty, Opcode.CAS, REQUEST_ID, SESSION, SLAB, OFFSET, LENGTH);
        viaNetty.writeBytes(new byte[17]);
        Frames.finish(viaNetty, start);

        ByteBuffer viaNio = ByteBuffer.allocate(Wire.FRAME_OVERHEAD);
        Frames.writeRequestHeader(viaNio, Opcode.CAS, REQUEST_ID, SESSION, SLAB, OFFSET, LENGTH, 17);
        assertThat(viaNio.position()).isEqualTo(Wire.FRAME_OVERHEAD);

        byte[] expected = new byte[Wire.FRAME_OVERHEAD];
        viaNetty.getBytes(0, expected);
        assertThat(viaNio.array()).isEqualTo(expected);
    }

    @Test
    void writeRequestHeaderWithoutFlagsIsTheFlagsOverloadWithZero() {
        ByteBuffer plain = ByteBuffer.allocate(Wire.FRAME_OVERHEAD);
        Frames.writeRequestHeader(plain, Opcode.WRITEV, REQUEST_ID, SESSION, SLAB, OFFSET, LENGTH, 9);
        ByteBuffer zero = ByteBuffer.allocate(Wire.FRAME_OVERHEAD);
        Frames.writeRequestHeader(zero, Opcode.WRITEV, 0, REQUEST_ID, SESSION, SLAB, OFFSET, LENGTH, 9);
        assertThat(zero.array()).isEqualTo(plain.array());
    }

    @Test
    void writeRequestHeaderWithFlagsMatchesBeginRequestApartFromTheFlagsField() {
        for (Opcode op : new Opcode[] {Opcode.WRITEV, Opcode.CAS, Opcode.FAA}) {
            ByteBuf viaNetty = Unpooled.buffer();
            int start = Frames.beginRequest(viaNetty, op, REQUEST_ID, SESSION, SLAB, OFFSET, LENGTH);
            viaNetty.writeBytes(new byte[24]);
            Frames.finish(viaNetty, start);
            byte[] expected = new byte[Wire.FRAME_OVERHEAD];
            viaNetty.getBytes(0, expected);

            ByteBuffer viaNio = ByteBuffer.allocate(Wire.FRAME_OVERHEAD);
            Frames.writeRequestHeader(viaNio, op, Wire.FLAG_RETRY, REQUEST_ID, SESSION, SLAB, OFFSET, LENGTH, 24);
            assertThat(viaNio.position()).isEqualTo(Wire.FRAME_OVERHEAD);
            byte[] actual = viaNio.array();

            // The flags field (u16 after the length prefix, version and opcode) is 0x0002; all else is identical.
            int flagsAt = Wire.LENGTH_FIELD_BYTES + 2;
            assertThat(actual[flagsAt]).isZero();
            assertThat(actual[flagsAt + 1]).isEqualTo((byte) 0x02);
            expected[flagsAt + 1] = 0x02;
            assertThat(actual).as("%s", op).isEqualTo(expected);

            FrameHeader h = new FrameHeader().read(ByteBuffer.wrap(actual, Wire.LENGTH_FIELD_BYTES, Wire.HEADER_BYTES))
                    .validate();
            assertThat(h.opcode()).isEqualTo(op);
            assertThat(h.isRetry()).isTrue();
            assertThat(h.isResponse()).isFalse();
            assertThat(h.status()).isZero();
            assertThat(h.requestId()).isEqualTo(REQUEST_ID);
            assertThat(h.session()).isEqualTo(SESSION);
            assertThat(h.slabId()).isEqualTo(SLAB);
            assertThat(h.offset()).isEqualTo(OFFSET);
            assertThat(h.length()).isEqualTo(LENGTH);
        }
    }

    @Test
    void writeRequestHeaderWithRetryIsLaidOutExactlyAsDocumented() {
        ByteBuffer out = ByteBuffer.allocate(Wire.FRAME_OVERHEAD);
        Frames.writeRequestHeader(out, Opcode.CAS, Wire.FLAG_RETRY, REQUEST_ID, SESSION, SLAB, OFFSET, LENGTH, 24);
        String expected = ""
                + "00000040"           // length: 40 header + 24 body
                + "03"                 // version: Wire.VERSION
                + "12"                 // CAS
                + "0002"               // flags: retry
                + "00000000"           // status
                + "0102030405060708"   // request id
                + "0a0b0c0d"           // session
                + "1112131415161718"   // slab id
                + "2122232425262728"   // offset
                + "31323334";          // length field
        assertThat(ByteBufUtil.hexDump(out.array())).isEqualTo(expected);
    }
}
