package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Walks the runs of a WRITEV body without copying them. Each run is {@code u64 slabId, u64 offset,
 * u32 length, bytes}. {@link #next()} checks the run header and that its bytes are really in the frame;
 * the caller checks slab ownership and bounds.
 */
public final class WriteRunReader {
    private ByteBuf body;
    private int start;
    private int count;
    private int index;
    private long slabId;
    private long offset;
    private int length;
    private int dataIndex;

    /** Positions the reader at the first of {@code count} runs in {@code body}. */
    public WriteRunReader reset(ByteBuf body, int count) {
        if (count < 0 || count > Wire.MAX_WRITE_RUNS) {
            throw RememException.malformed("writev: run count " + count + " is outside 0.." + Wire.MAX_WRITE_RUNS);
        }
        this.body = body;
        this.start = body.readerIndex();
        this.count = count;
        this.index = 0;
        return this;
    }

    /** Goes back to the first run, for a second pass over a body that passed validation. */
    public void rewind() {
        body.readerIndex(start);
        index = 0;
    }

    /** Advances to the next run; false after the last one, which must also be the end of the body. */
    public boolean next() {
        if (index == count) {
            Bodies.expectEnd(body, "writev");
            return false;
        }
        slabId = Bodies.readNonNegativeLong(body, "writev.run.slabId");
        offset = Bodies.readNonNegativeLong(body, "writev.run.offset");
        length = Bodies.readInt(body, "writev.run.length");
        if (length < 0) {
            throw RememException.malformed("writev.run.length: negative (" + length + ")");
        }
        Bodies.need(body, length, "writev.run.data");
        dataIndex = body.readerIndex();
        body.skipBytes(length);
        index++;
        return true;
    }

    public long slabId() {
        return slabId;
    }

    public long offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    /** Absolute index of this run's bytes in the body buffer. */
    public int dataIndex() {
        return dataIndex;
    }

    public ByteBuf body() {
        return body;
    }

    /** Appends one run header; the caller writes exactly {@code length} bytes of data after it. */
    public static void writeRunHeader(ByteBuf out, long slabId, long offset, int length) {
        out.writeLong(slabId);
        out.writeLong(offset);
        out.writeInt(length);
    }
}
