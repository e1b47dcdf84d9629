package io.remem.collections;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;

/**
 * Turns values into the bytes far data structures store, and back. Two values are the same key of a
 * {@link FarMap} exactly when their encodings are equal, so an encoding must be deterministic: equal values,
 * equal bytes. Implementations must be thread-safe (the built-ins are stateless).
 *
 * <p>For a record, write a codec with {@link #of}, for example with a {@code DataOutputStream}, or by hand
 * into a {@link ByteBuffer}.
 *
 * @param <T> the type of value
 */
public interface Codec<T> {
    /** The value's bytes. Must not return null; may return an empty array. */
    byte[] encode(T value);

    /** The value whose encoding is {@code src[offset, offset + length)}. */
    T decode(byte[] src, int offset, int length);

    /** UTF-8 strings. */
    static Codec<String> utf8() {
        return Builtins.UTF8;
    }

    /** Byte arrays as they are. As map keys they compare by content, unlike {@code byte[]#equals}. */
    static Codec<byte[]> bytes() {
        return Builtins.BYTES;
    }

    /** Longs as 8 little-endian bytes. */
    static Codec<Long> int64() {
        return Builtins.INT64;
    }

    /** A codec from two functions, for records and other types of your own. */
    static <T> Codec<T> of(Function<? super T, byte[]> encoder, Function<byte[], ? extends T> decoder) {
        Objects.requireNonNull(encoder, "encoder");
        Objects.requireNonNull(decoder, "decoder");
        return new Codec<>() {
            @Override
            public byte[] encode(T value) {
                return Objects.requireNonNull(encoder.apply(value), "the encoder returned null");
            }

            @Override
            public T decode(byte[] src, int offset, int length) {
                return decoder.apply(offset == 0 && length == src.length ? src : Arrays.copyOfRange(src, offset, offset + length));
            }
        };
    }
}

/** The built-in codecs; stateless singletons. */
final class Builtins {
    private Builtins() {}

    static final Codec<String> UTF8 = new Codec<>() {
        @Override
        public byte[] encode(String value) {
            return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] src, int offset, int length) {
            return new String(src, offset, length, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "Codec.utf8()";
        }
    };

    static final Codec<byte[]> BYTES = new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
            return value.clone();
        }

        @Override
        public byte[] decode(byte[] src, int offset, int length) {
            return Arrays.copyOfRange(src, offset, offset + length);
        }

        @Override
        public String toString() {
            return "Codec.bytes()";
        }
    };

    static final Codec<Long> INT64 = new Codec<>() {
        @Override
        public byte[] encode(Long value) {
            return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
        }

        @Override
        public Long decode(byte[] src, int offset, int length) {
            if (length != 8) {
                throw new IllegalArgumentException("a long is 8 bytes, got " + length);
            }
            return ByteBuffer.wrap(src, offset, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }

        @Override
        public String toString() {
            return "Codec.int64()";
        }
    };
}
