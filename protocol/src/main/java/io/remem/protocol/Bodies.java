package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads and writes the primitive fields of frame bodies, checking each one against what is left of the
 * frame before it is read. Every violation becomes a {@link RememException} naming the field.
 */
public final class Bodies {
    private Bodies() {}

    public static void need(ByteBuf body, int bytes, String field) {
        if (body.readableBytes() < bytes) {
            throw RememException.malformed(
                    field + ": needs " + bytes + " bytes but only " + body.readableBytes() + " remain in the frame");
        }
    }

    public static long readLong(ByteBuf body, String field) {
        need(body, 8, field);
        return body.readLong();
    }

    public static int readInt(ByteBuf body, String field) {
        need(body, 4, field);
        return body.readInt();
    }

    public static int readUnsignedShort(ByteBuf body, String field) {
        need(body, 2, field);
        return body.readUnsignedShort();
    }

    public static int readUnsignedByte(ByteBuf body, String field) {
        need(body, 1, field);
        return body.readUnsignedByte();
    }

    /** A boolean: exactly 0 or 1, so that a message has one encoding. */
    public static boolean readBoolean(ByteBuf body, String field) {
        int v = readUnsignedByte(body, field);
        if (v > 1) {
            throw RememException.malformed(field + ": " + v + " is not 0 or 1");
        }
        return v == 1;
    }

    /** A non-negative long, such as a size or an id. */
    public static long readNonNegativeLong(ByteBuf body, String field) {
        long v = readLong(body, field);
        if (v < 0) {
            throw RememException.malformed(field + ": must not be negative, got " + v);
        }
        return v;
    }

    /** A count that bounds a following list: non-negative and at most {@code max}. */
    public static int readCount(ByteBuf body, int max, String field) {
        int v = readInt(body, field);
        if (v < 0 || v > max) {
            throw RememException.malformed(field + ": " + v + " is outside 0.." + max);
        }
        return v;
    }

    /** A TCP port, 1..65535. */
    public static int readPort(ByteBuf body, String field) {
        int port = readUnsignedShort(body, field);
        if (port == 0) {
            throw RememException.malformed(field + ": port 0 is not a valid port");
        }
        return port;
    }

    /** Strings are a u16 byte count followed by strict UTF-8; malformed UTF-8 is rejected, not repaired. */
    public static String readString(ByteBuf body, String field) {
        int n = readUnsignedShort(body, field + " length");
        if (n > Wire.MAX_STRING_BYTES) {
            throw RememException.malformed(field + ": " + n + " bytes exceeds the limit of " + Wire.MAX_STRING_BYTES);
        }
        need(body, n, field);
        ByteBuffer bytes = body.nioBuffer(body.readerIndex(), n);
        body.skipBytes(n);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw RememException.malformed(field + ": not valid UTF-8");
        }
    }

    public static void writeString(ByteBuf out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > Wire.MAX_STRING_BYTES) {
            throw new RememException(ErrorCode.TOO_LARGE,
                    "string of " + bytes.length + " bytes exceeds the limit of " + Wire.MAX_STRING_BYTES);
        }
        out.writeShort(bytes.length);
        out.writeBytes(bytes);
    }

    /** A byte string: {@code u16} length, then the bytes, at most {@code max} of them. */
    public static byte[] readBytes(ByteBuf body, int max, String field) {
        int n = readUnsignedShort(body, field + " length");
        if (n > max) {
            throw RememException.malformed(field + ": " + n + " bytes exceeds the limit of " + max);
        }
        return readFixed(body, n, field);
    }

    /** Exactly {@code n} bytes, with no length before them. */
    public static byte[] readFixed(ByteBuf body, int n, String field) {
        need(body, n, field);
        byte[] out = new byte[n];
        body.readBytes(out);
        return out;
    }

    public static void writeBytes(ByteBuf out, byte[] bytes) {
        if (bytes.length > 0xFFFF) {
            throw new RememException(ErrorCode.TOO_LARGE, "byte string of " + bytes.length + " bytes exceeds 65535");
        }
        out.writeShort(bytes.length);
        out.writeBytes(bytes);
    }

    /** Rejects bytes left over after the last field: a frame means exactly what it says or nothing. */
    public static void expectEnd(ByteBuf body, String what) {
        if (body.isReadable()) {
            throw RememException.malformed(what + ": " + body.readableBytes() + " unexpected trailing bytes");
        }
    }
}
