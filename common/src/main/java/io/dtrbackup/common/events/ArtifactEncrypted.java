package io.dtrbackup.common.events;

import java.time.Instant;

/**
 * A ciphertext object is complete in the backup bucket (and its staging copy deleted).
 * Sizes and digests of both the plaintext (from the producer) and the ciphertext.
 */
public record ArtifactEncrypted(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        ArtifactKind kind, String artifactName, String objectKey, String keyId,
        long plaintextSize, String plaintextSha256, long ciphertextSize, String ciphertextSha256,
        long entryCount, String listingSha256, Long blobCount, String dtrVersion, String topFolder,
        EncryptionParameters encryption, int formatVersion, long durationMs) implements BackupEvent {

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
