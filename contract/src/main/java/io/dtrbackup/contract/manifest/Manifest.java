package io.dtrbackup.contract.manifest;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.EncryptionParameters;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json}: written under the backup's prefix once every expected artifact is
 * verified, and only then. It is what a restore and a re-verification read: what was backed up,
 * from where, how each artifact is encrypted (never the passphrase, only its key ID), the digests
 * to check, and what a DTR backup never contains. See docs/services/verify-service.md.
 *
 * <p>verify-service writes it and reads it back for re-verification; the CLI reads it for list, show
 * and fetch: both through {@link #read} and {@link #toJson}. Reading accepts fields it does not know
 * and fields that are absent (a manifest from a newer or an older writer still lists, shows and
 * fetches); {@link #formatVersion} says which writer it was.
 */
public record Manifest(
        int formatVersion, String backupId, String clusterId, String replicaId, String node, String dtrVersion,
        Trigger trigger, BackupOptions options, StorageKind storageKind, String volumeName, String replicaChoice,
        String backupTimestamp, Instant requestedAt, Instant completedAt, Timings timings, List<Artifact> artifacts,
        List<Skipped> skipped, List<String> notIncluded, List<String> restore) {

    public static final int FORMAT_VERSION = 1;

    private static final ObjectMapper WRITER = EventCodec.mapper();
    private static final ObjectMapper READER = EventCodec.mapper().copy()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** Durations per stage, from the stages' own events; milliseconds. */
    public record Timings(long totalMs, Long discoveryMs, Map<String, ArtifactTimings> artifacts) {
    }

    public record ArtifactTimings(Long stagingMs, Long encryptionMs, Long verificationMs, Instant stagedAt,
            Instant encryptedAt, Instant verifiedAt) {
    }

    /** One stored artifact: where it is, how it is encrypted, and what it must decrypt to. */
    public record Artifact(
            ArtifactKind kind, String artifactName, String objectKey, String verificationKey, long ciphertextSize,
            String ciphertextSha256, long plaintextSize, String plaintextSha256, long entryCount, String listingSha256,
            String topFolder, Long blobCount, String keyId, EncryptionParameters encryption, int formatVersion,
            Instant verifiedAt) {
    }

    public record Skipped(ArtifactKind kind, String reason, String guidance) {
    }

    public List<String> objectKeys() {
        return artifacts.stream().map(Artifact::objectKey).toList();
    }

    /** The manifest's JSON as verify-service stores it (pretty-printed, nulls left out). */
    public byte[] toJson() throws IOException {
        return WRITER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
    }

    /** Reads a stored manifest; a document that is not a manifest at all is an IOException saying so. */
    public static Manifest read(InputStream in) throws IOException {
        Manifest m = READER.readValue(in, Manifest.class);
        if (m == null) {
            throw new IOException("not a manifest: empty document");
        }
        return m;
    }
}
