package io.remem.transport;

import io.netty.buffer.ByteBuf;

/** Writes the body of an outgoing frame. */
@FunctionalInterface
public interface BodyWriter {
    BodyWriter EMPTY = out -> {};

    void write(ByteBuf out);
}
