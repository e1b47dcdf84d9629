package io.remem.collections;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The built-in codecs and {@link Codec#of}: the stored bytes are fixed, and decoding reads only its slice. */
class CodecTest {
    @Test
    void int64IsEightLittleEndianBytes() {
        assertThat(Codec.int64().encode(0x0102030405060708L)).containsExactly(8, 7, 6, 5, 4, 3, 2, 1);
        byte[] framed = {9, 9, 8, 7, 6, 5, 4, 3, 2, 1, 9};
        assertThat(Codec.int64().decode(framed, 2, 8)).isEqualTo(0x0102030405060708L);
        assertThat(Codec.int64().decode(Codec.int64().encode(-1L), 0, 8)).isEqualTo(-1L);
    }

    @Test
    void int64RefusesAnythingButEightBytes() {
        assertThatThrownBy(() -> Codec.int64().decode(new byte[9], 0, 9)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("8 bytes, got 9");
    }

    @Test
    void utf8RoundTripsEveryPlaneAndDecodesOnlyItsSlice() {
        String s = "naïve 東京 \uD83D\uDE00";
        byte[] bytes = Codec.utf8().encode(s);
        assertThat(bytes).isEqualTo(s.getBytes(StandardCharsets.UTF_8));
        byte[] framed = new byte[bytes.length + 4];
        System.arraycopy(bytes, 0, framed, 2, bytes.length);
        assertThat(Codec.utf8().decode(framed, 2, bytes.length)).isEqualTo(s);
        assertThat(Codec.utf8().decode(new byte[0], 0, 0)).isEmpty();
    }

    @Test
    void bytesAreCopiedBothWaysSoTheCallerMayReuseItsArray() {
        byte[] mine = {1, 2, 3};
        byte[] encoded = Codec.bytes().encode(mine);
        mine[0] = 42;
        assertThat(encoded).containsExactly(1, 2, 3);
        byte[] framed = {0, 1, 2, 3, 0};
        byte[] decoded = Codec.bytes().decode(framed, 1, 3);
        framed[1] = 42;
        assertThat(decoded).containsExactly(1, 2, 3);
    }

    @Test
    void ofPassesOnlyTheSliceToTheDecoderAndRefusesANullEncoding() {
        Codec<String> reversed = Codec.of(v -> new StringBuilder(v).reverse().toString().getBytes(StandardCharsets.UTF_8),
                b -> new StringBuilder(new String(b, StandardCharsets.UTF_8)).reverse().toString());
        byte[] framed = "xxcbaxx".getBytes(StandardCharsets.UTF_8);
        assertThat(reversed.decode(framed, 2, 3)).isEqualTo("abc");
        assertThat(reversed.decode(reversed.encode("whole"), 0, 5)).isEqualTo("whole");
        Codec<String> broken = Codec.of(v -> null, b -> "");
        assertThatThrownBy(() -> broken.encode("x")).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("encoder returned null");
        assertThatThrownBy(() -> Codec.of(null, b -> "")).hasMessageContaining("encoder");
    }
}
