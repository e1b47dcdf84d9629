package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Response body of an aggregating {@link Opcode#OFFLOAD_AGGREGATE}: {@code u64 count, u64 min, u64 max,
 * u32 blocks, blocks x u64 sum}. Values are raw element bits; min and max mean nothing when count is 0. One sum per
 * summation block the range touched, in order (see {@link AggregateRequest}).
 */
public record AggregateResult(long count, long min, long max, long[] blockSums) {
    public void encode(ByteBuf out) {
        out.writeLong(count);
        out.writeLong(min);
        out.writeLong(max);
        out.writeInt(blockSums.length);
        for (long s : blockSums) {
            out.writeLong(s);
        }
    }

    public int encodedSize() {
        return 28 + 8 * blockSums.length;
    }

    /** Decodes a response to a request for {@code elements} elements starting at {@code blockPhase}. */
    public static AggregateResult decode(ByteBuf body, int blockPhase, long elements) {
        long count = Bodies.readNonNegativeLong(body, "aggregateResult.count");
        if (count > elements) {
            throw RememException.malformed("aggregateResult.count: " + count + " exceeds the " + elements + " elements asked");
        }
        long min = Bodies.readLong(body, "aggregateResult.min");
        long max = Bodies.readLong(body, "aggregateResult.max");
        int expected = AggregateRequest.blocks(blockPhase, elements);
        int n = Bodies.readCount(body, expected, "aggregateResult.blocks");
        if (n != expected) {
            throw RememException.malformed("aggregateResult.blocks: " + n + " sums, expected " + expected);
        }
        long[] sums = new long[n];
        for (int i = 0; i < n; i++) {
            sums[i] = Bodies.readLong(body, "aggregateResult.sum");
        }
        Bodies.expectEnd(body, "aggregateResult");
        return new AggregateResult(count, min, max, sums);
    }
}
