package io.dtrbackup.contract.events;

import java.time.Instant;

/**
 * A ciphertext object is complete in the backup bucket (and its staging copy deleted).
 * Sizes and digests of both the plaintext (from the producer) and the ciphertext.
 */
public record ArtifactEncrypted(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Required ArtifactKind kind, @Rules.Text String artifactName, @Rules.Text String objectKey,
        @Rules.Matches(Checks.ID) String keyId,
        @Rules.NonNegative long plaintextSize, @Rules.Matches(Checks.SHA256) String plaintextSha256,
        @Rules.NonNegative long ciphertextSize, @Rules.Matches(Checks.SHA256) String ciphertextSha256,
        @Rules.NonNegative long entryCount, @Rules.Matches(Checks.SHA256) String listingSha256, Long blobCount,
        @Rules.Text String dtrVersion, String topFolder, @Rules.Required EncryptionParameters encryption,
        int formatVersion, @Rules.NonNegative long durationMs) implements BackupEvent {

    public ArtifactEncrypted {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("kind", kind);
        Checks.text("artifactName", artifactName);
        Checks.text("objectKey", objectKey);
        Checks.id("keyId", keyId);
        Checks.nonNegative("plaintextSize", plaintextSize);
        Checks.sha256("plaintextSha256", plaintextSha256);
        Checks.nonNegative("ciphertextSize", ciphertextSize);
        Checks.sha256("ciphertextSha256", ciphertextSha256);
        Checks.nonNegative("entryCount", entryCount);
        Checks.sha256("listingSha256", listingSha256);
        Checks.text("dtrVersion", dtrVersion);
        Checks.present("encryption", encryption);
        Checks.nonNegative("durationMs", durationMs);
    }
}
