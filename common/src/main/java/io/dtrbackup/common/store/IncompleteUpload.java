package io.dtrbackup.common.store;

import java.time.Instant;

/**
 * A multipart upload that was started and neither completed nor aborted. Its parts are invisible
 * (no object exists under {@code key}) but they take space until the upload is aborted; a writer
 * killed with SIGKILL leaves one behind.
 *
 * @param initiated when the upload was started, or null when the store does not say
 * @param lastActivity the newest of {@code initiated} and the parts' upload times, or null when neither is known:
 *     a live upload adds a part every few seconds, an abandoned one stops
 */
public record IncompleteUpload(String bucket, String key, String uploadId, Instant initiated, Instant lastActivity) {
}
