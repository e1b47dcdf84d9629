package io.remem.protocol.auth;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

/**
 * The one error every authentication failure becomes on the wire: {@link ErrorCode#AUTHENTICATION_FAILED} with the same
 * message, whether the name is unknown, the proof wrong or the token expired, so a peer learns nothing from which.
 * {@link #reason()} keeps the real cause for the server's own log.
 */
public final class AuthenticationFailure extends RememException {
    public static final String MESSAGE = "authentication failed";
    private final String reason;

    public AuthenticationFailure(String reason) {
        super(ErrorCode.AUTHENTICATION_FAILED, MESSAGE);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
