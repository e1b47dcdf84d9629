package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Frames;
import io.remem.protocol.RememException;
import io.remem.protocol.Wire;

/**
 * A request that will be answered later, from any thread. It keeps only what the response must echo, so the
 * request's buffer can be released as soon as the handler returns.
 */
public final class Reply {
    private final Peer peer;
    private final int opcodeCode;
    private final long requestId;
    private final int session;

    Reply(Peer peer, int opcodeCode, long requestId, int session) {
        this.peer = peer;
        this.opcodeCode = opcodeCode;
        this.requestId = requestId;
        this.session = session;
    }

    public void send(int bodySizeHint, BodyWriter body) {
        ByteBuf out = peer.alloc().ioBuffer(Wire.FRAME_OVERHEAD + Math.max(0, bodySizeHint));
        try {
            int start = Frames.beginResponse(out, opcodeCode, requestId, session, 0, 0, 0);
            body.write(out);
            Frames.finish(out, start);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        peer.send(out);
    }

    public void fail(RememException e) {
        peer.replyError(opcodeCode, requestId, session, e.code(), e.detail());
    }

    public void fail(ErrorCode code, String message) {
        peer.replyError(opcodeCode, requestId, session, code, message);
    }
}
