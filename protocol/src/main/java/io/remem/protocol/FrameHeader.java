package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reusable view of one frame's header (a flyweight: one instance per connection, refilled per frame).
 * {@link #read} takes the raw fields first, so that even a frame that fails {@link #validate()} can be
 * answered with its own request id.
 */
public final class FrameHeader {
    private int version;
    private int opcodeCode;
    private Opcode opcode;
    private int flags;
    private int status;
    private long requestId;
    private int session;
    private long slabId;
    private long offset;
    private int length;

    /**
     * Reads the header at the reader index of {@code frame} (the bytes after the length prefix) and leaves the
     * reader index at the body.
     *
     * @throws RememException if the frame is shorter than a header
     */
    public FrameHeader read(ByteBuf frame) {
        if (frame.readableBytes() < Wire.HEADER_BYTES) {
            throw RememException.malformed(
                    "frame of " + frame.readableBytes() + " bytes is shorter than the " + Wire.HEADER_BYTES + "-byte header");
        }
        version = frame.readUnsignedByte();
        opcodeCode = frame.readUnsignedByte();
        opcode = Opcode.ofCode(opcodeCode);
        flags = frame.readUnsignedShort();
        status = frame.readInt();
        requestId = frame.readLong();
        session = frame.readInt();
        slabId = frame.readLong();
        offset = frame.readLong();
        length = frame.readInt();
        return this;
    }

    /**
     * Reads the header from {@code header}, which holds exactly the {@link Wire#HEADER_BYTES} after the length
     * prefix (for transports that read into NIO buffers).
     */
    public FrameHeader read(ByteBuffer header) {
        if (header.order() != ByteOrder.BIG_ENDIAN) {
            throw new IllegalArgumentException("frame headers are big-endian; the buffer is " + header.order());
        }
        if (header.remaining() < Wire.HEADER_BYTES) {
            throw RememException.malformed("header of " + header.remaining() + " bytes is shorter than " + Wire.HEADER_BYTES);
        }
        int p = header.position();
        version = header.get(p + Wire.OFF_VERSION) & 0xFF;
        opcodeCode = header.get(p + Wire.OFF_OPCODE) & 0xFF;
        opcode = Opcode.ofCode(opcodeCode);
        flags = header.getShort(p + Wire.OFF_FLAGS) & 0xFFFF;
        status = header.getInt(p + Wire.OFF_STATUS);
        requestId = header.getLong(p + Wire.OFF_REQUEST_ID);
        session = header.getInt(p + Wire.OFF_SESSION);
        slabId = header.getLong(p + Wire.OFF_SLAB);
        offset = header.getLong(p + Wire.OFF_OFFSET);
        length = header.getInt(p + Wire.OFF_LENGTH);
        return this;
    }

    /** Checks the fields every frame must get right, whatever its opcode. */
    public FrameHeader validate() {
        if (version != Wire.VERSION) {
            throw new RememException(ErrorCode.UNSUPPORTED_VERSION,
                    "protocol version " + version + " is not supported; this peer speaks version " + Wire.VERSION);
        }
        if (opcode == null) {
            throw new RememException(ErrorCode.UNKNOWN_OPCODE, "unknown opcode 0x" + Integer.toHexString(opcodeCode));
        }
        if ((flags & ~(Wire.FLAG_RESPONSE | Wire.FLAG_RETRY)) != 0) {
            throw RememException.malformed("unknown flags 0x" + Integer.toHexString(flags));
        }
        if (isResponse() && isRetry()) {
            throw RememException.malformed("a response carries the retry flag");
        }
        if (!isResponse() && status != 0) {
            throw RememException.malformed("a request carries status " + status);
        }
        return this;
    }

    public int version() {
        return version;
    }

    /** The opcode, or {@code null} if the code is unknown (only before {@link #validate()}). */
    public Opcode opcode() {
        return opcode;
    }

    public int opcodeCode() {
        return opcodeCode;
    }

    public boolean isResponse() {
        return (flags & Wire.FLAG_RESPONSE) != 0;
    }

    /** A request that repeats an earlier one whose answer was lost ({@link Wire#FLAG_RETRY}). */
    public boolean isRetry() {
        return (flags & Wire.FLAG_RETRY) != 0;
    }

    public int status() {
        return status;
    }

    public long requestId() {
        return requestId;
    }

    public int session() {
        return session;
    }

    public long slabId() {
        return slabId;
    }

    public long offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    @Override
    public String toString() {
        return (isResponse() ? "response " : "request ") + (opcode == null ? "0x" + Integer.toHexString(opcodeCode) : opcode)
                + " id=" + requestId + " session=" + session + " slab=" + slabId + " offset=" + offset
                + " length=" + length + (status != 0 ? " status=" + status : "");
    }
}
