package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.topics.Topics;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The board's HTTP rules without Kafka: binding, the token, read-only, probes, the event stream. */
class BoardServerTest {
    static final String TOKEN = "s3cr3t-board-token-0123456789";

    @TempDir
    Path tmp;

    Vertx vertx;
    BoardState state;
    BoardServer server;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        state = new BoardState(Map.of(), 10, 10);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(String method, String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.ofString("x"));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aNonLoopbackAddressWithoutATokenIsRefused() {
        assertThatThrownBy(() -> BoardServer.checkBind("0.0.0.0", false)).isInstanceOf(CliException.class)
                .hasMessageContaining("--bind 0.0.0.0 is not a loopback address").hasMessageContaining("--token-file");
        assertThatThrownBy(() -> BoardServer.start(vertx, state, "0.0.0.0", 0, null)).isInstanceOf(CliException.class);
        assertThat(BoardServer.checkBind("127.0.0.1", false).isLoopbackAddress()).isTrue();
        assertThat(BoardServer.checkBind("::1", false).isLoopbackAddress()).isTrue();
        assertThat(BoardServer.checkBind("localhost", false).isLoopbackAddress()).isTrue();
        assertThat(BoardServer.checkBind("0.0.0.0", true).isAnyLocalAddress()).isTrue();
    }

    @Test
    void theCommandRefusesANonLoopbackBindWithoutATokenBeforeItTouchesKafka() throws IOException {
        var r = CommandLineTest.run("board", "--bind", "0.0.0.0", "--bootstrap", "127.0.0.1:1");
        assertThat(r.code()).isEqualTo(ExitCodes.ERROR);
        assertThat(r.err()).contains("not a loopback address").contains("--token-file").doesNotContain("Kafka");
        // A short token is refused too; the message says its length, never its value.
        Path shortToken = tmp.resolve("short");
        Files.writeString(shortToken, "abc123\n");
        var s = CommandLineTest.run("board", "--bind", "0.0.0.0", "--token-file", shortToken.toString(), "--bootstrap", "127.0.0.1:1");
        assertThat(s.code()).isEqualTo(ExitCodes.ERROR);
        assertThat(s.err()).contains("6 characters long").doesNotContain("abc123");
        assertThat(CommandLineTest.run("board", "--help").out()).contains("Example:", "dtr-backup board --port 8080 --clusters clusters.yaml");
    }

    @Test
    void withATokenEveryRequestButTheProbesMustCarryIt() throws Exception {
        server = BoardServer.start(vertx, state, "127.0.0.1", 0, TOKEN.getBytes(StandardCharsets.UTF_8));
        for (String path : List.of("/", "/board.js", "/events", "/snapshot.json", "/nope")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"dtr-backup board\"");
        }
        assertThat(get("/", "Authorization", "Bearer wrong-token-wrong-token").statusCode()).isEqualTo(401);
        assertThat(get("/?token=wrong-token-wrong-token").statusCode()).isEqualTo(401);
        assertThat(get("/", "Cookie", BoardServer.COOKIE + "=" + TOKEN).statusCode()).as("the token is not the cookie")
                .isEqualTo(401);

        HttpResponse<String> page = get("/", "Authorization", "Bearer " + TOKEN);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("script-src 'self'")
                .doesNotContain("unsafe");
        assertThat(page.body()).contains("<script src=\"board.js\"");

        // ?token= sets the session cookie and redirects to the same page without the token.
        HttpResponse<String> login = get("/?token=" + TOKEN);
        assertThat(login.statusCode()).isEqualTo(303);
        assertThat(login.headers().firstValue("Location")).hasValue("/");
        assertThat(login.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
        String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith(BoardServer.COOKIE + "=").containsIgnoringCase("HttpOnly").contains("SameSite=Strict")
                .contains("Path=/").doesNotContain(TOKEN);
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        assertThat(get("/", "Cookie", cookie).statusCode()).isEqualTo(200);
        assertThat(get("/snapshot.json", "Cookie", cookie).body()).contains("\"inFlight\":[]");

        // The probes answer without it (they say nothing about the backups).
        assertThat(get("/health/live").statusCode()).isEqualTo(200);
        assertThat(get("/health/ready").statusCode()).isEqualTo(503);
        state.feed(Topics.STATUS, BoardState.Feed.LIVE, null);
        state.feed(Topics.CLUSTER_STATE, BoardState.Feed.LIVE, null);
        assertThat(get("/health/ready").statusCode()).isEqualTo(200);

        // Nothing the server says gives the token away.
        for (HttpResponse<String> r : List.of(get("/"), login, page)) {
            assertThat(r.body()).doesNotContain(TOKEN);
            assertThat(r.headers().map().toString()).doesNotContain(TOKEN);
        }
    }

    @Test
    void itIsReadOnly() throws Exception {
        server = BoardServer.start(vertx, state, "127.0.0.1", 0, TOKEN.getBytes(StandardCharsets.UTF_8));
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
            HttpResponse<String> r = send(method, "/", "Authorization", "Bearer " + TOKEN);
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
        }
        assertThat(send("POST", "/health/ready").statusCode()).isEqualTo(405);
        HttpResponse<String> head = http.send(HttpRequest.newBuilder(URI.create(base() + "/board.css"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void onLoopbackWithoutATokenThePageIsOpen() throws Exception {
        server = BoardServer.start(vertx, state, "127.0.0.1", 0, null);
        assertThat(get("/").statusCode()).isEqualTo(200);
        assertThat(get("/board.css").headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        assertThat(get("/favicon.svg").statusCode()).isEqualTo(200);
        assertThat(get("/nope").statusCode()).isEqualTo(404);
    }

    @Test
    void theEventStreamStartsWithARetryLineAndTheWholeSnapshot() throws Exception {
        server = BoardServer.start(vertx, state, "127.0.0.1", 0, null);
        state.status(Events.discovered(1));
        HttpResponse<Stream<String>> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/events")).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
        try (Stream<String> lines = r.body()) {
            List<String> first = lines.limit(5).toList();
            assertThat(first.get(0)).isEqualTo("retry: " + BoardServer.RETRY_MS);
            assertThat(first.get(1)).isEmpty();
            assertThat(first.get(2)).isEqualTo("event: snapshot");
            assertThat(first.get(3)).startsWith("data: {").contains("\"backupId\":\"" + Events.BACKUP + "\"");
            assertThat(first.get(4)).isEmpty();
        }
    }
}
