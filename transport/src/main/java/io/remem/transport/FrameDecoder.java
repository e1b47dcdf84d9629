package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import io.remem.protocol.Wire;

/**
 * Cuts the byte stream into frames by their length prefix. A frame longer than the limit is refused as soon as its
 * prefix arrives, before anything is buffered; until the connection has a session the limit is only a few KiB, so a
 * peer that has proven nothing cannot make the server hold more. It also notes since when a frame has been half
 * received, for the frame timeout.
 */
final class FrameDecoder extends LengthFieldBasedFrameDecoder {
    private final Peer peer;
    private final int preAuthLimit;
    private long partialSinceNanos;

    FrameDecoder(Peer peer, int preAuthLimit) {
        // failFast: refuse an oversized frame as soon as its length prefix arrives, before buffering it.
        super(Wire.MAX_FRAME_BYTES + Wire.LENGTH_FIELD_BYTES, 0, Wire.LENGTH_FIELD_BYTES, 0, Wire.LENGTH_FIELD_BYTES, true);
        this.peer = peer;
        this.preAuthLimit = preAuthLimit;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (!peer.hasSession() && in.readableBytes() >= Wire.LENGTH_FIELD_BYTES) {
            long length = in.getUnsignedInt(in.readerIndex());
            if (length > preAuthLimit) {
                in.skipBytes(in.readableBytes());
                throw new TooLongFrameException("a frame of " + length + " bytes before the session is open; the limit"
                        + " is " + preAuthLimit);
            }
        }
        Object frame = super.decode(ctx, in);
        if (in.isReadable()) {
            if (partialSinceNanos == 0) {
                partialSinceNanos = System.nanoTime() | 1; // never 0 while a frame is pending
            }
        } else {
            partialSinceNanos = 0;
        }
        return frame;
    }

    /** When the frame now arriving started to, or 0 if none is half received. On the I/O thread. */
    long partialSinceNanos() {
        return partialSinceNanos;
    }
}
