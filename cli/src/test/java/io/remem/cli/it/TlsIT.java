package io.remem.cli.it;

import io.remem.client.FarSegment;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Secret;
import io.remem.testkit.TestPki;
import io.remem.transport.TlsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS on every connection, with real processes and certificates of the test's own CA: runtime to controller and to
 * memory nodes, memory nodes to the controller, and memory node to memory node when a slab is copied. Refused: plain
 * TCP, another CA, an expired certificate, and, under mutual TLS, a client without a certificate of the cluster's CA.
 */
class TlsIT {
    @TempDir
    Path dir;

    private static List<String> serverFlags(TestPki.Issued cert) {
        return List.of("--tls-cert", cert.cert().toString(), "--tls-key", cert.key().toString(), "--tls-ca",
                cert.ca().toString());
    }

    @Test
    void everyConnectionIsTlsAndACopyBetweenNodesWorksOverIt() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "cluster");
        TestPki.Issued server = pki.issue("server", Duration.ofDays(1));
        List<String> flags = serverFlags(server);
        try (ProcessCluster cluster = ProcessCluster.start(dir, 3, "96m", withSlabSize(flags), flags,
                TlsConfig.trusting(pki.caPem()));
             RememSession s = cluster.connect(RememOptions.builder().tenant("secure").cacheBytes(1 << 20).build())) {
            assertThat(cluster.controller().output()).contains("(TLS)");
            FarSegment data = s.memory().allocate(12L << 20);
            try (CheckedWorkload w = new CheckedWorkload(s, data, true)) {
                w.awaitProgress(5_000);
                // A node dies: its slabs are copied again, node to node, over TLS with the controller's capability.
                cluster.nodes().get(0).kill();
                cluster.awaitRepaired();
                w.awaitProgress(5_000);
                w.stopAndCheck();
            }
            assertThat(cluster.status().repair().copiedSlabs()).as("slabs were copied between nodes").isPositive();

            // Plain TCP to a TLS server gets no session.
            RememOptions plain = RememOptions.builder().tenant("secure").secret(cluster.secretOf("secure"))
                    .cacheBytes(1 << 20).connectTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(3)).build();
            assertThatThrownBy(() -> Remem.connect(cluster.controllerAddress(), plain).close())
                    .isInstanceOf(RememException.class);

            // A client trusting another cluster's CA refuses the server.
            TestPki other = TestPki.create(dir.resolve("other"), "other");
            RememOptions wrongCa = plain.toBuilder().tls(other.caPem()).build();
            assertThatThrownBy(() -> Remem.connect(cluster.controllerAddress(), wrongCa).close())
                    .isInstanceOfSatisfying(RememException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.NODE_UNAVAILABLE);
                        assertThat(e.getMessage()).contains("TLS handshake").contains("CA");
                    });
        }
    }

    @Test
    void mutualTlsRefusesClientsWithoutACertificateOfTheCluster() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "cluster");
        TestPki.Issued server = pki.issue("server", Duration.ofDays(1));
        TestPki.Issued client = pki.issue("client", Duration.ofDays(1));
        List<String> flags = new ArrayList<>(serverFlags(server));
        flags.add("--tls-require-client-cert");
        try (ProcessCluster cluster = ProcessCluster.start(dir, 2, "64m", withSlabSize(flags), flags,
                new TlsConfig(client.cert(), client.key(), pki.caPem(), false))) {
            try (RememSession s = cluster.connect(RememOptions.builder().tenant("mtls").cacheBytes(1 << 20).build())) {
                FarSegment seg = s.memory().allocate(1 << 20);
                seg.set(ValueLayout.JAVA_LONG, 8, 42);
                s.memory().flush();
                assertThat(seg.get(ValueLayout.JAVA_LONG, 8)).isEqualTo(42);
            }
            RememOptions noCert = RememOptions.builder().tenant("mtls").secret(cluster.secretOf("mtls"))
                    .tls(pki.caPem()).cacheBytes(1 << 20).connectTimeout(Duration.ofSeconds(2))
                    .requestTimeout(Duration.ofSeconds(3)).build();
            assertThatThrownBy(() -> Remem.connect(cluster.controllerAddress(), noCert).close())
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code())
                            .isIn(ErrorCode.NODE_UNAVAILABLE, ErrorCode.CONNECTION_CLOSED));
            TestPki other = TestPki.create(dir.resolve("other"), "other");
            TestPki.Issued foreign = other.issue("foreign", Duration.ofDays(1));
            RememOptions foreignCert = noCert.toBuilder().tlsClientCertificate(foreign.cert(), foreign.key()).build();
            assertThatThrownBy(() -> Remem.connect(cluster.controllerAddress(), foreignCert).close())
                    .isInstanceOf(RememException.class);
        }
    }

    @Test
    void aServerWithAnExpiredCertificateIsRefused() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "cluster");
        TestPki.Issued expired = pki.issueExpired("expired");
        int port = ProcessCluster.freePort();
        try (RememProcess controller = RememProcess.start("controller", dir.resolve("logs"), "controller", "--listen",
                "127.0.0.1:" + port, "--data-dir", dir.resolve("data").toString(), "--tls-cert", expired.cert().toString(),
                "--tls-key", expired.key().toString())) {
            controller.await("remem controller listening on (\\S+)", ProcessCluster.START);
            RememOptions o = RememOptions.builder().tenant("t").secret(Secret.generate(new SecureRandom()))
                    .tls(pki.caPem()).cacheBytes(1 << 20).build();
            assertThatThrownBy(() -> Remem.status("127.0.0.1:" + port, o))
                    .isInstanceOfSatisfying(RememException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.NODE_UNAVAILABLE);
                        assertThat(e.getMessage()).contains("TLS handshake").contains("expired");
                    });
        }
    }

    private static List<String> withSlabSize(List<String> flags) {
        List<String> all = new ArrayList<>(flags);
        all.addAll(List.of("--slab-size", "4m"));
        return all;
    }
}
