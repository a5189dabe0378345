package io.dtrbackup.testsupport;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A CA, an engine certificate for localhost (and 127.0.0.1) and a client certificate, as a UCP
 * client bundle and the engines behind UCP have them; written as a client-bundle directory
 * ({@code ca.pem}, {@code cert.pem}, {@code key.pem}).
 */
public final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    public final KeyPair ca = rsa();
    public final X509Certificate caCert;
    public final KeyPair server = rsa();
    public final X509Certificate serverCert;
    public final KeyPair client = rsa();
    public final X509Certificate clientCert;

    public TestPki() {
        try {
            caCert = sign(new X500Name("CN=test ca"), ca, ca.getPrivate(), new X500Name("CN=test ca"), true, null);
            serverCert = sign(new X500Name("CN=engine"), server, ca.getPrivate(), new X500Name("CN=test ca"), false,
                    new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost"),
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            clientCert = sign(new X500Name("CN=client"), client, ca.getPrivate(), new X500Name("CN=test ca"), false,
                    null);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the test PKI", e);
        }
    }

    /** The engine's side: its certificate, and this CA as the only one whose clients it accepts. */
    public SSLContext serverContext() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("engine", server.getPrivate(), "x".toCharArray(), new X509Certificate[] {serverCert, caCert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "x".toCharArray());
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", caCert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Writes a bundle of this PKI's client. */
    public Path writeClientBundle(Path dir) throws IOException {
        return writeBundle(dir, client, clientCert);
    }

    /**
     * Writes a bundle whose {@code ca.pem} is this PKI's CA (the engine's identity checks out) but
     * whose client certificate another CA signed: the engine must refuse it.
     */
    public Path writeStrangerBundle(Path dir) throws IOException {
        TestPki other = new TestPki();
        return writeBundle(dir, other.client, other.clientCert);
    }

    /** ca.pem is always this PKI's CA: the engine's identity is checked against it. */
    public Path writeBundle(Path dir, KeyPair key, X509Certificate cert) throws IOException {
        Files.createDirectories(dir);
        pem(dir.resolve("ca.pem"), caCert);
        pem(dir.resolve("cert.pem"), cert);
        pem(dir.resolve("key.pem"), key.getPrivate());
        return dir;
    }

    private static void pem(Path file, Object o) throws IOException {
        try (Writer w = Files.newBufferedWriter(file); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(o);
        }
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(X500Name subject, KeyPair subjectKey, PrivateKey issuerKey, X500Name issuer,
            boolean isCa, GeneralNames san) throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer,
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minusSeconds(60)),
                Date.from(now.plusSeconds(3600)), subject, subjectKey.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (san != null) {
            b.addExtension(Extension.subjectAlternativeName, false, san);
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
    }
}
