package io.dtrbackup.contract.events;

import java.time.Instant;

/**
 * A plaintext artifact is complete in the staging bucket.
 *
 * @param artifactName the seed's file name without {@code .gpg}, e.g. {@code dtr-image-backup-20261125-02_00_00.tar}
 * @param entryCount tar entries in the artifact
 * @param listingSha256 SHA-256 of the entry names, each followed by a newline, in archive order
 * @param topFolder the metadata tar's top folder (metadata only)
 * @param blobCount registry blobs in the archive (images only)
 */
public record ArtifactStaged(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Required ArtifactKind kind, @Rules.Text String artifactName, @Rules.Text String stagingKey,
        @Rules.NonNegative long sizeBytes, @Rules.Matches(Checks.SHA256) String sha256, @Rules.NonNegative long entryCount,
        @Rules.Matches(Checks.SHA256) String listingSha256, @Rules.Text String dtrVersion, String topFolder, Long blobCount,
        @Rules.NonNegative long durationMs) implements BackupEvent {

    public ArtifactStaged {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("kind", kind);
        Checks.text("artifactName", artifactName);
        Checks.text("stagingKey", stagingKey);
        Checks.nonNegative("sizeBytes", sizeBytes);
        Checks.sha256("sha256", sha256);
        Checks.nonNegative("entryCount", entryCount);
        Checks.sha256("listingSha256", listingSha256);
        Checks.text("dtrVersion", dtrVersion);
        Checks.nonNegative("durationMs", durationMs);
    }
}
