package io.remem.cli;

import io.remem.protocol.RememException;
import io.remem.transport.TlsConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** TLS flags of a command that connects to the controller. */
final class TlsClientOptions {
    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "Connect with TLS, trusting servers whose certificates chain to this CA (PEM).")
    Path ca;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "With --tls-ca: present this certificate (PEM).")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The key of --tls-cert (PEM, PKCS#8).")
    Path key;

    /** The TLS configuration, or null for plain TCP. */
    TlsConfig config() {
        if (ca == null) {
            if (cert != null || key != null) {
                throw new IllegalArgumentException("--tls-cert: needs --tls-ca");
            }
            return null;
        }
        try {
            return new TlsConfig(cert, key, ca, false);
        } catch (RememException e) {
            throw new IllegalArgumentException("--tls-ca " + ca + ": " + e.detail());
        }
    }
}
