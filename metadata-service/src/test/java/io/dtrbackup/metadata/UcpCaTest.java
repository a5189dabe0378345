package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Fetching {@code <ucp url>/ca} against a tiny loopback HTTP server. */
class UcpCaTest {
    private static final String PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private HttpServer server;
    private String url;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/ca", exchange -> {
            byte[] body = PEM.getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/broken/ca", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void fetchesThePem() throws Exception {
        assertThat(UcpCa.fetch("c1", url + "/", Duration.ofSeconds(5))).isEqualTo(PEM);
    }

    @Test
    void anHttpErrorIsRefusedWithAHint() {
        assertThatThrownBy(() -> UcpCa.fetch("c1", url + "/broken", Duration.ofSeconds(5)))
                .isInstanceOf(DtrBackupCommand.Refused.class).hasMessageContaining("HTTP 404")
                .hasMessageContaining("ucp.caFile");
    }

    @Test
    void anUnreachableUcpIsRefused() {
        server.stop(0);
        assertThatThrownBy(() -> UcpCa.fetch("c1", url, Duration.ofSeconds(2)))
                .isInstanceOf(DtrBackupCommand.Refused.class).hasMessageContaining("cannot fetch the UCP CA");
    }
}
