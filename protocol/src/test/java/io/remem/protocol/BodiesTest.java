package io.remem.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BodiesTest {

    private static ByteBuf bytes(int... values) {
        ByteBuf b = Unpooled.buffer(values.length);
        for (int v : values) {
            b.writeByte(v);
        }
        return b;
    }

    /** Asserts a MALFORMED_FRAME whose message names {@code field}. */
    private static void assertMalformed(ThrowingCallable call, String field) {
        assertThatThrownBy(call).isInstanceOfSatisfying(RememException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(e.detail()).contains(field);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "memnode-3.example.org", "Grüße", "日本語のテナント", "emoji 😀🚀", "tab\tnul\0end"})
    void stringsRoundTrip(String s) {
        ByteBuf b = Unpooled.buffer();
        Bodies.writeString(b, s);
        assertThat(Bodies.readString(b, "s")).isEqualTo(s);
        assertThat(b.isReadable()).isFalse();
    }

    @Test
    void stringIsAU16ByteCountFollowedByUtf8() {
        ByteBuf b = Unpooled.buffer();
        Bodies.writeString(b, "é€");
        // é = C3 A9, € = E2 82 AC
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0005c3a9e282ac");
    }

    @Test
    void stringOfExactlyTheLimitRoundTrips() {
        String s = "x".repeat(Wire.MAX_STRING_BYTES);
        ByteBuf b = Unpooled.buffer();
        Bodies.writeString(b, s);
        assertThat(Bodies.readString(b, "s")).isEqualTo(s);
    }

    @Test
    void writeStringRejectsAStringLongerThanTheLimitInBytes() {
        // 2049 characters, but 4098 UTF-8 bytes.
        String s = "é".repeat(Wire.MAX_STRING_BYTES / 2 + 1);
        assertThatThrownBy(() -> Bodies.writeString(Unpooled.buffer(), s))
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_LARGE));
    }

    @Test
    void readStringRejectsADeclaredLengthBeyondTheFrame() {
        ByteBuf b = bytes(0x00, 0x05, 'a', 'b', 'c');
        assertMalformed(() -> Bodies.readString(b, "hello.tenant"), "hello.tenant");
    }

    @Test
    void readStringRejectsAMissingLengthField() {
        assertMalformed(() -> Bodies.readString(bytes(0x00), "hello.tenant"), "hello.tenant");
    }

    @Test
    void readStringRejectsALengthAboveTheLimitEvenIfTheBytesArePresent() {
        int n = Wire.MAX_STRING_BYTES + 1;
        ByteBuf b = Unpooled.buffer();
        b.writeShort(n);
        b.writeBytes("y".repeat(n).getBytes(StandardCharsets.US_ASCII));
        assertMalformed(() -> Bodies.readString(b, "node.host"), "node.host");
    }

    @Test
    void readStringRejectsMalformedUtf8() {
        ByteBuf b = bytes(0x00, 0x02, 0xC3, 0x28);
        assertMalformed(() -> Bodies.readString(b, "tenant.name"), "tenant.name");
    }

    @Test
    void readStringRejectsATruncatedMultiByteSequence() {
        ByteBuf b = bytes(0x00, 0x02, 0xE2, 0x82); // first two bytes of €
        assertMalformed(() -> Bodies.readString(b, "s"), "s");
    }

    @Test
    void readStringRejectsOverlongEncodings() {
        ByteBuf b = bytes(0x00, 0x02, 0xC0, 0xAF); // overlong '/'
        assertMalformed(() -> Bodies.readString(b, "s"), "s");
    }

    @Test
    void readStringRejectsEncodedSurrogates() {
        ByteBuf b = bytes(0x00, 0x03, 0xED, 0xA0, 0x80); // U+D800 as CESU-8
        assertMalformed(() -> Bodies.readString(b, "s"), "s");
    }

    @Test
    void readStringLeavesFollowingFieldsInPlace() {
        ByteBuf b = Unpooled.buffer();
        Bodies.writeString(b, "ab");
        b.writeInt(0xCAFEBABE);
        assertThat(Bodies.readString(b, "s")).isEqualTo("ab");
        assertThat(b.readInt()).isEqualTo(0xCAFEBABE);
    }

    @Test
    void needRejectsTooFewBytesNamingTheField() {
        ByteBuf b = bytes(1, 2, 3);
        Bodies.need(b, 3, "x");
        assertMalformed(() -> Bodies.need(b, 4, "slab.size"), "slab.size");
    }

    @Test
    void fixedWidthReadersRejectShortInputNamingTheField() {
        assertMalformed(() -> Bodies.readLong(bytes(1, 2, 3, 4, 5, 6, 7), "a.long"), "a.long");
        assertMalformed(() -> Bodies.readInt(bytes(1, 2, 3), "an.int"), "an.int");
        assertMalformed(() -> Bodies.readUnsignedShort(bytes(1), "a.short"), "a.short");
        assertMalformed(() -> Bodies.readUnsignedByte(Unpooled.EMPTY_BUFFER, "a.byte"), "a.byte");
    }

    @Test
    void fixedWidthReadersAreBigEndianAndUnsignedWhereSaid() {
        assertThat(Bodies.readLong(bytes(0x80, 0, 0, 0, 0, 0, 0, 1), "l")).isEqualTo(Long.MIN_VALUE + 1);
        assertThat(Bodies.readInt(bytes(0, 0, 1, 2), "i")).isEqualTo(0x102);
        assertThat(Bodies.readUnsignedShort(bytes(0xFF, 0xFE), "s")).isEqualTo(0xFFFE);
        assertThat(Bodies.readUnsignedByte(bytes(0xFF), "b")).isEqualTo(255);
    }

    @Test
    void readNonNegativeLongAcceptsZeroAndMaxAndRejectsNegative() {
        assertThat(Bodies.readNonNegativeLong(bytes(0, 0, 0, 0, 0, 0, 0, 0), "n")).isZero();
        assertThat(Bodies.readNonNegativeLong(bytes(0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), "n"))
                .isEqualTo(Long.MAX_VALUE);
        ByteBuf minusOne = bytes(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
        assertMalformed(() -> Bodies.readNonNegativeLong(minusOne, "slab.id"), "slab.id");
    }

    @Test
    void readCountAcceptsZeroToMaxInclusive() {
        assertThat(Bodies.readCount(bytes(0, 0, 0, 0), 10, "c")).isZero();
        assertThat(Bodies.readCount(bytes(0, 0, 0, 10), 10, "c")).isEqualTo(10);
    }

    @Test
    void readCountRejectsAboveMaxAndNegative() {
        assertMalformed(() -> Bodies.readCount(bytes(0, 0, 0, 11), 10, "run.count"), "run.count");
        assertMalformed(() -> Bodies.readCount(bytes(0xFF, 0xFF, 0xFF, 0xFF), 10, "run.count"), "run.count");
        assertMalformed(() -> Bodies.readCount(bytes(0x80, 0, 0, 0), Integer.MAX_VALUE, "node.slabs"), "node.slabs");
    }

    @Test
    void readPortAcceptsTheWholeUnsignedRangeExceptZero() {
        assertThat(Bodies.readPort(bytes(0, 1), "p")).isEqualTo(1);
        assertThat(Bodies.readPort(bytes(0xFF, 0xFF), "p")).isEqualTo(65535);
        assertMalformed(() -> Bodies.readPort(bytes(0, 0), "register.port"), "register.port");
        assertMalformed(() -> Bodies.readPort(bytes(0), "register.port"), "register.port");
    }

    @Test
    void expectEndAcceptsAnExhaustedBodyAndRejectsTrailingBytes() {
        ByteBuf b = bytes(1, 2);
        b.skipBytes(2);
        Bodies.expectEnd(b, "hello");
        assertMalformed(() -> Bodies.expectEnd(bytes(1), "slabAlloc"), "slabAlloc");
    }

    @Test
    void failedReadsDoNotThrowAnythingButRememException() {
        // A frame claiming a huge string must not make us allocate or index out of bounds.
        ByteBuf b = bytes(0xFF, 0xFF);
        assertThatThrownBy(() -> Bodies.readString(b, "s")).isExactlyInstanceOf(RememException.class);
    }
}
