package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Token;
import io.remem.protocol.auth.TokenKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.function.Supplier;

/**
 * The session token this runtime presents to memory nodes: the one the controller granted in the handshake, renewed
 * once half its lifetime has passed. Only opening a connection to a memory node needs it, so renewing costs a control
 * round trip now and then, never one per access. If the controller cannot be reached, the current token is used while
 * it is still valid.
 */
final class SessionTokens implements Supplier<byte[]> {
    private static final Logger log = LoggerFactory.getLogger(SessionTokens.class);

    private static final long RETRY_MILLIS = 5_000;

    private final Clock clock;
    private Supplier<byte[]> renew;
    private volatile Held held;

    private record Held(byte[] bytes, long renewAtMillis, long expiresAtMillis) {}

    SessionTokens(Clock clock) {
        this.clock = clock;
    }

    /** Where fresh tokens come from; set once the controller connection exists. */
    void renewWith(Supplier<byte[]> source) {
        this.renew = source;
    }

    /** Takes a token the controller granted. */
    void accept(byte[] token) {
        Token t = TokenKeys.peek(token);
        long life = Math.max(0, t.expiresAtMillis() - t.issuedAtMillis());
        held = new Held(token.clone(), t.issuedAtMillis() + life / 2, t.expiresAtMillis());
    }

    @Override
    public byte[] get() {
        Held h = held;
        long now = clock.millis();
        if (h == null || now >= h.renewAtMillis) {
            synchronized (this) {
                h = held;
                if (h == null || now >= h.renewAtMillis) {
                    try {
                        accept(renew.get());
                        h = held;
                    } catch (RememException e) {
                        if (h == null || now >= h.expiresAtMillis) {
                            throw new RememException(e.code() == ErrorCode.AUTHENTICATION_FAILED ? e.code()
                                    : ErrorCode.NODE_UNAVAILABLE, "no valid session token: renewing it from the"
                                    + " controller failed (" + e.detail() + ")", e);
                        }
                        log.warn("renewing the session token failed ({}); using the current one until it expires",
                                e.detail());
                        held = new Held(h.bytes, now + RETRY_MILLIS, h.expiresAtMillis); // not on every connect
                        h = held;
                    }
                }
            }
        }
        return h.bytes;
    }
}
