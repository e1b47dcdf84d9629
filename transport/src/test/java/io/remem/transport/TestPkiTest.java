package io.remem.transport;

import io.remem.testkit.TestPki;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509ExtendedKeyManager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TestPki's files, loaded through Netty's {@code SslContextBuilder} exactly as production loads them, then
 * exercised with real handshakes over loopback: blocking JDK sockets on Netty's SSLContext and engine
 * settings, so each side's failure surfaces as a plain exception in its own thread.
 */
@Timeout(10)
class TestPkiTest {
    private static final byte[] PAYLOAD = "remem over tls".getBytes(StandardCharsets.US_ASCII);
    private static final int IO_TIMEOUT_MS = 3_000;

    @TempDir
    Path tmp;

    private TestPki pki;
    private TestPki otherCluster;

    @BeforeEach
    void makeCas() {
        pki = TestPki.create(tmp.resolve("alpha"), "alpha");
        otherCluster = TestPki.create(tmp.resolve("beta"), "beta");
    }

    @Test
    void filesHaveTheFormatAndExtensionsPeersNeed() throws Exception {
        TestPki.Issued node = pki.issue("node-1", Duration.ofHours(1));

        assertThat(node.ca()).isEqualTo(pki.caPem()).hasFileName("ca.pem");
        assertThat(node.cert()).hasFileName("node-1.crt.pem");
        assertThat(node.key()).hasFileName("node-1.key.pem");

        List<X509Certificate> chain = readCerts(node.cert());
        assertThat(chain).hasSize(1);
        X509Certificate leaf = chain.getFirst();
        X509Certificate ca = readCerts(node.ca()).getFirst();
        leaf.verify(ca.getPublicKey());
        assertThat(leaf.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(leaf.getSubjectAlternativeNames()).containsExactlyInAnyOrder(
                List.of(7, "127.0.0.1"), List.of(7, "0:0:0:0:0:0:0:1"), List.of(2, "localhost"));
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);

        // With BouncyCastle on the classpath Netty parses keys through it and would accept other encodings;
        // production has no BouncyCastle, so check the plain-JDK PKCS#8 route Netty falls back to.
        assertThat(Files.readString(node.key()))
                .startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
        assertThat(readKey(node.key()).getAlgorithm()).isEqualTo("EC");

        if (Files.getFileStore(node.key()).supportsFileAttributeView("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(node.key())))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void clientTrustingTheCaHandshakesAndEchoes() throws Exception {
        try (EchoServer server = new EchoServer(serverTls(pki.issue("server", Duration.ofHours(1)), null))) {
            assertThat(echo(clientTls(pki.caPem(), null), server.port(), "127.0.0.1")).isEqualTo(PAYLOAD);
            server.awaitServed();
        }
        try (EchoServer server = new EchoServer(serverTls(pki.issue("server", Duration.ofHours(1)), null))) {
            assertThat(echo(clientTls(pki.caPem(), null), server.port(), "localhost")).isEqualTo(PAYLOAD);
            server.awaitServed();
        }
    }

    @Test
    void clientTrustingAnotherClustersCaRefusesTheServer() throws Exception {
        try (EchoServer server = new EchoServer(serverTls(pki.issue("server", Duration.ofHours(1)), null))) {
            JdkSslContext client = clientTls(otherCluster.caPem(), null);
            assertThatThrownBy(() -> echo(client, server.port(), "127.0.0.1"))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasRootCauseInstanceOf(CertPathBuilderException.class);
        }
    }

    @Test
    void clientRefusesAnExpiredServerCertificate() throws Exception {
        try (EchoServer server = new EchoServer(serverTls(pki.issueExpired("server"), null))) {
            JdkSslContext client = clientTls(pki.caPem(), null);
            assertThatThrownBy(() -> echo(client, server.port(), "127.0.0.1"))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasRootCauseInstanceOf(CertificateExpiredException.class);
        }
    }

    @Test
    void clientRefusesAServerCertificateForAnotherHost() throws Exception {
        try (EchoServer server = new EchoServer(
                serverTls(pki.issueForHost("server", "elsewhere.example"), null))) {
            JdkSslContext client = clientTls(pki.caPem(), null);
            assertThatThrownBy(() -> echo(client, server.port(), "127.0.0.1"))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasRootCauseInstanceOf(CertificateException.class)
                    .hasMessageContaining("127.0.0.1");
        }
    }

    @Test
    void serverRequiringClientAuthAcceptsItsOwnClustersClient() throws Exception {
        try (EchoServer server = new EchoServer(
                serverTls(pki.issue("server", Duration.ofHours(1)), pki.caPem()))) {
            JdkSslContext client = clientTls(pki.caPem(), pki.issue("client", Duration.ofHours(1)));
            assertThat(echo(client, server.port(), "127.0.0.1")).isEqualTo(PAYLOAD);
            server.awaitServed();
        }
    }

    @Test
    void serverRequiringClientAuthRefusesAnotherClustersClient() throws Exception {
        TestPki.Issued serverCert = pki.issue("server", Duration.ofHours(1));
        TestPki.Issued foreign = otherCluster.issue("client", Duration.ofHours(1));

        // The JDK's key manager withholds a certificate whose issuer is not among the CAs the server asks
        // for, so a well-behaved foreign client arrives with no certificate at all.
        try (EchoServer server = new EchoServer(serverTls(serverCert, pki.caPem()))) {
            JdkSslContext polite = clientTls(pki.caPem(), foreign);
            assertThatThrownBy(() -> echo(polite, server.port(), "127.0.0.1")).isInstanceOf(IOException.class);
            assertThatThrownBy(server::awaitServed).cause().isInstanceOf(SSLHandshakeException.class);
        }

        // A hostile client sends it anyway; only the server's trust anchor stands in the way.
        try (EchoServer server = new EchoServer(serverTls(serverCert, pki.caPem()))) {
            JdkSslContext pushy = (JdkSslContext) SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                    .trustManager(pki.caPem().toFile())
                    .keyManager(new AlwaysPresent(readKey(foreign.key()), readCerts(foreign.cert())))
                    .build();
            assertThatThrownBy(() -> echo(pushy, server.port(), "127.0.0.1")).isInstanceOf(IOException.class);
            assertThatThrownBy(server::awaitServed)
                    .cause().isInstanceOf(SSLHandshakeException.class)
                    .hasRootCauseInstanceOf(CertPathBuilderException.class);
        }
    }

    /** The server side as Netty builds it; a non-null {@code clientCa} makes client certificates required. */
    private static JdkSslContext serverTls(TestPki.Issued cert, Path clientCa) throws IOException {
        SslContextBuilder builder = SslContextBuilder.forServer(cert.cert().toFile(), cert.key().toFile())
                .sslProvider(SslProvider.JDK);
        if (clientCa != null) {
            builder.trustManager(clientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
        }
        return (JdkSslContext) builder.build();
    }

    private static JdkSslContext clientTls(Path ca, TestPki.Issued cert) throws IOException {
        SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(ca.toFile());
        if (cert != null) {
            builder.keyManager(cert.cert().toFile(), cert.key().toFile());
        }
        return (JdkSslContext) builder.build();
    }

    /** Connects to 127.0.0.1 but checks the server's certificate against {@code host}. */
    private static byte[] echo(JdkSslContext tls, int port, String host) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), IO_TIMEOUT_MS);
        SSLSocketFactory factory = tls.context().getSocketFactory();
        try (SSLSocket socket = (SSLSocket) factory.createSocket(plain, host, port, true)) {
            socket.setSoTimeout(IO_TIMEOUT_MS);
            // Netty sets hostname verification, protocols and ciphers per engine, not on the SSLContext.
            socket.setSSLParameters(tls.newEngine(ByteBufAllocator.DEFAULT, host, port).getSSLParameters());
            socket.startHandshake();
            socket.getOutputStream().write(PAYLOAD);
            socket.getOutputStream().flush();
            return socket.getInputStream().readNBytes(PAYLOAD.length);
        }
    }

    // Only the JDK, as Netty does when BouncyCastle is absent: PKCS#8 is the one key encoding it understands.
    private static PrivateKey readKey(Path pem) throws Exception {
        String base64 = Files.readString(pem).replaceAll("-----[A-Z ]+-----|\\s", "");
        byte[] der = Base64.getDecoder().decode(base64);
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    private static List<X509Certificate> readCerts(Path pem) throws Exception {
        try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(pem))) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast)
                    .toList();
        }
    }

    /** A client key manager that presents its certificate whatever CAs the server says it accepts. */
    private static final class AlwaysPresent extends X509ExtendedKeyManager {
        private static final String ALIAS = "client";
        private final PrivateKey key;
        private final X509Certificate[] chain;

        AlwaysPresent(PrivateKey key, List<X509Certificate> chain) {
            this.key = key;
            this.chain = chain.toArray(X509Certificate[]::new);
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    /** Accepts one connection and echoes one payload; the outcome, success or failure, lands in a future. */
    private static final class EchoServer implements AutoCloseable {
        private final SSLServerSocket socket;
        private final CompletableFuture<Void> served = new CompletableFuture<>();

        EchoServer(JdkSslContext tls) throws IOException {
            socket = (SSLServerSocket) tls.context().getServerSocketFactory()
                    .createServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
            socket.setSoTimeout(IO_TIMEOUT_MS);
            // Netty applies client auth, protocols and ciphers per engine, not on the SSLContext.
            socket.setSSLParameters(tls.newEngine(ByteBufAllocator.DEFAULT).getSSLParameters());
            Thread.ofPlatform().daemon().name("echo-server").start(this::serveOne);
        }

        int port() {
            return socket.getLocalPort();
        }

        void awaitServed() throws Exception {
            served.get(IO_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }

        private void serveOne() {
            try (SSLSocket peer = (SSLSocket) socket.accept()) {
                peer.setSoTimeout(IO_TIMEOUT_MS);
                peer.startHandshake();
                peer.getOutputStream().write(peer.getInputStream().readNBytes(PAYLOAD.length));
                peer.getOutputStream().flush();
                served.complete(null);
            } catch (Throwable t) {
                served.completeExceptionally(t);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
