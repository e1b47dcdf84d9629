package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Response body of {@link Opcode#OFFLOAD_MAP_GET}: {@code u8 outcome, u64 address, u32 n, n bytes}. FOUND: the
 * bytes are the value. ABSENT: no such key. ELSEWHERE: the entry whose tag matched is out of line (or its value is
 * too big for one response) at far {@code address}, {@code n} = 0; the client reads it, and goes on probing if its
 * key turns out not to match. Address 0: the node compared {@link MapLayout#MAX_COMPARED_BYTES} of keys without an
 * answer, and the client finishes the probe through its cache.
 */
public record MapGetResult(Outcome outcome, long address, byte[] value) {
    public enum Outcome { FOUND, ABSENT, ELSEWHERE }

    public static final int HEADER_BYTES = 13;

    public static MapGetResult decode(ByteBuf body) {
        int code = Bodies.readUnsignedByte(body, "mapGetResult.outcome");
        if (code >= Outcome.values().length) {
            throw RememException.malformed("mapGetResult.outcome: unknown outcome " + code);
        }
        long address = Bodies.readLong(body, "mapGetResult.address");
        int n = Bodies.readCount(body, Wire.MAX_BODY_BYTES, "mapGetResult.valueBytes");
        Bodies.need(body, n, "mapGetResult.value");
        byte[] value = new byte[n];
        body.readBytes(value);
        Bodies.expectEnd(body, "mapGetResult");
        return new MapGetResult(Outcome.values()[code], address, value);
    }
}
