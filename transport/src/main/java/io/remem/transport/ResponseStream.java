package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.Checksums;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.RememException;
import io.remem.protocol.Wire;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The reading side of a {@link DirectLink}'s channel: a response's header, validated before anything of it is used,
 * then its body, straight into the caller's destinations where it has some. Used by one reader at a time (the
 * link's leader, under its read lock); it keeps no state between frames but its buffers.
 */
final class ResponseStream {
    private final LinkChannel channel;
    private final String remote;
    private final ByteBuffer in = ByteBuffer.allocateDirect(Wire.FRAME_OVERHEAD);
    private final FrameHeader header = new FrameHeader();
    private final ByteBuffer trailer = ByteBuffer.allocateDirect(Checksums.BYTES);
    private final CRC32C crc = new CRC32C();
    private int bodyBytes;

    ResponseStream(LinkChannel channel, String remote) {
        this.channel = channel;
        this.remote = remote;
    }

    /**
     * Reads and validates the next frame's header: a response, of a length within the protocol's bounds. The
     * header returned is reused by the next call.
     */
    FrameHeader nextHeader() throws IOException {
        in.clear();
        readFully(in);
        int length = in.getInt(0);
        if (length < Wire.HEADER_BYTES || length > Wire.MAX_FRAME_BYTES) {
            throw RememException.malformed("frame length " + length + " from " + remote);
        }
        in.position(Wire.LENGTH_FIELD_BYTES);
        FrameHeader h = header.read(in).validate();
        if (!h.isResponse()) {
            throw RememException.malformed(remote + " sent a request on a client link");
        }
        bodyBytes = length - Wire.HEADER_BYTES;
        return h;
    }

    /** The body length of the frame whose header {@link #nextHeader} read last. */
    int bodyBytes() {
        return bodyBytes;
    }

    /** Reads a data answer into {@code dsts}, and its checksum trailer after them, with as few reads as it can. */
    void readInto(MemorySegment[] dsts, boolean withCrc) throws IOException {
        ByteBuffer[] parts = new ByteBuffer[dsts.length + (withCrc ? 1 : 0)];
        for (int i = 0; i < dsts.length; i++) {
            parts[i] = dsts[i].asByteBuffer();
        }
        if (withCrc) {
            trailer.clear();
            parts[dsts.length] = trailer;
        }
        ByteBuffer last = parts[parts.length - 1];
        while (last.hasRemaining() || parts[0].hasRemaining()) {
            if (channel.read(parts) < 0) {
                throw new IOException("closed by " + remote);
            }
        }
    }

    /** Checks the bytes just read against the checksum trailer {@link #readInto} read after them. */
    boolean checksumMatches(MemorySegment[] dsts) {
        crc.reset();
        for (MemorySegment d : dsts) {
            Checksums.update(crc, d);
        }
        return (int) crc.getValue() == trailer.getInt(0);
    }

    ByteBuf readBody(int bytes) throws IOException {
        ByteBuffer body = ByteBuffer.allocate(bytes);
        readFully(body);
        body.flip();
        return Unpooled.wrappedBuffer(body);
    }

    void skip(int bytes) throws IOException {
        ByteBuffer scratch = ByteBuffer.allocate(Math.min(bytes, 64 << 10));
        while (bytes > 0) {
            scratch.clear().limit(Math.min(bytes, scratch.capacity()));
            readFully(scratch);
            bytes -= scratch.limit();
        }
    }

    private void readFully(ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                throw new IOException("closed by " + remote);
            }
        }
    }
}
