package io.remem.cli;

import io.remem.protocol.RememException;
import io.remem.transport.TlsConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** TLS flags of a server ({@code remem controller}, {@code remem memnode}). */
final class TlsServerOptions {
    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "This server's certificate chain (PEM). With --tls-key, every connection to it is TLS.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The certificate's private key (PEM, PKCS#8).")
    Path key;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "CA (PEM) that peers' certificates must chain to: client certificates presented to this"
                    + " server, and the servers this process connects to.")
    Path ca;

    @Option(names = "--tls-require-client-cert",
            description = "Refuse clients that present no certificate chaining to --tls-ca (mutual TLS).")
    boolean requireClientCert;

    /** The TLS configuration, or null for plain TCP. */
    TlsConfig config() {
        if (cert == null && key == null) {
            if (requireClientCert) {
                throw new IllegalArgumentException("--tls-require-client-cert: needs --tls-cert and --tls-key");
            }
            return null;
        }
        if (cert == null || key == null) {
            throw new IllegalArgumentException(cert == null ? "--tls-key: needs --tls-cert" : "--tls-cert: needs --tls-key");
        }
        if (requireClientCert && ca == null) {
            throw new IllegalArgumentException("--tls-require-client-cert: needs --tls-ca");
        }
        try {
            TlsConfig c = TlsConfig.server(cert, key, ca, requireClientCert);
            c.serverContext(); // reads the files now, so a bad one is named before anything starts
            return c;
        } catch (RememException e) {
            throw new IllegalArgumentException("--tls-cert " + cert + ": " + e.detail());
        }
    }
}
