package io.remem.cli;

import io.remem.transport.ServerLimits;
import picocli.CommandLine.Option;

import java.time.Duration;

/** What one peer may hold of a server: the flags of {@link ServerLimits}. */
final class LimitOptions {
    @Option(names = "--max-connections", defaultValue = "1024", paramLabel = "N",
            description = "Connections open at once; more are refused with OVERLOADED (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--handshake-timeout", defaultValue = "10s", converter = Converters.Time.class, paramLabel = "TIME",
            description = "A connection that has not authenticated by then is closed (default: ${DEFAULT-VALUE}).")
    Duration handshakeTimeout;

    @Option(names = "--pre-auth-frame-limit", defaultValue = "4k", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "Largest frame accepted before a connection authenticates (default: ${DEFAULT-VALUE}).")
    long preAuthFrameBytes;

    @Option(names = "--max-pending-bytes", defaultValue = "4m", converter = Converters.Bytes.class, paramLabel = "SIZE",
            description = "Answers a connection may leave unread before its requests stop being read (default: ${DEFAULT-VALUE}).")
    long maxPendingBytes;

    @Option(names = "--frame-timeout", defaultValue = "30s", converter = Converters.Time.class, paramLabel = "TIME",
            description = "A frame that has begun must arrive whole within this, or the connection is closed (default: ${DEFAULT-VALUE}).")
    Duration frameTimeout;

    ServerLimits limits() {
        if (maxConnections < 1 || maxConnections > 1_000_000) {
            throw new IllegalArgumentException("--max-connections: " + maxConnections + " is outside 1..1000000");
        }
        if (handshakeTimeout.isZero() || handshakeTimeout.isNegative()) {
            throw new IllegalArgumentException("--handshake-timeout: must be positive");
        }
        if (preAuthFrameBytes < ServerLimits.MIN_PRE_AUTH_FRAME_BYTES || preAuthFrameBytes > 1 << 20) {
            throw new IllegalArgumentException("--pre-auth-frame-limit: " + preAuthFrameBytes + " is outside 1k..1m");
        }
        if (maxPendingBytes < 64 << 10 || maxPendingBytes > 1L << 30) {
            throw new IllegalArgumentException("--max-pending-bytes: " + maxPendingBytes + " is outside 64k..1g");
        }
        if (frameTimeout.isZero() || frameTimeout.isNegative()) {
            throw new IllegalArgumentException("--frame-timeout: must be positive");
        }
        return new ServerLimits(maxConnections, handshakeTimeout, (int) preAuthFrameBytes, (int) maxPendingBytes, frameTimeout);
    }
}
