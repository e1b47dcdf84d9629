package io.remem.transport;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

/** A {@code HOST:PORT} endpoint, as users type them on the command line and in options. */
public record HostPort(String host, int port) {
    public HostPort {
        if (host == null || host.isBlank()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "port " + port + " is outside 0..65535");
        }
    }

    /**
     * Parses {@code HOST:PORT} ({@code [v6addr]:PORT} for IPv6). {@code what} names the setting in errors,
     * for example "--controller".
     */
    public static HostPort parse(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, what + ": expected HOST:PORT, got nothing");
        }
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, what + ": expected HOST:PORT, got '" + text + "'");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isBlank()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, what + ": no host in '" + text + "'");
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT,
                    what + ": port '" + t.substring(colon + 1) + "' in '" + text + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, what + ": port " + port + " is outside 0..65535");
        }
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
