package io.dtrbackup.discovery;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A loopback TLS server whose certificate the client bundle's CA did not sign: what a cluster
 * sees when its bundle is for another UCP (or the endpoint was swapped). Certificates are made
 * with the openssl CLI; {@link #bundle()} is a client-bundle directory (ca.pem, cert.pem, key.pem).
 */
final class UntrustedTlsEndpoint implements AutoCloseable {
    private final SSLServerSocket server;
    private final Path bundle;
    private final Thread thread;

    private UntrustedTlsEndpoint(SSLServerSocket server, Path bundle) {
        this.server = server;
        this.bundle = bundle;
        this.thread = new Thread(this::serve, "untrusted-tls");
        thread.setDaemon(true);
        thread.start();
    }

    static UntrustedTlsEndpoint start(Path dir) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "bundle/key.pem", "-out",
                "bundle/ca.pem", "-subj", "/CN=bundle-ca", "-days", "2");
        Files.copy(bundle.resolve("ca.pem"), bundle.resolve("cert.pem"));
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "server-key.pem", "-out",
                "server.pem", "-subj", "/CN=127.0.0.1", "-days", "2");
        openssl(dir, "pkcs12", "-export", "-in", "server.pem", "-inkey", "server-key.pem", "-out", "server.p12",
                "-passout", "pass:changeit");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(dir.resolve("server.p12").toFile())) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory()
                .createServerSocket(0, 10, InetAddress.getLoopbackAddress());
        return new UntrustedTlsEndpoint(server, bundle);
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("openssl " + String.join(" ", args) + " failed: " + out);
        }
    }

    private void serve() {
        while (!server.isClosed()) {
            try (SSLSocket socket = (SSLSocket) server.accept()) {
                socket.setSoTimeout(5000);
                socket.startHandshake(); // the client gives up on our certificate
            } catch (IOException expected) {
                // handshake refused by the client, or closing
            }
        }
    }

    String endpoint() {
        return "tcp://127.0.0.1:" + server.getLocalPort();
    }

    Path bundle() {
        return bundle;
    }

    @Override
    public void close() throws Exception {
        server.close();
        thread.join(5000);
    }
}
