package io.dtrbackup.metadata;

import io.dtrbackup.common.archive.BulkInputStream;
import io.dtrbackup.common.archive.BoundedPipe;
import io.dtrbackup.common.archive.DigestingInputStream;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.common.store.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;

/**
 * Streams a container's stdout into the staging bucket while checking it, in bounded memory:
 *
 * <pre>
 * attach thread --stdout frames--> [pipe] --> upload thread: SHA-256 + size --> ObjectStore.put(size -1)
 *                                                   \--tee--> [pipe] --> walker thread: MetadataTarCheck
 * </pre>
 *
 * The upload only sees end-of-stream once the container exited 0 ({@link #finish(int)}) AND the
 * walker judged the tar valid; otherwise its read throws, the multipart upload is aborted and no
 * object appears. So an object under the staging key is always a complete, checked tar.
 */
final class MetadataCapture {
    private final BoundedPipe stdout;
    private final BoundedPipe tee;
    private final StderrTail stderr;
    private final String dtrVersion;
    private final LongConsumer progress;
    private final CompletableFuture<MetadataTarCheck.Result> check = new CompletableFuture<>();
    private final CompletableFuture<ObjectInfo> upload = new CompletableFuture<>();
    private volatile DigestingInputStream digesting;
    private volatile boolean discarding;
    private volatile String failure;

    /** What was captured; {@code failure} is null when the object was stored and the tar is valid. */
    record Result(ObjectInfo object, long bytes, String sha256, MetadataTarCheck.Result tar, String failure) {
    }

    MetadataCapture(String dtrVersion, int pipeBytes, int stderrBytes, LongConsumer progress) {
        this.stdout = BoundedPipe.ofBytes(pipeBytes);
        this.tee = BoundedPipe.ofBytes(pipeBytes);
        this.stderr = new StderrTail(stderrBytes);
        this.dtrVersion = dtrVersion;
        this.progress = progress;
    }

    /** Starts the upload and the tar walker on two threads of {@code executor}. */
    void start(Executor executor, ObjectStore store, String bucket, String key, Map<String, String> metadata) {
        executor.execute(() -> {
            try {
                check.complete(MetadataTarCheck.inspect(tee.source(), dtrVersion));
            } catch (Throwable e) {
                check.completeExceptionally(e);
            } finally {
                tee.closeReader(); // the tee must never block on a walker that stopped
            }
        });
        executor.execute(() -> {
            try {
                digesting = new DigestingInputStream(new GatedTee(), progress);
                upload.complete(store.put(bucket, key, digesting, -1, metadata, "application/x-tar"));
            } catch (Throwable e) {
                upload.completeExceptionally(e);
            } finally {
                // Whatever happened, nobody reads stdout any more: the attach thread must not block,
                // and the walker must reach an end.
                stdout.closeReader();
                endQuietly(tee);
            }
        });
    }

    /** A stdout frame, from docker-java's attach thread. Blocks while the pipe is full (back-pressure). */
    void stdout(byte[] data) {
        if (discarding) {
            return;
        }
        try {
            stdout.sink().write(data, 0, data.length);
        } catch (IOException e) {
            discarding = true; // the upload has ended (failed); let the container finish
        }
    }

    void stderr(byte[] data) {
        stderr.write(data, 0, data.length);
    }

    /** The container exited and its output is drained: a clean end for exit code 0 only. */
    void finish(int exitCode) {
        if (exitCode == 0) {
            endQuietly(stdout);
        } else {
            fail("docker/dtr backup exited with code " + exitCode);
        }
    }

    /** Ends the capture as failed; the upload is aborted. The first reason wins. */
    void fail(String reason) {
        if (failure == null) {
            failure = reason;
        }
        stdout.fail(new IOException(reason));
    }

    String stderrTail() {
        return stderr.text();
    }

    /** Waits for the upload's outcome. */
    Result await(long timeout, TimeUnit unit) throws InterruptedException {
        ObjectInfo object = null;
        String problem = failure;
        try {
            object = upload.get(timeout, unit);
        } catch (ExecutionException e) {
            if (problem == null) {
                problem = failure != null ? failure : "staging upload failed: " + rootMessage(e.getCause());
            }
        } catch (TimeoutException e) {
            fail("the staging upload did not finish within " + unit.toSeconds(timeout) + " s");
            problem = failure;
        }
        MetadataTarCheck.Result tar = check.getNow(null);
        if (problem == null && failure != null) {
            problem = failure;
        }
        DigestingInputStream d = digesting;
        long bytes = d == null ? 0 : d.bytesRead();
        String sha = problem == null && d != null ? d.sha256() : null;
        return new Result(problem == null ? object : null, bytes, sha, tar, problem);
    }

    /** Signals end-of-data; a reader that already stopped is no error here. */
    private static void endQuietly(BoundedPipe pipe) {
        try {
            pipe.sink().close();
        } catch (IOException readerGone) {
            // the reader has its own outcome
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? t.toString() : message;
    }

    /**
     * The upload's source: stdout bytes, copied to the walker as they pass; end-of-stream only
     * after the walker's verdict, and an exception instead when the tar is invalid.
     */
    private final class GatedTee extends BulkInputStream {
        private final InputStream source = stdout.source();
        private boolean ended;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            int n = source.read(b, off, len);
            if (n > 0) {
                try {
                    tee.sink().write(b, off, n);
                } catch (IOException walkerGone) {
                    // the walker already has its verdict (or failed); it is checked at the end
                }
                return n;
            }
            if (n < 0) {
                endQuietly(tee);
                MetadataTarCheck.Result verdict;
                try {
                    verdict = check.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted waiting for the tar check", e);
                } catch (ExecutionException e) {
                    String reason = "the tar check failed: " + rootMessage(e.getCause());
                    fail(reason);
                    throw new IOException(reason, e.getCause());
                }
                if (!verdict.valid()) {
                    fail(verdict.problem());
                    throw new IOException(verdict.problem());
                }
                ended = true;
            }
            return n;
        }
    }
}
