package io.dtrbackup.image.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.common.clusters.ClusterSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming client against in-process servers: a unix socket, and tcp with mutual TLS. */
class DockerEngineTest {
    private static final Duration T = Duration.ofSeconds(10);

    @Test
    void speaksHttpOverAUnixSocketAndNegotiatesTheApiVersion(@TempDir Path tmp) throws Exception {
        Path socket = tmp.resolve("docker.sock");
        List<String> requests = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread t = new Thread(() -> serve(() -> {
                SocketChannel c = server.accept();
                return new Conn(Channels.newInputStream(c), Channels.newOutputStream(c), c);
            }, requests, 3));
            t.setDaemon(true);
            t.start();

            DockerEngine engine = DockerEngine.unix(socket, T, T);
            assertThat(engine.apiPrefix()).isEqualTo("/v1.40"); // the fake engine says 1.40: older than ours
            try (DockerEngine.Response r = engine.get("/v1.40/containers/abc/archive?path=%2Fstorage")) {
                assertThat(r.status()).isEqualTo(200);
                assertThat(new String(r.body().readAllBytes(), StandardCharsets.UTF_8))
                        .isEqualTo("GET /v1.40/containers/abc/archive?path=%2Fstorage".repeat(1000));
            }
            assertThatThrownBy(() -> engine.getJson("/v1.40/volumes/missing"))
                    .isInstanceOfSatisfying(DockerApiException.class, e -> assertThat(e.isNotFound()).isTrue())
                    .hasMessageContaining("no such volume");
        }
        assertThat(requests.get(0)).startsWith("GET /version HTTP/1.1\r\nHost: docker\r\n");
    }

    @Test
    void speaksMutualTlsWithAClientBundle(@TempDir Path tmp) throws Exception {
        Pki pki = new Pki();
        Path bundle = Files.createDirectory(tmp.resolve("bundle"));
        pki.writeBundle(bundle, pki.client, pki.clientCert);
        List<String> requests = new CopyOnWriteArrayList<>();
        try (SSLServerSocket server = (SSLServerSocket) pki.serverContext().getServerSocketFactory()
                .createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(true);
            Thread t = new Thread(() -> serve(() -> {
                Socket s = server.accept();
                return new Conn(s.getInputStream(), s.getOutputStream(), s);
            }, requests, 3));
            t.setDaemon(true);
            t.start();
            String endpoint = "tcp://localhost:" + server.getLocalPort();

            DockerEngine engine = DockerEngine.forEndpoint(new ClusterSpec.DockerEndpoint(endpoint, bundle, false), T, T);
            assertThat(engine.apiPrefix()).isEqualTo("/v1.40");
            try (DockerEngine.Response r = engine.get("/v1.40/containers/x/archive?path=%2Fstorage")) {
                assertThat(new String(r.body().readAllBytes(), StandardCharsets.UTF_8))
                        .isEqualTo("GET /v1.40/containers/x/archive?path=%2Fstorage".repeat(1000));
            }

            // A bundle whose certificate the engine's CA did not sign is refused by the handshake.
            Pki other = new Pki();
            Path wrong = Files.createDirectory(tmp.resolve("wrong"));
            pki.writeBundle(wrong, other.client, other.clientCert);
            DockerEngine stranger = DockerEngine.forEndpoint(new ClusterSpec.DockerEndpoint(endpoint, wrong, false), T, T);
            assertThatThrownBy(stranger::apiPrefix).isInstanceOf(DockerApiException.class);
        }
        assertThat(requests.get(0)).startsWith("GET /version HTTP/1.1\r\nHost: localhost:");
    }

    @Test
    void refusesPlainTcpUnlessAllowed() {
        assertThatThrownBy(() -> DockerEngine.forEndpoint(new ClusterSpec.DockerEndpoint("tcp://localhost:2375", null,
                false), T, T)).hasMessageContaining("refusing plain tcp");
        assertThat(DockerEngine.forEndpoint(new ClusterSpec.DockerEndpoint("tcp://localhost:2375", null, true), T, T)
                .endpoint()).isEqualTo("tcp://localhost:2375");
        assertThat(DockerEngine.minVersion("1.41", "1.41")).isEqualTo("1.41");
        assertThat(DockerEngine.minVersion("1.43", "1.41")).isEqualTo("1.41");
        assertThat(DockerEngine.minVersion("1.39", "1.41")).isEqualTo("1.39");
        assertThat(DockerEngine.minVersion("1.9", "1.41")).isEqualTo("1.9");
    }

    // ------------------------------------------------------------------------- fake engine

    record Conn(InputStream in, OutputStream out, AutoCloseable closer) {
    }

    interface Acceptor {
        Conn accept() throws Exception;
    }

    /** Answers /version, 404 for volumes, and a chunked echo of the request line otherwise. */
    private static void serve(Acceptor acceptor, List<String> requests, int count) {
        for (int i = 0; i < count; i++) {
            try {
                Conn c = acceptor.accept();
                try (AutoCloseable closer = c.closer()) {
                    ByteArrayOutputStream head = new ByteArrayOutputStream();
                    int b;
                    while ((b = c.in().read()) >= 0) {
                        head.write(b);
                        byte[] h = head.toByteArray();
                        int n = h.length;
                        if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                            break;
                        }
                    }
                    String request = head.toString(StandardCharsets.ISO_8859_1);
                    requests.add(request);
                    String line = request.substring(0, request.indexOf("\r\n"));
                    String path = line.split(" ")[1];
                    OutputStream out = c.out();
                    if (path.equals("/version")) {
                        String json = "{\"ApiVersion\":\"1.40\",\"Version\":\"19.03.15\"}";
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + json.length()
                                + "\r\n\r\n" + json).getBytes(StandardCharsets.ISO_8859_1));
                    } else if (path.contains("/volumes/")) {
                        String json = "{\"message\":\"get missing: no such volume\"}";
                        out.write(("HTTP/1.1 404 Not Found\r\nContent-Length: " + json.length() + "\r\n\r\n" + json)
                                .getBytes(StandardCharsets.ISO_8859_1));
                    } else {
                        out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        String lineBack = line.substring(0, line.lastIndexOf(' '));
                        for (int k = 0; k < 1000; k++) {
                            byte[] data = lineBack.getBytes(StandardCharsets.ISO_8859_1);
                            out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                            out.write(data);
                            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        }
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.flush();
                }
            } catch (Exception e) {
                // a refused handshake ends that connection; keep serving the next
            }
        }
    }

    /** A CA, an engine certificate for localhost and a client certificate, as a UCP bundle has them. */
    static final class Pki {
        final KeyPair ca = rsa();
        final X509Certificate caCert;
        final KeyPair server = rsa();
        final X509Certificate serverCert;
        final KeyPair client = rsa();
        final X509Certificate clientCert;

        Pki() throws Exception {
            caCert = sign(new X500Name("CN=test ca"), ca, ca.getPrivate(), new X500Name("CN=test ca"), true, null);
            serverCert = sign(new X500Name("CN=engine"), server, ca.getPrivate(), new X500Name("CN=test ca"), false,
                    new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost"),
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            clientCert = sign(new X500Name("CN=client"), client, ca.getPrivate(), new X500Name("CN=test ca"), false, null);
        }

        SSLContext serverContext() throws Exception {
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

        /** ca.pem is always this PKI's CA: the engine's identity is checked against it. */
        void writeBundle(Path dir, KeyPair key, X509Certificate cert) throws IOException {
            pem(dir.resolve("ca.pem"), caCert);
            pem(dir.resolve("cert.pem"), cert);
            pem(dir.resolve("key.pem"), key.getPrivate());
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
                    BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)),
                    Date.from(now.plusSeconds(3600)), subject, subjectKey.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            if (san != null) {
                b.addExtension(Extension.subjectAlternativeName, false, san);
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
        }
    }
}
