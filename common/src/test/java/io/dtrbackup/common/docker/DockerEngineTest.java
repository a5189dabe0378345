package io.dtrbackup.common.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.testsupport.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLServerSocket;
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
        TestPki pki = new TestPki();
        Path bundle = pki.writeClientBundle(tmp.resolve("bundle"));
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
            Path wrong = pki.writeStrangerBundle(tmp.resolve("wrong"));
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
}
