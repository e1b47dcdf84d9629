package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * A predicate from a fixed set, applied to each element by an offloaded scan: memory nodes run only operations
 * built into remem, never code a client sends. Operands are the elements' raw 8-byte bits: a long, or a double's
 * {@link Double#doubleToRawLongBits} for {@link ElementType#F64}.
 *
 * @param comparison what to compare
 * @param a          the operand, or the lower bound for {@link Comparison#BETWEEN}
 * @param b          the upper bound for {@link Comparison#BETWEEN} (inclusive); ignored otherwise
 */
public record Filter(Comparison comparison, long a, long b) {
    /** Wire size of a filter: u8 comparison, u64 a, u64 b. */
    public static final int BYTES = 17;

    /** The comparisons; codes are part of the wire format. */
    public enum Comparison {
        ALL(0), EQ(1), NE(2), LT(3), LE(4), GT(5), GE(6), BETWEEN(7);

        private final int code;

        Comparison(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    public Filter {
        if (comparison == null) {
            throw new IllegalArgumentException("comparison: must not be null");
        }
    }

    /** Every element. */
    public static Filter all() {
        return new Filter(Comparison.ALL, 0, 0);
    }

    /**
     * Long elements compared with {@code operand}, as in {@code element < operand} for {@link Comparison#LT}. The
     * names say the type because an int literal would otherwise pick the long overload for a double array.
     */
    public static Filter ofLong(Comparison comparison, long operand) {
        return new Filter(single(comparison), operand, 0);
    }

    /** Double elements compared with {@code operand}. */
    public static Filter ofDouble(Comparison comparison, double operand) {
        return new Filter(single(comparison), Double.doubleToRawLongBits(operand), 0);
    }

    /** Long elements in {@code [low, high]}. */
    public static Filter betweenLongs(long low, long high) {
        return new Filter(Comparison.BETWEEN, low, high);
    }

    /** Double elements in {@code [low, high]}. */
    public static Filter betweenDoubles(double low, double high) {
        return new Filter(Comparison.BETWEEN, Double.doubleToRawLongBits(low), Double.doubleToRawLongBits(high));
    }

    private static Comparison single(Comparison c) {
        if (c == Comparison.BETWEEN) {
            throw new IllegalArgumentException("BETWEEN takes two bounds: use betweenLongs or betweenDoubles");
        }
        return c;
    }

    /** Whether the element with raw bits {@code bits} passes. */
    public boolean test(ElementType type, long bits) {
        return type == ElementType.I64 ? testLong(bits) : testDouble(Double.longBitsToDouble(bits));
    }

    private boolean testLong(long v) {
        return switch (comparison) {
            case ALL -> true;
            case EQ -> v == a;
            case NE -> v != a;
            case LT -> v < a;
            case LE -> v <= a;
            case GT -> v > a;
            case GE -> v >= a;
            case BETWEEN -> v >= a && v <= b;
        };
    }

    private boolean testDouble(double v) {
        double x = Double.longBitsToDouble(a);
        return switch (comparison) {
            case ALL -> true;
            case EQ -> v == x;
            case NE -> v != x;
            case LT -> v < x;
            case LE -> v <= x;
            case GT -> v > x;
            case GE -> v >= x;
            case BETWEEN -> v >= x && v <= Double.longBitsToDouble(b);
        };
    }

    public void encode(ByteBuf out) {
        out.writeByte(comparison.code());
        out.writeLong(a);
        out.writeLong(b);
    }

    public static Filter decode(ByteBuf body, String field) {
        int code = Bodies.readUnsignedByte(body, field + ".comparison");
        long a = Bodies.readLong(body, field + ".a");
        long b = Bodies.readLong(body, field + ".b");
        for (Comparison c : Comparison.values()) {
            if (c.code() == code) {
                return new Filter(c, a, b);
            }
        }
        throw RememException.malformed(field + ".comparison: unknown comparison " + code);
    }
}
