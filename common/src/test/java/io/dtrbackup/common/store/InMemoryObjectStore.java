package io.dtrbackup.common.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * An in-memory {@link ObjectStore} for unit tests (never for integration tests, which use the
 * real S3Proxy). Like S3, an upload whose stream fails leaves no object behind.
 */
public final class InMemoryObjectStore implements ObjectStore {
    private record Stored(byte[] data, Map<String, String> metadata, Instant lastModified) {
    }

    private final Set<String> buckets = ConcurrentHashMap.newKeySet();
    private final Map<String, ConcurrentSkipListMap<String, Stored>> objects = new ConcurrentHashMap<>();
    private volatile boolean unavailable;

    /** Makes every call fail transiently, as an unreachable store would. */
    public void setUnavailable(boolean unavailable) {
        this.unavailable = unavailable;
    }

    @Override
    public void ensureBucket(String bucket) {
        check();
        buckets.add(bucket);
        objects.computeIfAbsent(bucket, b -> new ConcurrentSkipListMap<>());
    }

    @Override
    public ObjectInfo put(String bucket, String key, InputStream data, long size, Map<String, String> userMetadata,
            String contentType) {
        check();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try {
            data.transferTo(buffer);
        } catch (IOException e) {
            throw new ObjectStoreException("upload " + bucket + "/" + key + " aborted: " + e.getMessage(), false, e);
        }
        bucket(bucket).put(key, new Stored(buffer.toByteArray(), Map.copyOf(userMetadata == null ? Map.of()
                : userMetadata), Instant.now()));
        return stat(bucket, key).orElseThrow();
    }

    @Override
    public InputStream get(String bucket, String key) {
        check();
        Stored stored = bucket(bucket).get(key);
        if (stored == null) {
            throw new ObjectStoreException("NoSuchKey: " + bucket + "/" + key, false, null);
        }
        return new ByteArrayInputStream(stored.data());
    }

    @Override
    public InputStream get(String bucket, String key, long offset, long length) {
        byte[] all;
        try (InputStream in = get(bucket, key)) {
            all = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int from = (int) Math.min(offset, all.length);
        int to = (int) Math.min(all.length, offset + length);
        return new ByteArrayInputStream(all, from, to - from);
    }

    @Override
    public Optional<ObjectInfo> stat(String bucket, String key) {
        check();
        Stored stored = bucket(bucket).get(key);
        return Optional.ofNullable(stored).map(s -> new ObjectInfo(bucket, key, s.data().length,
                Integer.toHexString(java.util.Arrays.hashCode(s.data())), s.lastModified(), s.metadata()));
    }

    @Override
    public List<ObjectInfo> list(String bucket, String prefix) {
        check();
        List<ObjectInfo> result = new ArrayList<>();
        bucket(bucket).tailMap(prefix).forEach((key, stored) -> {
            if (key.startsWith(prefix)) {
                result.add(stat(bucket, key).orElseThrow());
            }
        });
        return result;
    }

    @Override
    public void remove(String bucket, String key) {
        check();
        bucket(bucket).remove(key);
    }

    /** Every put here is one call that either stores or leaves nothing: there are never incomplete uploads. */
    @Override
    public List<IncompleteUpload> incompleteUploads(String bucket, String prefix) {
        check();
        return List.of();
    }

    @Override
    public void abortUpload(IncompleteUpload upload) {
        check();
    }

    /** The object's bytes, for assertions. */
    public byte[] bytes(String bucket, String key) {
        Stored stored = bucket(bucket).get(key);
        return stored == null ? null : stored.data().clone();
    }

    public Set<String> keys(String bucket) {
        return Set.copyOf(bucket(bucket).keySet());
    }

    private ConcurrentSkipListMap<String, Stored> bucket(String bucket) {
        if (!buckets.contains(bucket)) {
            throw new ObjectStoreException("NoSuchBucket: " + bucket, false, null);
        }
        return objects.get(bucket);
    }

    private void check() {
        if (unavailable) {
            throw new ObjectStoreException("store unavailable (test)", true, null);
        }
    }
}
