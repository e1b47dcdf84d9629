package io.remem.protocol;

/**
 * A typed remem error: a request that cannot be served locally or that a peer refused. The same type is used
 * on both sides of the wire, so a memory node's refusal reaches the application with its code and message
 * intact.
 */
public class RememException extends RuntimeException {
    private final ErrorCode code;

    public RememException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public RememException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public static RememException malformed(String message) {
        return new RememException(ErrorCode.MALFORMED_FRAME, message);
    }

    @Override
    public String getMessage() {
        return code + ": " + super.getMessage();
    }

    /** The message without the code prefix, as it travels on the wire. */
    public String detail() {
        return super.getMessage();
    }
}
