package io.remem.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.remem.protocol.FuzzSupport.fail;

/**
 * {@link FrameHeader#read(ByteBuf)} and {@link FrameHeader#validate()} on arbitrary bytes: the input is the frame after
 * its length prefix. Seeds: {@code FrameHeaderFuzzTestInputs/header/}.
 */
class FrameHeaderFuzzTest {
    /** A connection reuses one header for every frame: so does the fuzzer, to catch state kept from an earlier frame. */
    private static final FrameHeader REUSED = new FrameHeader();

    @FuzzTest(maxDuration = "10s")
    void header(byte[] frame) {
        FuzzSupport.Outcome<FrameHeader> read = FuzzSupport.decode("frameHeader.read", frame, b -> new FrameHeader().read(b));
        if (!read.accepted()) {
            if (frame.length >= Wire.HEADER_BYTES) {
                throw fail("frameHeader.read", frame, "refused a frame of a whole header: " + read.refusal());
            }
            return;
        }
        if (frame.length < Wire.HEADER_BYTES) {
            throw fail("frameHeader.read", frame, "accepted a frame shorter than a header");
        }
        if (read.consumed() != Wire.HEADER_BYTES) {
            throw fail("frameHeader.read", frame, "left the reader index at " + read.consumed() + ", not at the body");
        }
        FrameHeader h = read.value();
        String described = h.toString(); // for the log of a frame that fails validation: must never throw
        if (described.isEmpty()) {
            throw fail("frameHeader.toString", frame, "empty");
        }

        // The NIO variant reads the same fields, and so does the reused flyweight.
        FrameHeader nio = new FrameHeader().read(ByteBuffer.wrap(frame));
        FrameHeader reused = REUSED.read(Unpooled.wrappedBuffer(frame));
        for (FrameHeader other : new FrameHeader[] {nio, reused}) {
            if (!sameFields(h, other)) {
                throw fail("frameHeader", frame, "two reads disagree: " + h + " and " + other);
            }
        }

        FuzzSupport.Outcome<FrameHeader> valid = FuzzSupport.decode("frameHeader.validate", frame,
                b -> new FrameHeader().read(b).validate());
        if (!valid.accepted()) {
            return;
        }
        if (h.version() != Wire.VERSION || h.opcode() == null || h.opcode().code() != h.opcodeCode()) {
            throw fail("frameHeader.validate", frame, "accepted " + h);
        }
        if (!h.isResponse() && h.status() != 0) {
            throw fail("frameHeader.validate", frame, "accepted a request with a status: " + h);
        }
        byte[] encoded = encode(h);
        byte[] header = Arrays.copyOf(frame, Wire.HEADER_BYTES);
        if (!Arrays.equals(encoded, header)) {
            throw fail("frameHeader", frame, "not canonical: " + h + " is written as " + FuzzSupport.hex(encoded));
        }
    }

    private static boolean sameFields(FrameHeader a, FrameHeader b) {
        return a.version() == b.version() && a.opcodeCode() == b.opcodeCode() && a.opcode() == b.opcode()
                && a.isResponse() == b.isResponse() && a.isRetry() == b.isRetry() && a.status() == b.status()
                && a.requestId() == b.requestId() && a.session() == b.session() && a.slabId() == b.slabId()
                && a.offset() == b.offset() && a.length() == b.length();
    }

    /** The header as {@link Frames} writes it, without the length prefix. */
    private static byte[] encode(FrameHeader h) {
        if (h.isResponse()) {
            ByteBuf out = Unpooled.buffer(Wire.FRAME_OVERHEAD);
            int start = Frames.beginResponse(out, h, h.slabId(), h.offset(), h.length());
            // Frames writes a status only with an error message after it: set it in place.
            out.setInt(start + Wire.LENGTH_FIELD_BYTES + Wire.OFF_STATUS, h.status());
            return Arrays.copyOfRange(ByteBufUtil.getBytes(out), Wire.LENGTH_FIELD_BYTES, Wire.FRAME_OVERHEAD);
        }
        ByteBuffer out = ByteBuffer.allocate(Wire.FRAME_OVERHEAD);
        int flags = h.isRetry() ? Wire.FLAG_RETRY : 0;
        Frames.writeRequestHeader(out, h.opcode(), flags, h.requestId(), h.session(), h.slabId(), h.offset(), h.length(), 0);
        return Arrays.copyOfRange(out.array(), Wire.LENGTH_FIELD_BYTES, Wire.FRAME_OVERHEAD);
    }
}
