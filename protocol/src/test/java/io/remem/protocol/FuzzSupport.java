package io.remem.protocol;

import com.sun.management.ThreadMXBean;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The properties every wire decoder must have, checked by the {@code *FuzzTest} classes on whatever bytes the fuzzer
 * makes:
 * <ol>
 *   <li>it returns a value or throws {@link RememException} (with a code); any other throwable is a bug;</li>
 *   <li>it allocates no more than its input justifies ({@link #allocationLimit}), and the fuzz JVM's small heap turns
 *       a huge allocation into an {@link OutOfMemoryError} as well;</li>
 *   <li>it leaves its input untouched;</li>
 *   <li>where the record can be encoded, the value re-encodes to exactly the bytes it was decoded from: decoding is
 *       canonical, so no two encodings mean the same message.</li>
 * </ol>
 * A violation throws {@link AssertionError}, which Jazzer reports as a finding with the input that caused it.
 */
public final class FuzzSupport {
    private FuzzSupport() {}

    private static final ThreadMXBean THREADS =
            (ThreadMXBean) ManagementFactory.getThreadMXBean();

    /**
     * Allocation every decode may make whatever its input: an exception with its stack trace and message, a UTF-8
     * decoder, a regex matcher, small lists: a few KiB in practice.
     */
    public static final long BASE_ALLOCATION_BYTES = 64 << 10;
    /**
     * Allocation per input byte. Decoding is linear but not cheap per byte: each string costs a UTF-8 decoder, two
     * buffers and the string, a tenant name two regex matches, each list element its record and the list's copy. The
     * worst seen is ~100 bytes per input byte (a NODE_REGISTER answer of 32-byte restore entries); an empty string or
     * key id is 2 input bytes for ~250 allocated. A count-sized allocation (2^20 list slots, a 16 MiB array) is far over.
     */
    public static final long ALLOCATION_PER_INPUT_BYTE = 256;

    public static long allocationLimit(int inputBytes) {
        return BASE_ALLOCATION_BYTES + ALLOCATION_PER_INPUT_BYTE * inputBytes;
    }

    /** What a decoder made of its input: the value and how many bytes it consumed, or the refusal. */
    public record Outcome<T>(T value, int consumed, RememException refusal) {
        public boolean accepted() {
            return refusal == null;
        }
    }

    /**
     * Decodes {@code input} with {@code decoder} and checks properties 1 to 3. The first decodes of a JVM load classes
     * and so allocate far more than later ones: a decode over the limit is repeated, and fails only if it is over the
     * limit again.
     */
    public static <T> Outcome<T> decode(String what, byte[] input, Function<ByteBuf, T> decoder) {
        byte[] copy = input.clone();
        Outcome<T> outcome;
        long allocated = 0;
        for (int attempt = 0; ; attempt++) {
            ByteBuf body = Unpooled.wrappedBuffer(input);
            long before = THREADS.getCurrentThreadAllocatedBytes();
            T value = null;
            RememException refusal = null;
            try {
                value = decoder.apply(body);
            } catch (RememException e) {
                refusal = e;
            }
            allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            if (refusal != null && refusal.code() == null) {
                throw fail(what, input, "refused without an error code: " + refusal.detail());
            }
            if (refusal == null && value == null) {
                throw fail(what, input, "returned null");
            }
            outcome = new Outcome<>(value, body.readerIndex(), refusal);
            if (allocated <= allocationLimit(input.length) || attempt == 1) {
                break;
            }
        }
        if (allocated > allocationLimit(input.length)) {
            throw fail(what, input, "allocated " + allocated + " bytes for " + input.length + " bytes of input (limit "
                    + allocationLimit(input.length) + ")");
        }
        if (!Arrays.equals(copy, input)) {
            throw fail(what, copy, "changed its input");
        }
        return outcome;
    }

    /**
     * {@link #decode}, then for an accepted input: that the decoder consumed all of it if {@code wholeBody}, and that
     * {@code encoder} turns the value back into exactly the bytes consumed.
     */
    public static <T> Outcome<T> roundTrip(String what, byte[] input, Function<ByteBuf, T> decoder,
                                           BiConsumer<T, ByteBuf> encoder, boolean wholeBody) {
        Outcome<T> o = decode(what, input, decoder);
        if (!o.accepted()) {
            return o;
        }
        if (wholeBody && o.consumed() != input.length) {
            throw fail(what, input, "accepted the body but left " + (input.length - o.consumed()) + " bytes unread");
        }
        ByteBuf out = Unpooled.buffer(input.length);
        try {
            encoder.accept(o.value(), out);
        } catch (RememException e) {
            throw fail(what, input, "decoded " + o.value() + ", which does not encode: " + e.getMessage());
        }
        byte[] consumed = Arrays.copyOf(input, o.consumed());
        byte[] encoded = ByteBufUtil.getBytes(out);
        if (!Arrays.equals(consumed, encoded)) {
            throw fail(what, input, "decoding is not canonical: " + o.value() + " re-encodes as " + hex(encoded)
                    + " but was decoded from " + hex(consumed));
        }
        return o;
    }

    public static AssertionError fail(String what, byte[] input, String problem) {
        return new AssertionError(what + ": " + problem + "; input " + hex(input));
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** {@code data} without its first {@code n} bytes. */
    public static byte[] rest(byte[] data, int n) {
        return n >= data.length ? new byte[0] : Arrays.copyOfRange(data, n, data.length);
    }

    /** The big-endian int at {@code index}, or 0 past the end of {@code data}. */
    public static int intAt(byte[] data, int index) {
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = v << 8 | (index + i < data.length ? data[index + i] & 0xFF : 0);
        }
        return v;
    }

    /** The unsigned byte at {@code index}, or 0 past the end of {@code data}. */
    public static int byteAt(byte[] data, int index) {
        return index < data.length ? data[index] & 0xFF : 0;
    }
}
