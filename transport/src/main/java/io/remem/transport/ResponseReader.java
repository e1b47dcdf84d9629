package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.FrameHeader;

/**
 * Turns a successful response into a result. Runs on the I/O thread while the frame is still in hand, so it
 * must copy out whatever it keeps; the buffer is released after it returns.
 */
@FunctionalInterface
public interface ResponseReader<T> {
    T read(FrameHeader header, ByteBuf body);
}
