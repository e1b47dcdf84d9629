package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.transport.BodyWriter;
import io.remem.transport.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/** Answers to requests served on the slow path: the work's answer, or its error, typed. */
final class SlowReplies {
    private static final Logger log = LoggerFactory.getLogger(SlowReplies.class);

    private SlowReplies() {}

    /** An answer's body and a hint of its size. */
    record Answer(int sizeHint, BodyWriter body) {
        static final Answer EMPTY = new Answer(0, out -> {});
    }

    static void respond(Reply reply, Supplier<Answer> work) {
        try {
            Answer a = work.get();
            reply.send(a.sizeHint(), a.body());
        } catch (RememException e) {
            reply.fail(e);
        } catch (RuntimeException e) {
            log.warn("controller request failed", e);
            reply.fail(ErrorCode.INTERNAL, e.toString());
        }
    }
}
