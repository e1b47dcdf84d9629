package io.remem.protocol;

import java.util.Arrays;

/**
 * What {@link Opcode#OFFLOAD_AGGREGATE} computes, element by element: the one definition that a memory node and a
 * client pulling the same range into its cache both run, so the two answers agree bit for bit. Feed it the range's
 * elements in order with {@link #accept} (or {@link #zeros} for a run of zero words), then read {@link #result} or
 * {@link #positions}.
 */
public final class Aggregator {
    private final ElementType type;
    private final Filter filter;
    private final boolean doubles;
    private final long[] sums;
    private int element;
    private int blockLeft;
    private int block;
    private int matches;
    private long min;
    private long max;
    private int[] positions;

    /** For {@code count} elements (at most {@link AggregateRequest#MAX_ELEMENTS}) described by {@code request}. */
    public Aggregator(AggregateRequest request, int count) {
        this.type = request.type();
        this.filter = request.filter();
        this.doubles = type == ElementType.F64;
        this.sums = new long[AggregateRequest.blocks(request.blockPhase(), count)];
        this.blockLeft = AggregateRequest.BLOCK_ELEMENTS - request.blockPhase();
        this.positions = request.select() ? new int[Math.min(count, 1 << 16)] : null;
    }

    /** The next element, as raw bits. */
    public void accept(long bits) {
        if (filter.test(type, bits)) {
            match(bits, 1);
            if (doubles) {
                sums[block] = Double.doubleToRawLongBits(Double.longBitsToDouble(sums[block]) + Double.longBitsToDouble(bits));
            } else {
                sums[block] += bits;
            }
        }
        advance(1);
    }

    /**
     * The next {@code n} elements are all zero bits. Sums skip them: a block's sum starts at +0.0 and so is never
     * -0.0, and adding +0.0 to anything else changes nothing.
     */
    public void zeros(int n) {
        if (filter.test(type, 0L)) {
            match(0L, n);
        }
        advance(n);
    }

    private void match(long bits, int n) {
        if (matches == 0) {
            min = bits;
            max = bits;
        } else if (doubles) {
            min = Double.doubleToRawLongBits(Math.min(Double.longBitsToDouble(min), Double.longBitsToDouble(bits)));
            max = Double.doubleToRawLongBits(Math.max(Double.longBitsToDouble(max), Double.longBitsToDouble(bits)));
        } else {
            min = Math.min(min, bits);
            max = Math.max(max, bits);
        }
        if (positions != null) {
            if (matches + n > positions.length) {
                positions = Arrays.copyOf(positions, Math.max(matches + n, positions.length * 2));
            }
            for (int i = 0; i < n; i++) {
                positions[matches + i] = element + i;
            }
        }
        matches += n;
    }

    private void advance(int n) {
        element += n;
        while (n > 0) {
            int step = Math.min(n, blockLeft);
            blockLeft -= step;
            n -= step;
            if (blockLeft == 0) {
                block++;
                blockLeft = AggregateRequest.BLOCK_ELEMENTS;
            }
        }
    }

    public AggregateResult result() {
        return new AggregateResult(matches, min, max, sums);
    }

    /** Positions of the matching elements, counted from the first, ascending (select requests only). */
    public int[] positions() {
        return Arrays.copyOf(positions, matches);
    }

    public int matches() {
        return matches;
    }
}
