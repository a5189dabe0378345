package io.dtrbackup.image.archive;

import io.dtrbackup.common.archive.BoundedPipe;
import io.dtrbackup.common.archive.DigestingInputStream;
import io.dtrbackup.common.archive.TarListing;
import io.dtrbackup.common.docker.DockerEngine;
import io.dtrbackup.image.docker.RegistryVolume;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/**
 * Streams a registry volume from the engine's archive endpoint through {@link VolumeTarRewriter}
 * into a consumer (the staging upload), on two threads joined by a {@link BoundedPipe}: the tar
 * writer on {@code writerExecutor}, the consumer (and the SHA-256) on the calling thread.
 */
public final class VolumeArchiver {
    /** Reads the whole archive; throwing aborts it (an upload stores nothing). */
    @FunctionalInterface
    public interface Upload {
        void consume(InputStream tar) throws Exception;
    }

    /** Progress from the writer side. */
    public interface Progress extends LongConsumer {
        void files(long files);
    }

    /** What was archived; {@code sha256} is null when the archive was made without it (see {@link #archive}). */
    public record Archive(long sizeBytes, String sha256, String crc32c, long entryCount, long fileCount,
            long blobCount, long contentBytes, String listingSha256) {
        /** The same archive with the SHA-256 another party computed over the same bytes. */
        public Archive withSha256(String digest) {
            return new Archive(sizeBytes, digest, crc32c, entryCount, fileCount, blobCount, contentBytes,
                    listingSha256);
        }
    }

    /** The archive could not be produced; the message names the cause and what to do. */
    public static final class ArchiveException extends Exception {
        public ArchiveException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final int pipeChunks;
    private final int chunkSize;

    public VolumeArchiver(int pipeChunks, int chunkSize) {
        this.pipeChunks = pipeChunks;
        this.chunkSize = chunkSize;
    }

    public Archive archive(DockerEngine engine, RegistryVolume volume, Executor writerExecutor, Upload upload,
            Progress progress) throws ArchiveException {
        return archive(engine, volume, writerExecutor, upload, progress, true);
    }

    /**
     * @param sha256 false: only size and CRC32C, for a consumer that computes the SHA-256 itself (crypto-service's
     *     hand-off) and whose result is then cross-checked by the CRC32C
     */
    public Archive archive(DockerEngine engine, RegistryVolume volume, Executor writerExecutor, Upload upload,
            Progress progress, boolean sha256) throws ArchiveException {
        DockerEngine.Response response;
        try {
            // Opened here, before the upload starts: a gone container fails without touching S3.
            response = volume.openArchive(engine);
        } catch (IOException e) {
            throw new ArchiveException(e.getMessage(), e);
        }
        VolumeTarRewriter rewriter = new VolumeTarRewriter(volume.archiveRoot(), volume.mountpoint(),
                volume.createdAt());
        BoundedPipe pipe = new BoundedPipe(pipeChunks, chunkSize);
        TarListing listing = new TarListing();
        CompletableFuture<VolumeTarRewriter.Result> writer;
        try {
            writer = CompletableFuture.supplyAsync(() -> {
                try (DockerEngine.Response r = response; OutputStream sink = pipe.sink()) {
                    return rewriter.rewrite(r.body(), sink, listing, (entries, files) -> progress.files(files));
                } catch (IOException | RuntimeException e) {
                    pipe.fail(e);
                    throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
                } catch (Error e) {
                    pipe.fail(e);
                    throw e;
                }
            }, writerExecutor);
        } catch (RuntimeException e) {
            response.close();
            throw new ArchiveException("could not start the archive writer: " + e, e);
        }

        Exception uploadFailure = null;
        DigestingInputStream digesting = new DigestingInputStream(pipe.source(), progress, sha256);
        try {
            upload.consume(digesting);
        } catch (Exception e) {
            uploadFailure = e;
        } finally {
            try {
                pipe.source().close();
            } catch (IOException ignored) {
                // closing the pipe's reader cannot fail
            }
        }

        VolumeTarRewriter.Result result = null;
        Throwable writerFailure = null;
        try {
            result = writer.join();
        } catch (CompletionException e) {
            writerFailure = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
        }
        if (writerFailure != null && !(writerFailure instanceof BoundedPipe.ReaderClosedException)) {
            throw new ArchiveException("reading volume " + volume.volumeName() + " through container "
                    + volume.containerName() + " failed: " + writerFailure.getMessage(), writerFailure);
        }
        if (uploadFailure != null) {
            throw new ArchiveException(uploadFailure.getMessage(), uploadFailure);
        }
        if (writerFailure != null) {
            throw new ArchiveException("the archive stopped: " + writerFailure.getMessage(), writerFailure);
        }
        if (digesting.bytesRead() == 0) {
            throw new ArchiveException("the upload did not read the archive", null);
        }
        return new Archive(digesting.bytesRead(), sha256 ? digesting.sha256() : null, digesting.crc32c(),
                result.entryCount(), result.fileCount(),
                result.blobCount(), result.contentBytes(), result.listingSha256());
    }
}
