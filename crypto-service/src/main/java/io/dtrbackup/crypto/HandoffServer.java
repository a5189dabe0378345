package io.dtrbackup.crypto;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.handoff.HandoffProtocol;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.common.service.ProgressReporter;
import io.dtrbackup.common.store.ObjectStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct hand-off: a producer (image-service) streams a plaintext tar here instead of writing it to
 * the staging bucket, and crypto-service encrypts it into the backup bucket as it arrives. The images tar
 * then crosses the object store once up and once down (verify) instead of twice each way.
 *
 * <pre>
 * PUT /v1/handoff/{clusterId}/{backupId}/{kind}/{artifactName}
 * Authorization: Bearer &lt;token from HANDOFF_TOKEN_FILE&gt;
 * body: the plaintext tar (any length, chunked)
 * 200 {"plaintextBytes":..,"plaintextSha256":"..","plaintextCrc32c":"..","ciphertextBytes":..,"objectKey":".."}
 * 400 bad path, 401 wrong token, 503 all hand-off slots busy, 500 {"error": reason}
 * </pre>
 *
 * Nothing counts as encrypted until the artifact's ArtifactStaged event confirms the receipt's size
 * and SHA-256 (ArtifactEncryption). Any failure leaves no object behind and the producer falls back to
 * staging. A blocking server on its own threads, because the body feeds the blocking encryptor: one
 * thread per hand-off gives back-pressure from the upload to the producer's socket for free.
 */
public final class HandoffServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HandoffServer.class);

    private final HttpServer server;
    private final ExecutorService threads;
    private final Semaphore slots;
    private final byte[] token;
    private final ArtifactEncryption encryption;
    private final Listener listener;

    /** What the service does around a hand-off: announce the phase, report progress. */
    public interface Listener {
        /** A hand-off of this artifact starts; returns where its progress (plaintext bytes so far) goes. */
        ProgressReporter started(String backupId, String clusterId, ArtifactKind kind);
    }

    private HandoffServer(HttpServer server, ExecutorService threads, int slots, byte[] token,
            ArtifactEncryption encryption, Listener listener) {
        this.server = server;
        this.threads = threads;
        this.slots = new Semaphore(slots);
        this.token = token;
        this.encryption = encryption;
        this.listener = listener;
    }

    /** Binds and starts; {@code port} 0 picks a free one ({@link #port()}). */
    public static HandoffServer start(String host, int port, int slots, char[] token, ArtifactEncryption encryption,
            Listener listener) throws IOException {
        if (token == null || token.length < 16) {
            throw new IllegalArgumentException("the hand-off token must be at least 16 characters");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        AtomicInteger n = new AtomicInteger();
        // One more thread than slots, so a busy server still answers 503 at once instead of queueing.
        ExecutorService threads = Executors.newFixedThreadPool(slots + 1, r -> {
            Thread t = new Thread(r, "handoff-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        HandoffServer handoff = new HandoffServer(server, threads, slots,
                new String(token).getBytes(StandardCharsets.UTF_8), encryption, listener);
        server.createContext(HandoffProtocol.PATH, handoff::handle);
        server.setExecutor(threads);
        server.start();
        LOG.info("hand-off endpoint listening on {}:{} ({} at once)", host, handoff.port(), slots);
        return handoff;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"PUT".equals(exchange.getRequestMethod())) {
                reply(exchange, 405, Map.of(HandoffProtocol.ERROR_FIELD, "use PUT"));
                return;
            }
            if (!authorized(exchange.getRequestHeaders().getFirst("Authorization"))) {
                // Say nothing about the token; the producer logs the status and stages instead.
                reply(exchange, 401, Map.of(HandoffProtocol.ERROR_FIELD, "missing or wrong hand-off token"));
                return;
            }
            HandoffProtocol.Target target;
            try {
                target = HandoffProtocol.Target.parse(
                        exchange.getRequestURI().getRawPath().substring(HandoffProtocol.PATH.length()));
            } catch (IllegalArgumentException e) {
                reply(exchange, 400, Map.of(HandoffProtocol.ERROR_FIELD, e.getMessage()));
                return;
            }
            if (!slots.tryAcquire()) {
                reply(exchange, 503, Map.of(HandoffProtocol.ERROR_FIELD, "all hand-off slots are busy; stage the artifact instead"));
                return;
            }
            var scope = BackupLog.scope(target.backupId(), target.clusterId());
            try (InputStream body = exchange.getRequestBody()) {
                LOG.info("hand-off of {} ({}) from {}", target.artifactName(), target.kind().id(),
                        exchange.getRemoteAddress());
                ProgressReporter progress = listener.started(target.backupId(), target.clusterId(), target.kind());
                HandoffReceipt receipt = encryption.receive(target.clusterId(), target.backupId(), target.kind(),
                        target.artifactName(), body, progress);
                progress.finish(receipt.plaintextBytes());
                reply(exchange, 200, new HandoffProtocol.Reply(receipt.plaintextBytes(), receipt.plaintextSha256(),
                        receipt.plaintextCrc32c(), receipt.ciphertextBytes(), receipt.objectKey()));
            } catch (IOException | ObjectStoreException | IllegalStateException e) {
                LOG.warn("hand-off of {} failed, nothing was kept: {}", target.artifactName(), e.toString());
                replyQuietly(exchange, 500, Map.of(HandoffProtocol.ERROR_FIELD, "hand-off failed: " + e.getMessage()));
            } finally {
                slots.release();
                scope.close();
            }
        }
    }

    private boolean authorized(String header) {
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(token, header.substring("Bearer ".length()).getBytes(StandardCharsets.UTF_8));
    }

    private static void replyQuietly(HttpExchange exchange, int status, Object body) {
        try {
            reply(exchange, status, body);
        } catch (IOException | RuntimeException e) {
            // the producer went away: it sees the broken connection
        }
    }

    private static void reply(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] json = EventCodec.mapper().writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, json.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(json);
        }
    }
}
