package io.dtrbackup.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtrbackup.common.metrics.HealthServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The live board over HTTP: the page ({@code /}, {@code /board.css}, {@code /board.js}, {@code /favicon.svg}, from
 * {@code board/} on the class path), {@code /events} (server-sent events: the whole
 * {@link BoardState.Snapshot} as JSON whenever it changed, at most every {@value #PUSH_MS} ms, and
 * every {@value #REFRESH_MS} ms anyway so ages move; a {@code retry:} line and keep-alive comments),
 * {@code /snapshot.json}, and {@code /health/live} and {@code /health/ready} for probes.
 *
 * <p>Read-only: only GET and HEAD (405 otherwise). Bound to loopback unless told otherwise; any
 * other address needs a token ({@link #checkBind}). With a token every request but the health
 * probes must carry it: {@code Authorization: Bearer TOKEN}, or the session cookie, which a page
 * load with {@code ?token=TOKEN} sets (HttpOnly, SameSite=Strict) before redirecting to the same
 * path without the token, so it leaves the address bar and the history. The cookie holds an HMAC
 * of the token, not the token. All comparisons are constant-time; neither token nor cookie is logged.
 */
final class BoardServer implements AutoCloseable {
    static final long PUSH_MS = 250;
    static final long REFRESH_MS = 10_000;
    static final long KEEP_ALIVE_MS = 15_000;
    static final int RETRY_MS = 3_000;
    static final String COOKIE = "dtr-backup-board";
    static final int MIN_TOKEN_LENGTH = 16;
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final Map<String, String[]> PAGES = Map.of(
            "/", new String[] {"board/index.html", "text/html; charset=utf-8"},
            "/board.css", new String[] {"board/board.css", "text/css; charset=utf-8"},
            "/board.js", new String[] {"board/board.js", "text/javascript; charset=utf-8"},
            "/favicon.svg", new String[] {"board/favicon.svg", "image/svg+xml"});

    private final Vertx vertx;
    private final BoardState state;
    private final byte[] token;
    private final byte[] session;
    private final Map<String, Buffer> pages = new ConcurrentHashMap<>();
    private final Set<HttpServerResponse> streams = ConcurrentHashMap.newKeySet();
    private final ObjectMapper json = new ObjectMapper();
    private HttpServer server;
    private long pushTimer;
    private long keepAliveTimer;
    private long lastPushedVersion = -1;
    private long lastPushAt;

    private BoardServer(Vertx vertx, BoardState state, byte[] token) {
        this.vertx = vertx;
        this.state = state;
        this.token = token;
        this.session = token == null ? null : sessionOf(token);
        PAGES.forEach((path, resource) -> pages.put(path, Buffer.buffer(resource(resource[0]))));
    }

    /**
     * Refuses a non-loopback bind address without a token.
     *
     * @return the resolved address
     */
    static InetAddress checkBind(String bind, boolean hasToken) {
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw new CliException("--bind " + bind + ": not an address of this host");
        }
        if (!address.isLoopbackAddress() && !hasToken) {
            throw new CliException("--bind " + bind + " is not a loopback address: anyone who can reach it would see "
                    + "every cluster's backups. Give --token-file FILE (one line, " + MIN_TOKEN_LENGTH
                    + "+ random characters) so each request must carry the token, or bind 127.0.0.1.");
        }
        return address;
    }

    /** Checks the token's length; returns its bytes. */
    static byte[] checkToken(char[] token) {
        if (token.length < MIN_TOKEN_LENGTH) {
            throw new CliException("the board token is " + token.length + " characters long; use at least "
                    + MIN_TOKEN_LENGTH + " random ones (e.g. head -c 24 /dev/urandom | base64)");
        }
        return new String(token).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Starts listening and pushing. Blocks until the server listens.
     *
     * @param token null for no authentication (loopback only: {@link #checkBind})
     */
    static BoardServer start(Vertx vertx, BoardState state, String bind, int port, byte[] token) {
        checkBind(bind, token != null);
        BoardServer board = new BoardServer(vertx, state, token);
        try {
            board.server = vertx.createHttpServer().requestHandler(board::handle).listen(port, bind)
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new CliException("cannot listen on " + bind + ":" + port + ": " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while starting the board");
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CliException("the board did not start listening on " + bind + ":" + port + " within 30 s");
        }
        board.pushTimer = vertx.setPeriodic(PUSH_MS, id -> board.pushIfDue());
        board.keepAliveTimer = vertx.setPeriodic(KEEP_ALIVE_MS, id -> board.keepAlive());
        return board;
    }

    int port() {
        return server.actualPort();
    }

    private void handle(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        response.putHeader("Cache-Control", "no-store")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("X-Frame-Options", "DENY");
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            response.setStatusCode(405).putHeader("Allow", "GET, HEAD");
            text(response, "the board is read-only: GET and HEAD only\n");
            return;
        }
        String path = request.path();
        if (path.equals(HealthServer.LIVE)) {
            text(response, "UP\n");
            return;
        }
        if (path.equals(HealthServer.READY)) {
            boolean ready = state.ready();
            response.setStatusCode(ready ? 200 : 503);
            text(response, ready ? "READY\n" : "NOT READY: still reading the topics\n");
            return;
        }
        if (token != null && !authorised(request)) {
            return;
        }
        Buffer page = pages.get(path);
        if (page != null) {
            response.putHeader("Content-Type", PAGES.get(path)[1]).putHeader("Content-Security-Policy", CSP);
            if (request.method() == HttpMethod.HEAD) {
                response.putHeader("Content-Length", String.valueOf(page.length())).end();
            } else {
                response.end(page);
            }
            return;
        }
        switch (path) {
            case "/events" -> stream(request);
            case "/snapshot.json" -> response.putHeader("Content-Type", "application/json").end(snapshotJson());
            default -> {
                response.setStatusCode(404);
                text(response, "not found: the board is at /\n");
            }
        }
    }

    /** True when the request carries the token; otherwise it has been answered (401, or 303 setting the cookie). */
    private boolean authorised(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        String header = request.getHeader("Authorization");
        if (header != null && header.startsWith("Bearer ")
                && MessageDigest.isEqual(token, header.substring("Bearer ".length()).getBytes(StandardCharsets.UTF_8))) {
            return true;
        }
        Cookie cookie = request.getCookie(COOKIE);
        if (cookie != null && MessageDigest.isEqual(session, cookie.getValue().getBytes(StandardCharsets.US_ASCII))) {
            return true;
        }
        String query = request.getParam("token");
        if (query != null && MessageDigest.isEqual(token, query.getBytes(StandardCharsets.UTF_8))) {
            response.addCookie(Cookie.cookie(COOKIE, new String(session, StandardCharsets.US_ASCII)).setPath("/")
                    .setHttpOnly(true).setSameSite(CookieSameSite.STRICT));
            response.setStatusCode(303).putHeader("Location", request.path()).end();
            return false;
        }
        response.setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"dtr-backup board\"");
        text(response, "this board needs its token: open /?token=TOKEN once (it sets a session cookie and takes the "
                + "token out of the address), or send 'Authorization: Bearer TOKEN'\n");
        return false;
    }

    private void stream(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        response.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("X-Accel-Buffering", "no");
        if (request.method() == HttpMethod.HEAD) {
            response.end();
            return;
        }
        response.write("retry: " + RETRY_MS + "\n\n");
        response.write(event(snapshotJson()));
        streams.add(response);
        response.closeHandler(v -> streams.remove(response));
        response.exceptionHandler(e -> streams.remove(response));
    }

    private void pushIfDue() {
        long version = state.version();
        long now = System.nanoTime();
        if (version == lastPushedVersion && now - lastPushAt < TimeUnit.MILLISECONDS.toNanos(REFRESH_MS)) {
            return;
        }
        lastPushedVersion = version;
        lastPushAt = now;
        if (streams.isEmpty()) {
            return;
        }
        String message = event(snapshotJson());
        for (HttpServerResponse r : streams) {
            // A client that does not read falls behind by whole snapshots, never by half of one.
            if (!r.writeQueueFull()) {
                r.write(message);
            }
        }
    }

    private void keepAlive() {
        streams.forEach(r -> r.write(": keep-alive\n\n"));
    }

    private static String event(String data) {
        return "event: snapshot\ndata: " + data + "\n\n"; // JSON has no raw newlines: one data line
    }

    String snapshotJson() {
        try {
            return json.writeValueAsString(state.snapshot(Instant.now()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the board snapshot does not serialise", e);
        }
    }

    private static void text(HttpServerResponse response, String body) {
        response.putHeader("Content-Type", "text/plain; charset=utf-8").end(body);
    }

    private static byte[] sessionOf(byte[] token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal("dtr-backup board session".getBytes(StandardCharsets.US_ASCII)))
                    .getBytes(StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = BoardServer.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        vertx.cancelTimer(pushTimer);
        vertx.cancelTimer(keepAliveTimer);
        streams.forEach(r -> r.end());
        streams.clear();
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }
}
