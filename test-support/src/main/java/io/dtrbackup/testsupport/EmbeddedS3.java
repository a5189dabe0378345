package io.dtrbackup.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real S3 API server (S3Proxy) in-process, with SigV4 authentication on (wrong keys get 403)
 * and a filesystem back end, on a free loopback port. {@link #stop()} / {@link #restart()} keep
 * the port and the directory, so stored objects survive a restart.
 */
public final class EmbeddedS3 implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);
    private static final String REGION = "us-east-1";

    private final Path dir;
    private final boolean ownsDir;
    private final int port;
    private final String accessKey;
    private final String secretKey;
    private S3Proxy proxy;
    private boolean closed;

    private EmbeddedS3(Path dir, boolean ownsDir, String accessKey, String secretKey) {
        this.dir = dir;
        this.ownsDir = ownsDir;
        this.port = FreePorts.next();
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /** A random access key of the form S3 clients expect ({@code AKSIM} + 16 hex digits). */
    public static String randomAccessKey() {
        return "AKSIM" + HexFormat.of().withUpperCase().formatHex(randomBytes(8));
    }

    /** A random secret key (40 hex digits). */
    public static String randomSecretKey() {
        return HexFormat.of().formatHex(randomBytes(20));
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /** Starts on a fresh temporary directory, deleted on {@link #close()}. */
    public static EmbeddedS3 start() {
        try {
            return start(Files.createTempDirectory("embedded-s3-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts on the given directory (created if missing); buckets are its sub-directories. The keys
     * are random per instance, so no test can pass by accident with hard-coded keys.
     */
    public static EmbeddedS3 start(Path dir) {
        return start(dir, false, randomAccessKey(), randomSecretKey());
    }

    /** As {@link #start(Path)} with the given keys: the embedded stack keeps its keys across restarts. */
    public static EmbeddedS3 start(Path dir, String accessKey, String secretKey) {
        if (accessKey == null || accessKey.isBlank() || secretKey == null || secretKey.isBlank()) {
            throw new IllegalArgumentException("S3 access and secret key must not be blank");
        }
        return start(dir, false, accessKey, secretKey);
    }

    private static EmbeddedS3 start(Path dir, boolean owns) {
        return start(dir, owns, randomAccessKey(), randomSecretKey());
    }

    private static EmbeddedS3 start(Path dir, boolean owns, String accessKey, String secretKey) {
        QuietLogs.warn("org.gaul", "org.eclipse.jetty", "org.gaul.shaded.org.eclipse.jetty", "jclouds",
                "org.jclouds", "software.amazon.awssdk");
        EmbeddedS3 s3 = new EmbeddedS3(dir.toAbsolutePath(), owns, accessKey, secretKey);
        try {
            Files.createDirectories(s3.dir);
            s3.startServer();
        } catch (IOException e) {
            s3.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            s3.close();
            throw e;
        }
        return s3;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    public String region() {
        return REGION;
    }

    /** The directory holding the buckets (one sub-directory per bucket). */
    public Path dir() {
        return dir;
    }

    public synchronized boolean isRunning() {
        return proxy != null;
    }

    public synchronized void stop() {
        if (proxy == null) {
            return;
        }
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop", e);
        } finally {
            proxy = null;
        }
        LOG.info("S3 {} stopped", endpoint());
    }

    /** Stops (if running) and starts again on the same port and directory. */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        stop();
        startServer();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } finally {
            if (ownsDir) {
                EmbeddedKafka.deleteRecursively(dir);
            }
        }
    }

    private synchronized void startServer() {
        long t0 = System.nanoTime();
        S3Proxy p = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(dir.toString()))
                .endpoint(URI.create(endpoint()))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                // 5 GiB: the most a single PUT may carry on real S3, so clients behave as there.
                .maxSinglePartObjectSize(5L * 1024 * 1024 * 1024)
                .build();
        try {
            p.start(); // Jetty's start is synchronous: the port is bound when it returns
            if (!"STARTED".equals(p.getState())) {
                throw new IllegalStateException("S3Proxy state " + p.getState());
            }
        } catch (Exception e) {
            try {
                p.stop();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("S3Proxy did not start on " + endpoint(), e);
        }
        proxy = p;
        LOG.info("S3 {} ready in {} ms (dir {})", endpoint(), (System.nanoTime() - t0) / 1_000_000, dir);
    }
}
