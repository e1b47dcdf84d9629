package io.remem.transport;

import org.slf4j.Logger;

import java.net.InetSocketAddress;

/**
 * Says so when a server runs without TLS. Bound to a loopback address, where only this machine can reach it, that is
 * a note; bound anywhere else it is a warning that names the flags that turn TLS on.
 */
public final class PlainTcp {
    private PlainTcp() {}

    public static void warn(Logger log, String what, InetSocketAddress bound) {
        String text = what + " serves plain TCP on " + bound.getAddress().getHostAddress() + ":" + bound.getPort();
        if (bound.getAddress().isLoopbackAddress()) {
            log.info("{} (loopback only); pass --tls-cert and --tls-key for TLS", text);
        } else {
            log.warn("{}: anyone on the network can read and alter its traffic; pass --tls-cert and --tls-key for TLS"
                    + " (docs/security.md)", text);
        }
    }
}
