package io.dtrbackup.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.handoff.HandoffProtocol;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hand-off client against a stand-in endpoint (the real one is crypto-service's, see its CryptoHandoffIT). */
class CryptoHandoffTest {
    private static final String TOKEN = "token-0123456789abcdef";
    private HttpServer server;
    private final AtomicReference<String> path = new AtomicReference<>();
    private final AtomicReference<String> authorization = new AtomicReference<>();
    private final AtomicReference<String> encoding = new AtomicReference<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private String serve(int status, boolean echoDigest) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        server.createContext("/v1/handoff/", exchange -> {
            path.set(exchange.getRequestURI().getPath());
            authorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
            encoding.set(exchange.getRequestHeaders().getFirst("Transfer-encoding"));
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            long n = 0;
            try (InputStream in = exchange.getRequestBody()) {
                byte[] buffer = new byte[8192];
                for (int r; (r = in.read(buffer)) > 0; n += r) {
                    sha.update(buffer, 0, r);
                    crc.update(buffer, 0, r);
                }
            }
            String body = echoDigest
                    ? "{\"plaintextBytes\":" + n + ",\"plaintextSha256\":\"" + HexFormat.of().formatHex(sha.digest())
                            + "\",\"plaintextCrc32c\":\"" + String.format("%08x", crc.getValue())
                            + "\",\"ciphertextBytes\":" + (n + 100) + ",\"objectKey\":\"c/b/x.tar.gpg\"}"
                    : "{\"error\":\"all hand-off slots are busy\"}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Test
    void streamsTheTarChunkedWithTheBearerTokenAndReturnsTheReceipt() throws Exception {
        byte[] tar = new byte[3_000_001];
        new Random(4).nextBytes(tar);
        CryptoHandoff handoff = new CryptoHandoff(serve(200, true), TOKEN.toCharArray(), Duration.ofSeconds(30));

        HandoffProtocol.Reply receipt = handoff.send("prod-1", "bk-1", ArtifactKind.IMAGES,
                "dtr-image-backup-20261125-02_00_00.tar", new ByteArrayInputStream(tar));

        assertThat(path.get()).isEqualTo("/v1/handoff/prod-1/bk-1/images/dtr-image-backup-20261125-02_00_00.tar");
        assertThat(authorization.get()).isEqualTo("Bearer " + TOKEN);
        assertThat(encoding.get()).isEqualToIgnoringCase("chunked");
        assertThat(receipt.plaintextBytes()).isEqualTo(tar.length);
        assertThat(receipt.plaintextSha256())
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(tar)));
        assertThat(receipt.objectKey()).isEqualTo("c/b/x.tar.gpg");
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(tar);
        assertThat(receipt.plaintextCrc32c()).isEqualTo(String.format("%08x", crc.getValue()));
    }

    @Test
    void aRefusalIsAHandoffExceptionWithTheStatusAndReasonButNotTheToken() throws Exception {
        CryptoHandoff handoff = new CryptoHandoff(serve(503, false), TOKEN.toCharArray(), Duration.ofSeconds(30));
        assertThatThrownBy(() -> handoff.send("prod-1", "bk-2", ArtifactKind.IMAGES, "x.tar",
                new ByteArrayInputStream(new byte[1000])))
                .isInstanceOf(CryptoHandoff.HandoffException.class)
                .hasMessageContaining("HTTP 503").hasMessageContaining("all hand-off slots are busy")
                .hasMessageNotContaining(TOKEN);
    }

    @Test
    void nobodyListeningIsAHandoffException() throws Exception {
        int port;
        try (var probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        CryptoHandoff handoff = new CryptoHandoff("http://127.0.0.1:" + port, TOKEN.toCharArray(),
                Duration.ofSeconds(5));
        assertThatThrownBy(() -> handoff.send("prod-1", "bk-3", ArtifactKind.IMAGES, "x.tar",
                new ByteArrayInputStream(new byte[10])))
                .isInstanceOf(CryptoHandoff.HandoffException.class).hasMessageContaining("broke")
                .hasMessageNotContaining(TOKEN);
    }
}
