/**
 * Frames over TCP or TLS: the Netty pipeline a server runs (handshake, limits, framing, request handling), the
 * {@code Peer} every request and reply goes through, and {@code DirectLink}, the blocking socket a runtime's data path
 * uses. Knows the protocol, nothing of what the requests mean.
 */
package io.remem.transport;
