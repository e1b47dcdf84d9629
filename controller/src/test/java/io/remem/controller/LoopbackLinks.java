package io.remem.controller;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HelloDecision;
import io.remem.transport.Peer;
import io.remem.transport.RequestHandler;
import io.remem.transport.ServerLimits;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real, open {@link Peer}s for unit tests, made through the transport's public API: a listener on loopback and
 * connections to it. {@link NodeRecord#placeable()} needs an open link, and {@code Peer}'s constructor is not
 * visible outside its package. Nothing is ever sent on these links.
 */
final class LoopbackLinks implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /**
     * These links never say HELLO, and a server closes a connection that has not opened its session within the
     * handshake timeout; a long one keeps them open for the whole test class.
     */
    private static final ServerLimits LIMITS = ServerLimits.DEFAULTS.withHandshakeTimeout(Duration.ofHours(1));

    private final EventLoops loops = EventLoops.create("controller-test-links", 1);
    private final Connections.Listener listener;
    private final List<Peer> peers = new ArrayList<>();

    LoopbackLinks() {
        listener = Connections.listen(loops, "127.0.0.1", 0, () -> new RequestHandler() {
            @Override
            public HelloDecision onHello(Peer peer, Hello hello) {
                throw new AuthenticationFailure("test listener opens no sessions");
            }

            @Override
            public void onRequest(Peer peer, FrameHeader header, ByteBuf body) {
                throw new RememException(ErrorCode.WRONG_ROLE, "test listener serves nothing");
            }
        }, "controller-test-listener", TIMEOUT, LIMITS, null);
    }

    /** A connected link; {@link Peer#isOpen()} is true. */
    synchronized Peer open() {
        Peer p = Connections.connect(loops, "127.0.0.1", listener.port(), null, "controller-test", TIMEOUT, TIMEOUT);
        peers.add(p);
        assertThat(p.isOpen()).as("freshly connected loopback link is open").isTrue();
        return p;
    }

    /** A link that was connected and is now closed; {@link Peer#isOpen()} is false. */
    Peer closed() throws Exception {
        Peer p = open();
        p.close();
        p.closeFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(p.isOpen()).as("closed loopback link").isFalse();
        return p;
    }

    @Override
    public synchronized void close() {
        for (Peer p : peers) {
            p.close();
        }
        listener.close();
        loops.close();
    }
}
