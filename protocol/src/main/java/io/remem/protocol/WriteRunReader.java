package io.remem.protocol;

import io.netty.buffer.ByteBuf;

import java.util.zip.CRC32C;

/**
 * Walks the runs of a WRITEV body without copying them. Each run is {@code u64 slabId, u64 offset, u32 length, bytes},
 * with {@code u32 crc32c} of the bytes after the length on a session with {@link Features#CHECKSUMS}. {@link #next()}
 * checks the run header, that its bytes are really in the frame and, with checksums, that they match; the caller
 * checks slab ownership and bounds.
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
    private boolean checksums;
    private final CRC32C crc = new CRC32C();

    /** Positions the reader at the first of {@code count} runs in {@code body}, runs without checksums. */
    public WriteRunReader reset(ByteBuf body, int count) {
        return reset(body, count, false);
    }

    /** As {@link #reset(ByteBuf, int)}, for runs that carry a CRC32C when {@code checksums}. */
    public WriteRunReader reset(ByteBuf body, int count, boolean checksums) {
        if (count < 0 || count > Wire.MAX_WRITE_RUNS) {
            throw RememException.malformed("writev: run count " + count + " is outside 0.." + Wire.MAX_WRITE_RUNS);
        }
        this.body = body;
        this.start = body.readerIndex();
        this.count = count;
        this.index = 0;
        this.checksums = checksums;
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
        int expected = checksums ? Bodies.readInt(body, "writev.run.crc32c") : 0;
        Bodies.need(body, length, "writev.run.data");
        dataIndex = body.readerIndex();
        if (checksums && Checksums.crc32c(crc, body, dataIndex, length) != expected) {
            throw new RememException(ErrorCode.CHECKSUM_MISMATCH, "writev run of " + length + " bytes at slab " + slabId
                    + " offset " + offset + " does not match its checksum");
        }
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

    /** Appends one run header with the CRC32C of the {@code length} bytes the caller writes after it. */
    public static void writeRunHeader(ByteBuf out, long slabId, long offset, int length, int crc32c) {
        writeRunHeader(out, slabId, offset, length);
        out.writeInt(crc32c);
    }
}
