package io.dtrbackup.common.store;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.util.Retry;
import com.google.common.collect.HashMultimap;
import com.google.common.collect.Multimap;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InternalException;
import io.minio.errors.ServerException;
import io.minio.messages.Item;
import io.minio.messages.ListMultipartUploadsResult;
import io.minio.messages.ListPartsResult;
import io.minio.messages.Upload;
import io.minio.messages.Part;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** {@link ObjectStore} on the MinIO Java SDK: MinIO, S3Proxy, AWS S3 or any S3 API. */
public final class MinioObjectStore implements ObjectStore {
    private static final Set<String> TRANSIENT_CODES = Set.of("InternalError", "ServiceUnavailable", "SlowDown",
            "RequestTimeout", "RequestTimeTooSkewed", "OperationAborted");

    /** Default number of parts of one upload in flight while the next part is read. */
    public static final int DEFAULT_UPLOAD_CONCURRENCY = 2;
    /** Below this the first part is buffered in a small array: most objects (records, manifests) are tiny. */
    private static final int FIRST_CHUNK = 1 << 20;

    private final MinioClient client;
    private final MinioAsyncClient asyncClient;
    private final String endpoint;
    private final String region;
    private final long partSize;
    private final int uploadConcurrency;
    private final Retry retry;
    /**
     * Part buffers of all uploads of this store together: N+1 per upload, but never more than about
     * half the heap, so two concurrent jobs under -Xmx256m with 64 MiB parts do not run out of memory.
     * An upload always gets its first buffer (it waits for one), and re-uses its own ones after that.
     */
    private final Semaphore bufferBudget;
    private volatile UploadHook hook = UploadHook.NONE;

    /** Uploads of unknown size go through the SDK's own putObject (one part at a time). */
    public MinioObjectStore(MinioClient client, String endpoint, long partSize, Retry retry) {
        this(client, null, endpoint, null, partSize, 1, retry);
    }

    /**
     * With the async client (same endpoint and credentials), uploads of unknown size read the next
     * part while up to {@code uploadConcurrency} parts upload.
     */
    public MinioObjectStore(MinioClient client, MinioAsyncClient asyncClient, String endpoint, String region,
            long partSize, int uploadConcurrency, Retry retry) {
        if (asyncClient != null && (partSize < 5L * 1024 * 1024 || partSize > Integer.MAX_VALUE - 16)) {
            throw new IllegalArgumentException("S3 part size must be between 5 MiB and 2 GiB: " + partSize);
        }
        this.client = client;
        this.asyncClient = asyncClient;
        this.endpoint = endpoint;
        this.region = region;
        this.partSize = partSize;
        this.uploadConcurrency = Math.max(1, uploadConcurrency);
        this.retry = retry;
        long heapParts = Runtime.getRuntime().maxMemory() / 2 / Math.max(1, partSize);
        this.bufferBudget = new Semaphore((int) Math.max(2, Math.min(heapParts, 1024)));
    }

    public static MinioObjectStore create(String endpoint, String region, String accessKey, String secretKey,
            long partSize, int maxAttempts) {
        return create(endpoint, region, accessKey, secretKey, partSize, DEFAULT_UPLOAD_CONCURRENCY, maxAttempts);
    }

    public static MinioObjectStore create(String endpoint, String region, String accessKey, String secretKey,
            long partSize, int uploadConcurrency, int maxAttempts) {
        return create(endpoint, region, accessKey, secretKey, partSize, uploadConcurrency, false, maxAttempts);
    }

    /** @param signPartPayloads hash each part into its request as the SDK does; off: see {@link UnsignedPartsClient} */
    public static MinioObjectStore create(String endpoint, String region, String accessKey, String secretKey,
            long partSize, int uploadConcurrency, boolean signPartPayloads, int maxAttempts) {
        MinioClient client = MinioClient.builder().endpoint(endpoint).region(region).credentials(accessKey, secretKey)
                .build();
        MinioAsyncClient async = MinioAsyncClient.builder().endpoint(endpoint).region(region)
                .credentials(accessKey, secretKey).build();
        return new MinioObjectStore(client, signPartPayloads ? async : new UnsignedPartsClient(async), endpoint,
                region, partSize, uploadConcurrency, Retry.of(maxAttempts));
    }

    public static MinioObjectStore fromConfig(ServiceConfig config) {
        return create(config.get(CommonConfig.S3_ENDPOINT), config.get(CommonConfig.S3_REGION),
                new String(ServiceConfig.readSecret(config.get(CommonConfig.S3_ACCESS_KEY_FILE))),
                new String(ServiceConfig.readSecret(config.get(CommonConfig.S3_SECRET_KEY_FILE))),
                config.get(CommonConfig.S3_PART_SIZE_MB) * 1024L * 1024L,
                config.get(CommonConfig.S3_UPLOAD_CONCURRENCY), config.get(CommonConfig.S3_SIGN_PART_PAYLOADS),
                config.get(CommonConfig.S3_MAX_ATTEMPTS));
    }

    /** Observes multipart uploads (tests: parts in flight, failures injected between parts). */
    interface UploadHook {
        UploadHook NONE = new UploadHook() {
        };

        default void partSubmitted(int partNumber) {
        }

        /** Called on the HTTP thread when a part's request ended, before the part counts as done. */
        default void partDone(int partNumber, Throwable failure) {
        }

        default void aborting(String uploadId) {
        }
    }

    void setUploadHook(UploadHook hook) {
        this.hook = hook == null ? UploadHook.NONE : hook;
    }

    @Override
    public void ensureBucket(String bucket) {
        call("check bucket " + bucket, () -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                try {
                    client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
                } catch (ErrorResponseException e) {
                    String code = e.errorResponse().code();
                    if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) {
                        throw e;
                    }
                }
            }
            return null;
        }, true);
    }

    @Override
    public ObjectInfo put(String bucket, String key, InputStream data, long size, Map<String, String> userMetadata,
            String contentType) {
        // Not retried here: the stream is consumed by the first attempt. The stage re-runs instead.
        if (size < 0 && asyncClient != null) {
            return call("upload " + bucket + "/" + key,
                    () -> putUnknownSize(bucket, key, data, userMetadata, contentType), false);
        }
        return call("upload " + bucket + "/" + key, () -> {
            PutObjectArgs.Builder args = PutObjectArgs.builder().bucket(bucket).object(key)
                    .userMetadata(userMetadata == null ? Map.of() : userMetadata)
                    .contentType(contentType == null ? "application/octet-stream" : contentType);
            if (size >= 0) {
                args.stream(data, size, size > partSize ? partSize : -1);
            } else {
                args.stream(data, -1, partSize);
            }
            var response = client.putObject(args.build());
            return new ObjectInfo(bucket, key, size, response.etag(), null, userMetadata);
        }, false);
    }

    /**
     * Multipart upload that overlaps reading with uploading: part k+1 is read while parts up to k
     * upload (at most {@code uploadConcurrency} at once). Objects smaller than one part are one put.
     * Any failure (the stream, a part, completion) aborts the upload so no object appears.
     */
    private ObjectInfo putUnknownSize(String bucket, String key, InputStream data, Map<String, String> userMetadata,
            String contentType) throws Exception {
        Map<String, String> metadata = userMetadata == null ? Map.of() : userMetadata;
        String type = contentType == null ? "application/octet-stream" : contentType;
        byte[] first = data.readNBytes(FIRST_CHUNK);
        if (first.length < FIRST_CHUNK) {
            return putSmall(bucket, key, first, first.length, userMetadata, metadata, type);
        }
        bufferBudget.acquire();
        int[] held = {1};
        try {
            // Grow towards one part instead of allocating it whole: most artifacts (metadata tars,
            // small volumes) are a few MiB, and a 64 MiB array per upload costs a full GC each in a
            // 256 MiB heap. Doubling copies at most one part's worth in total.
            byte[] buffer = first;
            int filled = first.length;
            first = null;
            while (filled == buffer.length && buffer.length < partSize) {
                buffer = Arrays.copyOf(buffer, (int) Math.min(partSize, 2L * buffer.length));
                filled += readFully(data, buffer, filled);
            }
            if (filled < partSize) {
                return putSmall(bucket, key, buffer, filled, userMetadata, metadata, type);
            }
            Multimap<String, String> headers = HashMultimap.create();
            headers.putAll(PutObjectArgs.builder().bucket(bucket).object(key).userMetadata(metadata)
                    .stream(new ByteArrayInputStream(new byte[0]), 0, -1).build().genHeaders());
            headers.put("Content-Type", type);
            // Retried like any idempotent call: an upload a lost answer leaves open is swept as abandoned.
            String uploadId = call("start upload " + bucket + "/" + key, () -> {
                try {
                    return asyncClient.createMultipartUploadAsync(bucket, region, key, headers, null).get().result()
                            .uploadId();
                } catch (ExecutionException e) {
                    throw unwrap(e);
                }
            }, true);
            return uploadParts(bucket, key, uploadId, data, buffer, filled, held, userMetadata);
        } finally {
            bufferBudget.release(held[0]);
        }
    }

    private ObjectInfo uploadParts(String bucket, String key, String uploadId, InputStream data, byte[] firstBuffer,
            int firstFilled, int[] held, Map<String, String> userMetadata) throws Exception {
        // Free part buffers of this upload; each one counts against the store's budget while held.
        BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(uploadConcurrency + 1);
        Semaphore inFlight = new Semaphore(uploadConcurrency);
        List<CompletableFuture<Part>> parts = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        byte[] buffer = firstBuffer;
        int filled = firstFilled;
        long total = 0;
        try {
            for (int partNumber = 1; buffer != null && filled > 0; partNumber++) {
                total += filled;
                inFlight.acquire();
                if (failure.get() != null) {
                    break;
                }
                parts.add(uploadPart(bucket, key, uploadId, partNumber, buffer, filled, free, inFlight, failure));
                if (filled < partSize) {
                    break;
                }
                buffer = nextBuffer(free, held, failure);
                filled = buffer == null ? 0 : readFully(data, buffer, 0);
            }
            Part[] done = new Part[parts.size()];
            for (int i = 0; i < done.length; i++) {
                try {
                    done[i] = parts.get(i).get();
                } catch (ExecutionException e) {
                    throw unwrap(e);
                }
            }
            if (failure.get() != null) {
                throw unwrap(failure.get());
            }
            try {
                var response = asyncClient.completeMultipartUploadAsync(bucket, region, key, uploadId, done, null, null)
                        .get();
                return new ObjectInfo(bucket, key, total, response.etag(), null, userMetadata);
            } catch (ExecutionException e) {
                throw unwrap(e);
            }
        } catch (Exception | Error e) {
            failure.compareAndSet(null, e);
            // Let parts on the wire end first, or one could land after the abort and leave parts behind.
            for (CompletableFuture<Part> part : parts) {
                try {
                    part.get(2, TimeUnit.MINUTES);
                } catch (Exception ignored) {
                    // its failure, if any, is already the upload's failure or a consequence of it
                }
            }
            abort(bucket, key, uploadId);
            throw e;
        }
    }

    private CompletableFuture<Part> uploadPart(String bucket, String key, String uploadId, int partNumber,
            byte[] buffer, int length, BlockingQueue<byte[]> free, Semaphore inFlight,
            AtomicReference<Throwable> failure) throws Exception {
        hook.partSubmitted(partNumber);
        CompletableFuture<Part> result = new CompletableFuture<>();
        CompletableFuture<io.minio.UploadPartResponse> upload;
        try {
            upload = asyncClient.uploadPartAsync(bucket, region, key, buffer, length, uploadId, partNumber, null, null);
        } catch (Exception e) {
            free.add(buffer);
            inFlight.release();
            throw e;
        }
        upload.whenComplete((response, error) -> {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause()
                    : error;
            try {
                hook.partDone(partNumber, cause);
            } catch (Throwable e) {
                // A hook that throws fails the part, never strands the reader waiting for it.
                cause = cause == null ? e : cause;
            }
            free.add(buffer);
            if (cause != null) {
                failure.compareAndSet(null, cause);
                inFlight.release();
                result.completeExceptionally(cause);
            } else {
                inFlight.release();
                result.complete(new Part(partNumber, response.etag()));
            }
        });
        return result;
    }

    /** A free buffer of this upload, a new one from the budget, or (budget spent) the next one a part gives back. */
    private byte[] nextBuffer(BlockingQueue<byte[]> free, int[] held, AtomicReference<Throwable> failure)
            throws InterruptedException {
        byte[] buffer = free.poll();
        if (buffer != null) {
            return buffer;
        }
        if (held[0] < uploadConcurrency + 1 && bufferBudget.tryAcquire()) {
            held[0]++;
            return new byte[(int) partSize];
        }
        while (failure.get() == null) {
            buffer = free.poll(1, TimeUnit.SECONDS);
            if (buffer != null) {
                return buffer;
            }
        }
        return null;
    }

    private ObjectInfo putSmall(String bucket, String key, byte[] bytes, int length, Map<String, String> userMetadata,
            Map<String, String> metadata, String contentType) throws Exception {
        // The bytes are in memory, so this put can be sent again: the first request after the store came
        // back can meet a pooled connection the restarted server has closed ("Broken pipe").
        var response = call("upload " + bucket + "/" + key, () -> client.putObject(PutObjectArgs.builder()
                .bucket(bucket).object(key).userMetadata(metadata).contentType(contentType)
                .stream(new ByteArrayInputStream(bytes, 0, length), length, -1).build()), true);
        return new ObjectInfo(bucket, key, length, response.etag(), null, userMetadata);
    }

    private void abort(String bucket, String key, String uploadId) {
        try {
            hook.aborting(uploadId);
            retry.call("abort upload " + bucket + "/" + key, () -> {
                try {
                    asyncClient.abortMultipartUploadAsync(bucket, region, key, uploadId, null, null).get();
                    return null;
                } catch (ExecutionException e) {
                    throw unwrap(e);
                }
            }, e -> !(e instanceof ErrorResponseException));
        } catch (RuntimeException e) {
            // The parts stay invisible (no object); a bucket lifecycle rule for incomplete uploads removes them.
            org.slf4j.LoggerFactory.getLogger(MinioObjectStore.class)
                    .warn("Could not abort multipart upload of {}/{}: {}", bucket, key, e.toString());
        }
    }

    private static int readFully(InputStream in, byte[] buffer, int offset) throws IOException {
        int filled = offset;
        while (filled < buffer.length) {
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                break;
            }
            filled += n;
        }
        return filled - offset;
    }

    private static Exception unwrap(Throwable e) {
        Throwable cause = e;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof Exception ex) {
            return ex;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IOException(cause);
    }

    @Override
    public InputStream get(String bucket, String key) {
        return call("download " + bucket + "/" + key,
                () -> client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build()), true);
    }

    @Override
    public InputStream get(String bucket, String key, long offset, long length) {
        return call("download " + bucket + "/" + key + " range " + offset + "+" + length,
                () -> client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).offset(offset)
                        .length(length).build()), true);
    }

    @Override
    public Optional<ObjectInfo> stat(String bucket, String key) {
        return call("stat " + bucket + "/" + key, () -> {
            try {
                StatObjectResponse stat = client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
                return Optional.of(new ObjectInfo(bucket, key, stat.size(), stat.etag(),
                        stat.lastModified() == null ? null : stat.lastModified().toInstant(),
                        lowerCaseKeys(stat.userMetadata())));
            } catch (ErrorResponseException e) {
                String code = e.errorResponse().code();
                if ("NoSuchKey".equals(code) || "NoSuchObject".equals(code) || "NotFound".equals(code)) {
                    return Optional.<ObjectInfo>empty();
                }
                throw e;
            }
        }, true);
    }

    @Override
    public List<ObjectInfo> list(String bucket, String prefix) {
        return call("list " + bucket + "/" + prefix, () -> {
            List<ObjectInfo> objects = new ArrayList<>();
            for (Result<Item> result : client.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
                    .recursive(true).build())) {
                Item item = result.get();
                if (item.isDir()) {
                    continue;
                }
                objects.add(new ObjectInfo(bucket, item.objectName(), item.size(), item.etag(),
                        item.lastModified() == null ? null : item.lastModified().toInstant(), Map.of()));
            }
            return objects;
        }, true);
    }

    @Override
    public List<IncompleteUpload> incompleteUploads(String bucket, String prefix) {
        return call("list incomplete uploads " + bucket + "/" + prefix, () -> {
            List<IncompleteUpload> uploads = new ArrayList<>();
            String keyMarker = null;
            String uploadIdMarker = null;
            while (true) {
                ListMultipartUploadsResult page;
                try {
                    page = asyncClient().listMultipartUploadsAsync(bucket, region, null, null, keyMarker, 1000,
                            prefix, uploadIdMarker, null, null).get().result();
                } catch (ExecutionException e) {
                    throw unwrap(e);
                }
                for (Upload u : page.uploads()) {
                    Instant initiated = u.initiated() == null ? null : u.initiated().toInstant();
                    uploads.add(new IncompleteUpload(bucket, u.objectName(), u.uploadId(), initiated,
                            lastActivity(bucket, u.objectName(), u.uploadId(), initiated)));
                }
                if (!page.isTruncated() || page.nextKeyMarker() == null) {
                    return uploads;
                }
                keyMarker = page.nextKeyMarker();
                uploadIdMarker = page.nextUploadIdMarker();
            }
        }, true);
    }

    /** The newest part's upload time (or the initiation when it has none): what tells a live upload from an abandoned one. */
    private Instant lastActivity(String bucket, String key, String uploadId, Instant initiated) throws Exception {
        Instant newest = initiated;
        Integer marker = null;
        while (true) {
            ListPartsResult parts;
            try {
                parts = asyncClient().listPartsAsync(bucket, region, key, 1000, marker, uploadId, null, null).get()
                        .result();
            } catch (ExecutionException e) {
                Exception cause = unwrap(e);
                if (isNoSuchUpload(cause)) {
                    return newest; // completed or aborted since the listing
                }
                throw cause;
            }
            for (Part p : parts.partList()) {
                if (p.lastModified() != null && (newest == null || p.lastModified().toInstant().isAfter(newest))) {
                    newest = p.lastModified().toInstant();
                }
            }
            if (!parts.isTruncated()) {
                return newest;
            }
            marker = parts.nextPartNumberMarker();
        }
    }

    @Override
    public void abortUpload(IncompleteUpload upload) {
        call("abort upload " + upload.bucket() + "/" + upload.key(), () -> {
            try {
                asyncClient().abortMultipartUploadAsync(upload.bucket(), region, upload.key(), upload.uploadId(), null,
                        null).get();
            } catch (ExecutionException e) {
                Exception cause = unwrap(e);
                if (!isNoSuchUpload(cause)) {
                    throw cause;
                }
            }
            return null;
        }, true);
    }

    private static boolean isNoSuchUpload(Exception e) {
        return e instanceof ErrorResponseException r && "NoSuchUpload".equals(r.errorResponse().code());
    }

    /** The listing and abort calls are on the async client; a store built without one makes its own. */
    private MinioAsyncClient asyncClient() {
        if (asyncClient == null) {
            throw new IllegalStateException("this store was built without an async client (use create/fromConfig)");
        }
        return asyncClient;
    }

    @Override
    public void remove(String bucket, String key) {
        call("remove " + bucket + "/" + key, () -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
            return null;
        }, true);
    }

    private <T> T call(String what, Callable<T> action, boolean retryable) {
        Callable<T> classified = () -> {
            try {
                return action.call();
            } catch (ErrorResponseException e) {
                String code = e.errorResponse().code();
                throw new ObjectStoreException("S3 " + what + " at " + endpoint + " failed: " + code + " ("
                        + e.errorResponse().message() + ")", TRANSIENT_CODES.contains(code), e);
            } catch (ServerException | InternalException e) {
                throw new ObjectStoreException("S3 " + what + " at " + endpoint + " failed: " + e.getMessage(), true, e);
            } catch (ConnectException e) {
                throw new ObjectStoreException("S3 " + what + ": cannot connect to " + endpoint
                        + " (is the object store up and the endpoint right?)", true, e);
            } catch (IOException e) {
                throw new ObjectStoreException("S3 " + what + " at " + endpoint + " failed: " + e, true, e);
            } catch (ObjectStoreException e) {
                throw e;
            } catch (Exception e) {
                // The SDK wraps I/O failures (connection refused, reset) in its own exceptions.
                Throwable io = rootIoCause(e);
                if (io != null) {
                    throw new ObjectStoreException("S3 " + what + ": cannot reach " + endpoint + " (" + io
                            + "); is the object store up and the endpoint right?", true, e);
                }
                throw new ObjectStoreException("S3 " + what + " at " + endpoint + " failed: " + e, false, e);
            }
        };
        if (!retryable) {
            return Retry.unchecked(classified);
        }
        return retry.call(what, classified, e -> e instanceof ObjectStoreException ose && ose.isTransient());
    }

    private static Throwable rootIoCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return t;
            }
        }
        return null;
    }

    private static Map<String, String> lowerCaseKeys(Map<String, String> metadata) {
        Map<String, String> result = new HashMap<>();
        if (metadata != null) {
            metadata.forEach((k, v) -> result.put(k.toLowerCase(Locale.ROOT), v));
        }
        return result;
    }
}
