package io.dtrbackup.contract.events;

import java.time.Instant;

/**
 * An encrypted artifact was read back, decrypted with its MDC checked, and matched its digests,
 * its tar listing and (images) every blob's content digest.
 *
 * @param reverification true when this is a later re-check of a stored backup
 */
public record ArtifactVerified(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Required ArtifactKind kind, @Rules.Text String objectKey, @Rules.NonNegative long plaintextSize,
        @Rules.Matches(Checks.SHA256) String plaintextSha256, @Rules.NonNegative long entryCount, Long blobsChecked, boolean reverification,
        @Rules.NonNegative long durationMs) implements BackupEvent {

    public ArtifactVerified {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("kind", kind);
        Checks.text("objectKey", objectKey);
        Checks.nonNegative("plaintextSize", plaintextSize);
        Checks.sha256("plaintextSha256", plaintextSha256);
        Checks.nonNegative("entryCount", entryCount);
        Checks.nonNegative("durationMs", durationMs);
    }
}
