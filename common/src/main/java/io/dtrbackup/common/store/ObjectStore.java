package io.dtrbackup.common.store;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The few object-store operations dtr-backup needs. Blocking: call from a worker thread.
 * {@link MinioObjectStore} talks to MinIO or any S3; tests use an in-memory fake.
 */
public interface ObjectStore {

    /** Creates the bucket when it does not exist. */
    void ensureBucket(String bucket);

    /**
     * Streams {@code data} into an object. With {@code size < 0} the length is unknown and the
     * upload is multipart; if reading {@code data} fails, no object becomes visible (the upload
     * is aborted). Replaces an existing object of the same key.
     */
    ObjectInfo put(String bucket, String key, InputStream data, long size, Map<String, String> userMetadata,
            String contentType);

    /** Opens the object for reading; the caller closes the stream. */
    InputStream get(String bucket, String key);

    /** Opens {@code length} bytes from {@code offset}. */
    InputStream get(String bucket, String key, long offset, long length);

    Optional<ObjectInfo> stat(String bucket, String key);

    /** Every object under the prefix, recursively, with user metadata where the store returns it. */
    List<ObjectInfo> list(String bucket, String prefix);

    /** Removes the object; no error when it does not exist. */
    void remove(String bucket, String key);

    /**
     * The multipart uploads under the prefix that were started and neither completed nor aborted:
     * in-flight ones and the ones a killed writer left. Listing objects never shows them.
     */
    default List<IncompleteUpload> incompleteUploads(String bucket, String prefix) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot list incomplete uploads");
    }

    /** Aborts the upload and frees its parts; no error when it is already gone (completed or aborted). */
    default void abortUpload(IncompleteUpload upload) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot abort uploads");
    }

    default boolean exists(String bucket, String key) {
        return stat(bucket, key).isPresent();
    }
}
