package io.dtrbackup.common.metrics;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code /health/live} (200 while the service runs), {@code /health/ready} (200 once the service
 * started and its consumers are subscribed, else 503) and {@code /metrics} (Prometheus text) on
 * one plain Vert.x HTTP server. Created on the verticle's context, so its handlers run on the
 * verticle's event loop; a scrape only reads meters.
 */
public final class HealthServer {
    public static final String LIVE = "/health/live";
    public static final String READY = "/health/ready";
    public static final String METRICS = "/metrics";

    private final HttpServer server;

    private HealthServer(HttpServer server) {
        this.server = server;
    }

    /** Listens on all interfaces (probes and scrapers come from outside the pod/container); port 0 = any free one. */
    public static Future<HealthServer> start(Vertx vertx, int port, BooleanSupplier ready, Supplier<String> metrics) {
        return vertx.createHttpServer()
                .requestHandler(request -> handle(request, ready, metrics))
                .listen(port, "0.0.0.0")
                .map(HealthServer::new);
    }

    private static void handle(HttpServerRequest request, BooleanSupplier ready, Supplier<String> metrics) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().setStatusCode(405).putHeader("Allow", "GET, HEAD").end();
            return;
        }
        switch (request.path()) {
            case LIVE -> text(request, 200, "UP\n");
            case READY -> {
                boolean ok = ready.getAsBoolean();
                text(request, ok ? 200 : 503, ok ? "READY\n" : "NOT READY\n");
            }
            case METRICS -> request.response().setStatusCode(200)
                    .putHeader("Content-Type", ServiceMetrics.CONTENT_TYPE).end(metrics.get());
            default -> text(request, 404, "not found: try " + LIVE + ", " + READY + " or " + METRICS + "\n");
        }
    }

    private static void text(HttpServerRequest request, int status, String body) {
        request.response().setStatusCode(status).putHeader("Content-Type", "text/plain; charset=utf-8").end(body);
    }

    /** The port it listens on (the chosen one when configured as 0). */
    public int port() {
        return server.actualPort();
    }

    public Future<Void> close() {
        return server.close();
    }
}
