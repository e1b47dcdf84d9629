package io.remem.transport;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;

import javax.net.ssl.SSLContext;

/**
 * The TLS contexts of one process's outgoing connections, built once from a {@link TlsConfig}: Netty's for the control
 * path, the JDK's for {@link DirectLink}s. Building a context reads and parses PEM files, so it is not done per
 * connection.
 */
public final class ClientTls {
    private final SslContext netty;
    private final SSLContext jdk;

    private ClientTls(SslContext netty) {
        this.netty = netty;
        this.jdk = ((JdkSslContext) netty).context();
    }

    public static ClientTls of(TlsConfig config) {
        return new ClientTls(config.asClient().clientContext());
    }

    SslContext netty() {
        return netty;
    }

    SSLContext jdk() {
        return jdk;
    }
}
