package io.remem.client;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.Bodies;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.transport.HelloDecision;
import io.remem.transport.Peer;
import io.remem.transport.RequestHandler;

/**
 * What the controller tells a runtime unasked, on the runtime's own connection to it: that a memory node was declared
 * dead or came back ({@link Opcode#NODE_STATE}). Nothing else is accepted from that direction.
 */
final class ControllerEvents implements RequestHandler {
    /** Where the news goes. */
    interface Listener {
        void nodeDown(long nodeId);

        void nodeUp(long nodeId);

        /** A new connection to the controller: news sent while there was none may have been missed. */
        void reconnected();
    }

    static final Listener IGNORE = new Listener() {
        @Override
        public void nodeDown(long nodeId) {}

        @Override
        public void nodeUp(long nodeId) {}

        @Override
        public void reconnected() {}
    };

    private final Listener listener;

    ControllerEvents(Listener listener) {
        this.listener = listener;
    }

    @Override
    public HelloDecision onHello(Peer peer, Hello hello) {
        throw new AuthenticationFailure("a HELLO on a runtime's own connection to the controller");
    }

    @Override
    public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
        if (h.opcode() != Opcode.NODE_STATE) {
            throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not served by a runtime");
        }
        Bodies.expectEnd(body, "nodeState");
        if (h.offset() != 0 && h.offset() != 1) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "NODE_STATE offset " + h.offset() + " is neither 0 (dead) nor 1 (alive)");
        }
        if (h.offset() == 0) {
            listener.nodeDown(h.slabId());
        } else {
            listener.nodeUp(h.slabId());
        }
        peer.reply(h, h.slabId(), h.offset(), 0, 0, out -> {});
    }
}
