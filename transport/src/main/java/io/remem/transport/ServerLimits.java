package io.remem.transport;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.Wire;

import java.time.Duration;

/**
 * What one server lets its peers hold, so that a peer, hostile or broken, can hurt only itself. Every field is a flag of
 * {@code remem controller} and {@code remem memnode} (docs/security.md).
 *
 * @param maxConnections    connections open at once; one more is answered OVERLOADED and closed
 * @param handshakeTimeout  how long a connection may take to open its session; an idle or slow one is closed then
 * @param preAuthFrameBytes the largest frame accepted before the session is open
 * @param maxPendingBytes   bytes of answers a connection may leave unread before the server stops reading its requests
 * @param frameTimeout      how long one frame may take to arrive once its first bytes did (a half-sent frame)
 */
public record ServerLimits(int maxConnections, Duration handshakeTimeout, int preAuthFrameBytes, int maxPendingBytes,
                           Duration frameTimeout) {
    public static final ServerLimits DEFAULTS = new ServerLimits(1024, Duration.ofSeconds(10),
            Wire.DEFAULT_PRE_AUTH_FRAME_BYTES, 4 << 20, Duration.ofSeconds(30));

    /** Large enough for any HELLO or AUTH this version sends. */
    public static final int MIN_PRE_AUTH_FRAME_BYTES = 1024;

    public ServerLimits {
        if (maxConnections < 1) {
            throw invalid("max connections", maxConnections + " must be at least 1");
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw invalid("handshake timeout", "must be positive");
        }
        if (preAuthFrameBytes < MIN_PRE_AUTH_FRAME_BYTES || preAuthFrameBytes > Wire.MAX_FRAME_BYTES) {
            throw invalid("pre-auth frame limit", preAuthFrameBytes + " is outside " + MIN_PRE_AUTH_FRAME_BYTES + ".."
                    + Wire.MAX_FRAME_BYTES);
        }
        if (maxPendingBytes < 64 << 10) {
            throw invalid("max pending bytes", maxPendingBytes + " is below 64 KiB");
        }
        if (frameTimeout.isNegative() || frameTimeout.isZero()) {
            throw invalid("frame timeout", "must be positive");
        }
    }

    public ServerLimits withMaxConnections(int n) {
        return new ServerLimits(n, handshakeTimeout, preAuthFrameBytes, maxPendingBytes, frameTimeout);
    }

    public ServerLimits withHandshakeTimeout(Duration t) {
        return new ServerLimits(maxConnections, t, preAuthFrameBytes, maxPendingBytes, frameTimeout);
    }

    public ServerLimits withPreAuthFrameBytes(int n) {
        return new ServerLimits(maxConnections, handshakeTimeout, n, maxPendingBytes, frameTimeout);
    }

    public ServerLimits withMaxPendingBytes(int n) {
        return new ServerLimits(maxConnections, handshakeTimeout, preAuthFrameBytes, n, frameTimeout);
    }

    public ServerLimits withFrameTimeout(Duration t) {
        return new ServerLimits(maxConnections, handshakeTimeout, preAuthFrameBytes, maxPendingBytes, t);
    }

    private static RememException invalid(String what, String why) {
        return new RememException(ErrorCode.INVALID_ARGUMENT, what + ": " + why);
    }
}
