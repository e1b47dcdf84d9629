package io.remem.protocol;

/** The element types an offloaded scan understands: 8-byte little-endian words. Codes are part of the wire format. */
public enum ElementType {
    /** Signed 64-bit integers; sums wrap around as {@code long} arithmetic does. */
    I64(0),
    /** IEEE 754 doubles; comparisons as Java's {@code <}, {@code ==} (so NaN matches only NE), min and max as {@link Math#min}. */
    F64(1);

    public static final int BYTES = 8;

    private final int code;

    ElementType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    static ElementType ofCode(int code, String field) {
        for (ElementType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw RememException.malformed(field + ": unknown element type " + code);
    }
}
