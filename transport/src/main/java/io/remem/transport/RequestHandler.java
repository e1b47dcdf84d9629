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
     * Decides whether and how to open a session for {@code hello}: at once, later, or after a proof of a secret
     * ({@link HelloDecision}). Throws to refuse, an {@link io.remem.protocol.auth.AuthenticationFailure} for anything
     * that is about identity, so every such refusal looks the same on the wire. {@link Peer#session()} already holds the
     * new session's id.
     */
    HelloDecision onHello(Peer peer, Hello hello) throws RememException;

    /**
     * Serves one request of an open session. Answer with one of {@link Peer}'s reply methods, now or later
     * from another thread. A thrown {@link RememException} becomes an error response with its code; anything
     * else becomes {@code INTERNAL}. Either way the connection stays open.
     */
    void onRequest(Peer peer, FrameHeader header, ByteBuf body) throws RememException;

    /** The connection closed. */
    default void onClose(Peer peer) {}
}
