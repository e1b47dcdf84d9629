package io.remem.testkit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * A throwaway certificate authority for TLS tests: one self-signed EC P-256 CA per cluster name, issuing
 * leaf certificates as PEM files that Netty's {@code SslContextBuilder} reads.
 *
 * <p>Only the default JCA providers are used (BouncyCastle builds the certificates but is never registered as
 * a provider), so tests see the same crypto as production.
 */
public final class TestPki {

    /** A leaf certificate and key on disk, plus the CA that signed it (the trust anchor peers need). */
    public record Issued(Path cert, Path key, Path ca) {}

    private static final String SIGNATURE = "SHA256withECDSA";
    // Certificates are used the instant they are made; back-dating tolerates a clock step between hosts or JVMs.
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final Duration CA_VALIDITY = Duration.ofDays(30);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final KeyPair caKeys;
    private final X509Certificate caCert;
    private final Path caPem;

    private TestPki(Path dir, KeyPair caKeys, X509Certificate caCert, Path caPem) {
        this.dir = dir;
        this.caKeys = caKeys;
        this.caCert = caCert;
        this.caPem = caPem;
    }

    /** Makes a fresh CA for {@code clusterName} and writes {@code dir/ca.pem}; each call is a distinct CA. */
    public static TestPki create(Path dir, String clusterName) {
        try {
            Files.createDirectories(dir);
            KeyPair keys = newKeyPair();
            X500Name name = new X500Name("CN=remem test CA " + clusterName + ",O=remem");
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name, serial(), Date.from(now.minus(BACKDATE)), Date.from(now.plus(CA_VALIDITY)),
                    name, keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            // PKIX validators (the JDK's included) reject a trust anchor that issues certificates
            // without being marked as a CA.
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    ext.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate cert = sign(builder, keys);
            Path caPem = dir.resolve("ca.pem");
            writePem(caPem, new PemObject("CERTIFICATE", cert.getEncoded()), false);
            return new TestPki(dir, keys, cert, caPem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CA certificate as PEM: the trust anchor for peers of this cluster. */
    public Path caPem() {
        return caPem;
    }

    /** A leaf for {@code name}, valid from now for {@code validity}, for 127.0.0.1, ::1 and localhost. */
    public Issued issue(String name, Duration validity) {
        Instant now = Instant.now();
        return issue(name, now.minus(BACKDATE), now.plus(validity), loopbackNames());
    }

    /** Like {@link #issue} but expired yesterday, while the CA itself is still valid. */
    public Issued issueExpired(String name) {
        Instant now = Instant.now();
        return issue(name, now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)), loopbackNames());
    }

    /** A leaf whose only SubjectAltName is {@code dnsName}, so it fails host checks against loopback. */
    public Issued issueForHost(String name, String dnsName) {
        Instant now = Instant.now();
        return issue(name, now.minus(BACKDATE), now.plus(Duration.ofDays(1)),
                List.of(new GeneralName(GeneralName.dNSName, dnsName)));
    }

    private Issued issue(String name, Instant notBefore, Instant notAfter, List<GeneralName> altNames) {
        try {
            KeyPair keys = newKeyPair();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    caCert, serial(), Date.from(notBefore), Date.from(notAfter),
                    new X500Name("CN=" + name + ",O=remem"), keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            // One certificate per process serves both ends: a node accepts connections and also dials peers.
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(altNames.toArray(GeneralName[]::new)));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    ext.createSubjectKeyIdentifier(keys.getPublic()));
            // Lets path builders pick the right issuer even when two test CAs share a name.
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    ext.createAuthorityKeyIdentifier(caKeys.getPublic()));
            X509Certificate cert = sign(builder, caKeys);

            Path certPem = dir.resolve(name + ".crt.pem");
            Path keyPem = dir.resolve(name + ".key.pem");
            writePem(certPem, new PemObject("CERTIFICATE", cert.getEncoded()), false);
            // The JDK encodes private keys as PKCS#8, the only form Netty reads when BouncyCastle is absent
            // (production); BouncyCastle's own writer would emit "EC PRIVATE KEY" (SEC1) instead.
            writePem(keyPem, new PemObject("PRIVATE KEY", keys.getPrivate().getEncoded()), true);
            return new Issued(certPem, keyPem, caPem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<GeneralName> loopbackNames() {
        return List.of(
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.iPAddress, "::1"),
                new GeneralName(GeneralName.dNSName, "localhost"));
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    // Positive and unique per certificate: some validators reject duplicate serials from one issuer.
    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(SIGNATURE).build(signer.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static void writePem(Path path, PemObject object, boolean secret) throws IOException {
        StringWriter text = new StringWriter();
        try (PemWriter pem = new PemWriter(text)) {
            pem.writeObject(object);
        }
        Files.deleteIfExists(path);
        // Create the key file already private, so it is never readable by others, even briefly.
        if (secret && Files.getFileStore(path.getParent()).supportsFileAttributeView("posix")) {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(path, text.toString(), StandardCharsets.US_ASCII,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }
}
