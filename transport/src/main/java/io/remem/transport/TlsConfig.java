package io.remem.transport;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import javax.net.ssl.SSLException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS for remem connections, from PEM files: a certificate chain, its private key (PKCS#8, as {@code openssl genpkey}
 * writes it), and the CA that the other side's certificate must chain to. The JDK's TLS provider, TLS 1.3 and 1.2.
 *
 * <ul>
 *   <li>A server needs {@code certChain} and {@code privateKey}. With {@code trustCa} it checks the certificate of a
 *       client that presents one, and with {@code requireClientCert} it refuses clients that present none (mutual
 *       TLS).</li>
 *   <li>A client checks the server's certificate against {@code trustCa} (the JDK's default trust store if null) and
 *       that it names the host dialled; with {@code certChain} and {@code privateKey} it presents its own.</li>
 * </ul>
 */
public record TlsConfig(Path certChain, Path privateKey, Path trustCa, boolean requireClientCert) {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    public TlsConfig {
        if ((certChain == null) != (privateKey == null)) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "TLS: a certificate needs its private key, and a key its certificate");
        }
        if (requireClientCert && trustCa == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "TLS: requiring client certificates needs a CA to check them against");
        }
        for (Path p : new Path[] {certChain, privateKey, trustCa}) {
            if (p != null && !Files.isReadable(p)) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "TLS: cannot read " + p);
            }
        }
    }

    /** A client that trusts {@code ca} and presents no certificate of its own. */
    public static TlsConfig trusting(Path ca) {
        return new TlsConfig(null, null, ca, false);
    }

    /** A server with this certificate and key, checking client certificates against {@code ca} if it is not null. */
    public static TlsConfig server(Path certChain, Path privateKey, Path ca, boolean requireClientCert) {
        if (certChain == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "TLS: a server needs a certificate and its key");
        }
        return new TlsConfig(certChain, privateKey, ca, requireClientCert);
    }

    /** The same files, as a client: trusting {@code trustCa}, presenting {@code certChain} if there is one. */
    public TlsConfig asClient() {
        return new TlsConfig(certChain, privateKey, trustCa, false);
    }

    /** Netty's context for a server socket. */
    public SslContext serverContext() {
        if (certChain == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "TLS: a server needs a certificate and its key");
        }
        try {
            SslContextBuilder b = SslContextBuilder.forServer(certChain.toFile(), privateKey.toFile())
                    .sslProvider(SslProvider.JDK).protocols(PROTOCOLS);
            if (trustCa != null) {
                b.trustManager(trustCa.toFile()).clientAuth(requireClientCert ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw invalid(e);
        }
    }

    /** Netty's context for outgoing connections; it checks the server's host name. */
    public SslContext clientContext() {
        try {
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols(PROTOCOLS)
                    .endpointIdentificationAlgorithm("HTTPS");
            if (trustCa != null) {
                b.trustManager(trustCa.toFile());
            }
            if (certChain != null) {
                b.keyManager(certChain.toFile(), privateKey.toFile());
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw invalid(e);
        }
    }

    private RememException invalid(Exception e) {
        return new RememException(ErrorCode.INVALID_ARGUMENT, "TLS: cannot use " + describe() + ": " + e.getMessage(), e);
    }

    private String describe() {
        return (certChain == null ? "" : "certificate " + certChain + " with key " + privateKey)
                + (trustCa == null ? "" : (certChain == null ? "" : " and ") + "CA " + trustCa);
    }
}
