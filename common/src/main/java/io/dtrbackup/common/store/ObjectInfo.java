package io.dtrbackup.common.store;

import java.time.Instant;
import java.util.Map;

/** What the store knows of one object. User metadata keys are lower-case, without the x-amz-meta- prefix. */
public record ObjectInfo(String bucket, String key, long size, String etag, Instant lastModified,
        Map<String, String> userMetadata) {

    public ObjectInfo {
        userMetadata = userMetadata == null ? Map.of() : Map.copyOf(userMetadata);
    }
}
