package io.remem.client;

import io.remem.protocol.ElementType;

import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The answer of {@link Offload#aggregate}: how many elements passed the filter, and their sum, min and max. Values
 * are kept as raw element bits; read them with the accessors of the element type.
 *
 * <p>A sum of longs wraps around like {@code long} arithmetic. A sum of doubles adds the elements in index order
 * within each block of {@value io.remem.protocol.AggregateRequest#BLOCK_ELEMENTS} elements (counted from the
 * segment's first element), then adds the block sums in order: a fixed order, so the offloaded and the pulled
 * answer are the same double, bit for bit.
 */
public record Aggregate(ElementType type, long count, long minBits, long maxBits, long sumBits) {
    public long longSum() {
        expect(ElementType.I64);
        return sumBits;
    }

    public double doubleSum() {
        expect(ElementType.F64);
        return Double.longBitsToDouble(sumBits);
    }

    public OptionalLong longMin() {
        expect(ElementType.I64);
        return count == 0 ? OptionalLong.empty() : OptionalLong.of(minBits);
    }

    public OptionalLong longMax() {
        expect(ElementType.I64);
        return count == 0 ? OptionalLong.empty() : OptionalLong.of(maxBits);
    }

    public OptionalDouble doubleMin() {
        expect(ElementType.F64);
        return count == 0 ? OptionalDouble.empty() : OptionalDouble.of(Double.longBitsToDouble(minBits));
    }

    public OptionalDouble doubleMax() {
        expect(ElementType.F64);
        return count == 0 ? OptionalDouble.empty() : OptionalDouble.of(Double.longBitsToDouble(maxBits));
    }

    private void expect(ElementType wanted) {
        if (type != wanted) {
            throw new IllegalStateException("this aggregate is over " + type + " elements, not " + wanted);
        }
    }
}
