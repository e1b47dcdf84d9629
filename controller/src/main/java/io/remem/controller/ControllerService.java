package io.remem.controller;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.RememException;
import io.remem.transport.HelloDecision;
import io.remem.transport.Peer;
import io.remem.transport.RequestHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's request handler, one per connection: authenticates the HELLO, then hands each request to what the
 * session's role may do. Quick requests are answered on the I/O thread; those that wait for memory nodes or the disk
 * run on virtual threads.
 */
final class ControllerService implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(ControllerService.class);

    private final Metadata metadata;
    private final Authenticator authenticator;
    private final ClientRequests clients;
    private final AdminRequests admins;
    private final NodeRequests nodes;
    private final ClientConnections connections;

    ControllerService(Metadata metadata, Authenticator authenticator, ClientRequests clients, AdminRequests admins,
                      NodeRequests nodes, ClientConnections connections) {
        this.metadata = metadata;
        this.connections = connections;
        this.authenticator = authenticator;
        this.clients = clients;
        this.admins = admins;
        this.nodes = nodes;
    }

    @Override
    public HelloDecision onHello(Peer peer, Hello hello) {
        return authenticator.decide(hello);
    }

    @Override
    public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
        switch (peer.attachment()) {
            case Sessions.Client c -> clients.serve(peer, h, body, c);
            case Sessions.Admin a -> admins.serve(peer, h, body);
            case Sessions.Node n -> nodes.serve(peer, h, body, n);
            case null, default -> throw new RememException(ErrorCode.INTERNAL, "unknown session type");
        }
    }

    @Override
    public void onClose(Peer peer) {
        connections.closed(peer);
        if (peer.attachment() instanceof Sessions.Node s && s.node != null && s.node.link == peer) {
            log.info("memory node {} ({}) disconnected", s.node.id, s.node.address());
            metadata.linkClosed(s.node, peer); // under the lock: a registration on a new link may be racing this
        }
    }
}
