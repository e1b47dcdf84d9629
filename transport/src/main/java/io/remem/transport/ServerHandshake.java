package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.AuthProof;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Features;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.HelloReply;
import io.remem.protocol.RememException;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Scram;
import io.remem.protocol.auth.Transcript;

import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The server side of one connection's handshake: HELLO, then AUTH when the handler challenged. Runs on the connection's
 * I/O thread. It opens the session on the {@link Peer} only when the handler accepted, after a good proof if one was
 * asked for; any failure of identity is answered with the one AUTHENTICATION_FAILED and closes the connection.
 */
final class ServerHandshake {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Peer peer;
    private final RequestHandler handler;
    private final String localName;
    private Hello hello;
    private HelloReply.Challenge challenge;
    private HelloDecision.Challenge pending;
    private boolean done;

    ServerHandshake(Peer peer, RequestHandler handler, String localName) {
        this.peer = peer;
        this.handler = handler;
        this.localName = localName;
    }

    void onHello(FrameHeader h, ByteBuf body) {
        if (hello != null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "HELLO was already sent on this connection");
        }
        Hello in = Hello.decode(body);
        if (in.version() != Wire.VERSION) {
            throw new RememException(ErrorCode.UNSUPPORTED_VERSION,
                    "client speaks protocol version " + in.version() + "; this server speaks " + Wire.VERSION);
        }
        hello = in;
        peer.assignSessionId(); // before the handler runs, so it can index sessions by id
        HelloDecision decision = handler.onHello(peer, in);
        switch (decision) {
            case HelloDecision.Accept a -> open(h, a, new byte[0]);
            case HelloDecision.AcceptLater later -> openLater(h, later.attachment());
            case HelloDecision.Challenge c -> {
                byte[] nonce = new byte[Hello.NONCE_BYTES];
                RANDOM.nextBytes(nonce);
                challenge = new HelloReply.Challenge(nonce, c.verifier().salt(), c.verifier().iterations());
                pending = c;
                peer.reply(h, 0, 0, 0, 128, challenge::encode);
            }
        }
    }

    void onAuth(FrameHeader h, ByteBuf body) {
        if (pending == null || done) {
            throw new AuthenticationFailure("AUTH without a challenge outstanding");
        }
        AuthProof proof = AuthProof.decode(body);
        HelloDecision.Challenge c = pending;
        pending = null; // one proof per challenge: a wrong guess closes the connection
        byte[] authMessage = Transcript.authMessage(hello, challenge);
        if (!Scram.verify(c.verifier(), authMessage, proof.proof())) {
            throw new AuthenticationFailure("wrong proof for " + hello.role() + " " + hello.principal() + " key "
                    + hello.keyId());
        }
        byte[] binding = Transcript.binding(authMessage);
        peer.bind(binding);
        HelloDecision.Accept a = c.onProof().accept(peer, binding);
        open(h, a, Scram.serverSignature(c.verifier(), authMessage));
    }

    boolean done() {
        return done;
    }

    private int grantedFeatures() {
        return hello.features() & Features.ALL;
    }

    private void open(FrameHeader h, HelloDecision.Accept a, byte[] serverSignature) {
        int session = peer.openSession(a.attachment(), grantedFeatures());
        done = true;
        HelloReply.Accepted ack = new HelloReply.Accepted(Wire.VERSION, session, localName, grantedFeatures(),
                serverSignature, a.grant());
        peer.reply(h, 0, 0, 0, 128 + a.grant().length, ack::encode);
    }

    private void openLater(FrameHeader h, CompletableFuture<?> attachment) {
        Reply reply = peer.replyLater(h);
        attachment.whenComplete((value, error) -> {
            if (error == null) {
                int session = peer.openSession(value, grantedFeatures());
                done = true;
                HelloReply.Accepted ack = new HelloReply.Accepted(Wire.VERSION, session, localName, grantedFeatures(),
                        new byte[0], new byte[0]);
                reply.send(128, ack::encode);
            } else {
                Throwable cause = error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error;
                reply.fail(cause instanceof RememException re ? re : new RememException(ErrorCode.INTERNAL, String.valueOf(cause)));
                peer.closeAfterFlush(); // a failed handshake ends the connection, as at once
            }
        });
    }
}
