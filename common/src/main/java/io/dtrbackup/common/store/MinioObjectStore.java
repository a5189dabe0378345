package io.dtrbackup.common.store;

import io.dtrbackup.common.config.CommonConfig;
import io.dtrbackup.common.config.ServiceConfig;
import io.dtrbackup.common.util.Retry;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
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
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@link ObjectStore} on the MinIO Java SDK: MinIO, S3Proxy, AWS S3 or any S3 API. */
public final class MinioObjectStore implements ObjectStore {
    private static final Set<String> TRANSIENT_CODES = Set.of("InternalError", "ServiceUnavailable", "SlowDown",
            "RequestTimeout", "RequestTimeTooSkewed", "OperationAborted");

    private final MinioClient client;
    private final String endpoint;
    private final long partSize;
    private final Retry retry;

    public MinioObjectStore(MinioClient client, String endpoint, long partSize, Retry retry) {
        this.client = client;
        this.endpoint = endpoint;
        this.partSize = partSize;
        this.retry = retry;
    }

    public static MinioObjectStore create(String endpoint, String region, String accessKey, String secretKey,
            long partSize, int maxAttempts) {
        MinioClient client = MinioClient.builder().endpoint(endpoint).region(region).credentials(accessKey, secretKey)
                .build();
        return new MinioObjectStore(client, endpoint, partSize, Retry.of(maxAttempts));
    }

    public static MinioObjectStore fromConfig(ServiceConfig config) {
        return create(config.get(CommonConfig.S3_ENDPOINT), config.get(CommonConfig.S3_REGION),
                new String(ServiceConfig.readSecret(config.get(CommonConfig.S3_ACCESS_KEY_FILE))),
                new String(ServiceConfig.readSecret(config.get(CommonConfig.S3_SECRET_KEY_FILE))),
                config.get(CommonConfig.S3_PART_SIZE_MB) * 1024L * 1024L, config.get(CommonConfig.S3_MAX_ATTEMPTS));
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
