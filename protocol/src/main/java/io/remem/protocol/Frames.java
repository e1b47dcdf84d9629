package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;

/**
 * Writes frame headers. A frame is written as {@code begin...}, then its body, then {@link #finish}, which
 * fills in the length prefix, so bodies can be written straight into the outgoing buffer without sizing them
 * first.
 */
public final class Frames {
    private Frames() {}

    /** Starts a request frame; returns the index to pass to {@link #finish}. */
    public static int beginRequest(ByteBuf out, Opcode op, long requestId, int session, long slabId, long offset, int length) {
        return begin(out, op.code(), 0, 0, requestId, session, slabId, offset, length);
    }

    /** Starts a successful response to {@code request}. */
    public static int beginResponse(ByteBuf out, FrameHeader request, long slabId, long offset, int length) {
        return beginResponse(out, request.opcodeCode(), request.requestId(), request.session(), slabId, offset, length);
    }

    /** Starts a successful response to the request with these echoed fields. */
    public static int beginResponse(ByteBuf out, int opcodeCode, long requestId, int session,
                                    long slabId, long offset, int length) {
        return begin(out, opcodeCode, Wire.FLAG_RESPONSE, 0, requestId, session, slabId, offset, length);
    }

    /** Writes a complete error response: the typed code plus a message body. */
    public static void writeError(ByteBuf out, int opcodeCode, long requestId, int session, ErrorCode code, String message) {
        int start = begin(out, opcodeCode, Wire.FLAG_RESPONSE, code.code(), requestId, session, 0, 0, 0);
        Bodies.writeString(out, truncate(message));
        finish(out, start);
    }

    /** Fills in the length prefix of the frame that starts at {@code start}. */
    public static void finish(ByteBuf out, int start) {
        int length = out.writerIndex() - start - Wire.LENGTH_FIELD_BYTES;
        if (length > Wire.MAX_FRAME_BYTES) {
            throw new RememException(ErrorCode.TOO_LARGE,
                    "frame of " + length + " bytes exceeds the limit of " + Wire.MAX_FRAME_BYTES);
        }
        out.setInt(start, length);
    }

    /** Writes a complete request header, length prefix included, into an NIO buffer (big-endian). */
    public static void writeRequestHeader(ByteBuffer out, Opcode op, long requestId, int session,
                                          long slabId, long offset, int length, int bodyBytes) {
        writeRequestHeader(out, op, 0, requestId, session, slabId, offset, length, bodyBytes);
    }

    /** As above, with request {@code flags} such as {@link Wire#FLAG_RETRY}. */
    public static void writeRequestHeader(ByteBuffer out, Opcode op, int flags, long requestId, int session,
                                          long slabId, long offset, int length, int bodyBytes) {
        out.putInt(Wire.HEADER_BYTES + bodyBytes);
        out.put((byte) Wire.VERSION);
        out.put((byte) op.code());
        out.putShort((short) flags);
        out.putInt(0);
        out.putLong(requestId);
        out.putInt(session);
        out.putLong(slabId);
        out.putLong(offset);
        out.putInt(length);
    }

    private static int begin(ByteBuf out, int opcode, int flags, int status, long requestId, int session,
                             long slabId, long offset, int length) {
        int start = out.writerIndex();
        out.writeInt(0); // length, patched by finish
        out.writeByte(Wire.VERSION);
        out.writeByte(opcode);
        out.writeShort(flags);
        out.writeInt(status);
        out.writeLong(requestId);
        out.writeInt(session);
        out.writeLong(slabId);
        out.writeLong(offset);
        out.writeInt(length);
        return start;
    }

    private static String truncate(String message) {
        String m = message == null ? "" : message;
        // MAX_STRING_BYTES / 4 chars always fit in UTF-8. Never cut a surrogate pair in half.
        int keep = Wire.MAX_STRING_BYTES / 4;
        if (m.length() <= keep) {
            return m;
        }
        if (Character.isHighSurrogate(m.charAt(keep - 1))) {
            keep--;
        }
        return m.substring(0, keep);
    }
}
