package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.RememException;

/**
 * Serves the requests that arrive on a connection. Calls come on the connection's I/O thread, one at a
 * time, after the frame header passed validation.
 */
public interface RequestHandler {
    /**
     * Decides whether to open a session for {@code hello}. Returns what the handler wants to remember about
     * the session (see {@link Peer#attachment()}), or throws to refuse it. It may return a
     * {@link java.util.concurrent.CompletableFuture} of that instead, to answer the HELLO only when it completes.
     * {@link Peer#session()} already holds the new session's id.
     */
    Object onHello(Peer peer, Hello hello) throws RememException;

    /**
     * Serves one request of an open session. Answer with one of {@link Peer}'s reply methods, now or later
     * from another thread. A thrown {@link RememException} becomes an error response with its code; anything
     * else becomes {@code INTERNAL}. Either way the connection stays open.
     */
    void onRequest(Peer peer, FrameHeader header, ByteBuf body) throws RememException;

    /** The connection closed. */
    default void onClose(Peer peer) {}
}
