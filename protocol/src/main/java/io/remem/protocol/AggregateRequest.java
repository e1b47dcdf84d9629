package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of {@link Opcode#OFFLOAD_AGGREGATE}. The header names the first element ({@code slabId}, {@code offset},
 * 8-byte aligned) and the element count ({@code length}, at most {@link #MAX_ELEMENTS}); the range must lie in the
 * slab. The node scans the elements in order, keeps those that pass {@link #filter}, and answers either their
 * count, per-block sums, min and max ({@link AggregateResult}) or, for {@link #select}, their positions.
 *
 * <p>Sums are kept per block of {@link #BLOCK_ELEMENTS} elements counted from the array's element 0, each block
 * summed in order from zero: a client that combines the blocks in order gets the same double, bit for bit, however
 * it split the range into requests. {@code blockPhase} is the first element's position inside its block.
 *
 * @param type       the element type
 * @param filter     which elements count
 * @param select     true: answer the positions of matching elements instead of aggregates
 * @param blockPhase the first element's index modulo {@link #BLOCK_ELEMENTS}
 */
public record AggregateRequest(ElementType type, Filter filter, boolean select, int blockPhase) {
    /** Elements per request: 8 MiB of words, a few milliseconds of a memory node's I/O thread at most. */
    public static final int MAX_ELEMENTS = 1 << 20;
    /** Elements per summation block; divides {@link #MAX_ELEMENTS}, and the elements of a 1 MiB slab. */
    public static final int BLOCK_ELEMENTS = 1 << 16;

    public AggregateRequest {
        if (blockPhase < 0 || blockPhase >= BLOCK_ELEMENTS) {
            throw new IllegalArgumentException("blockPhase: " + blockPhase + " is outside 0.." + (BLOCK_ELEMENTS - 1));
        }
    }

    public void encode(ByteBuf out) {
        out.writeByte(type.code());
        out.writeByte(select ? 1 : 0);
        out.writeInt(blockPhase);
        filter.encode(out);
    }

    public static AggregateRequest decode(ByteBuf body) {
        ElementType type = ElementType.ofCode(Bodies.readUnsignedByte(body, "aggregate.type"), "aggregate.type");
        int select = Bodies.readUnsignedByte(body, "aggregate.select");
        if (select > 1) {
            throw RememException.malformed("aggregate.select: " + select + " is neither 0 nor 1");
        }
        int phase = Bodies.readInt(body, "aggregate.blockPhase");
        if (phase < 0 || phase >= BLOCK_ELEMENTS) {
            throw RememException.malformed("aggregate.blockPhase: " + phase + " is outside 0.." + (BLOCK_ELEMENTS - 1));
        }
        Filter filter = Filter.decode(body, "aggregate.filter");
        Bodies.expectEnd(body, "aggregate");
        return new AggregateRequest(type, filter, select == 1, phase);
    }

    /** How many summation blocks {@code count} elements starting at {@code blockPhase} touch. */
    public static int blocks(int blockPhase, long count) {
        return count == 0 ? 0 : (int) ((blockPhase + count - 1) / BLOCK_ELEMENTS + 1);
    }
}
