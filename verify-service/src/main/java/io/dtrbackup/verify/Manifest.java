package io.dtrbackup.verify;

import io.dtrbackup.common.events.ArtifactEncrypted;
import io.dtrbackup.common.events.ArtifactKind;
import io.dtrbackup.common.events.ArtifactStaged;
import io.dtrbackup.common.events.ArtifactVerified;
import io.dtrbackup.common.events.BackupOptions;
import io.dtrbackup.common.events.EncryptionParameters;
import io.dtrbackup.common.events.ReplicaDiscovered;
import io.dtrbackup.common.events.StorageKind;
import io.dtrbackup.common.events.Trigger;
import io.dtrbackup.common.status.ArtifactStatus;
import io.dtrbackup.common.status.BackupStatus;
import io.dtrbackup.common.store.BackupLayout;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json}: written under the backup's prefix once every expected artifact is
 * verified, and only then. It is what a restore and a re-verification read: what was backed up,
 * from where, how each artifact is encrypted (never the passphrase, only its key ID), the digests
 * to check, and what a DTR backup never contains. See docs/services/verify-service.md.
 */
public record Manifest(
        int formatVersion, String backupId, String clusterId, String replicaId, String node, String dtrVersion,
        Trigger trigger, BackupOptions options, StorageKind storageKind, String volumeName, String replicaChoice,
        String backupTimestamp, Instant requestedAt, Instant completedAt, Timings timings, List<Artifact> artifacts,
        List<Skipped> skipped, List<String> notIncluded, List<String> restore) {

    public static final int FORMAT_VERSION = 1;

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

    /** What a DTR backup never holds, said plainly (the seed's table). */
    static final String NOT_USERS = "Users, organizations and teams: they live in UCP, not in DTR; back them up with a "
            + "UCP backup.";
    static final String NOT_VULN_DB = "The vulnerability database: DTR downloads it again after a restore.";

    /** Builds the manifest from a backup's fold; every expected, non-skipped artifact must be verified. */
    public static Manifest of(BackupStatus status, BackupLayout layout, Instant completedAt) {
        ReplicaDiscovered rd = status.discovered()
                .orElseThrow(() -> new IllegalStateException("no ReplicaDiscovered for " + status.backupId()));
        List<Artifact> artifacts = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        Map<String, ArtifactTimings> timings = new LinkedHashMap<>();
        for (ArtifactStatus a : status.artifacts().values()) {
            if (a.skipped() != null) {
                skipped.add(new Skipped(a.kind(), a.skipped().reason(), a.skipped().guidance()));
                continue;
            }
            ArtifactEncrypted e = a.encrypted();
            ArtifactVerified v = a.verified();
            if (e == null || v == null) {
                throw new IllegalStateException(a.kind().id() + " artifact of " + status.backupId() + " is not verified");
            }
            ArtifactStaged s = a.staged();
            artifacts.add(new Artifact(a.kind(), e.artifactName(), e.objectKey(),
                    layout.verificationKey(status.clusterId(), status.backupId(), a.kind()), e.ciphertextSize(),
                    e.ciphertextSha256(), e.plaintextSize(), e.plaintextSha256(), e.entryCount(), e.listingSha256(),
                    e.topFolder(), e.blobCount(), e.keyId(), e.encryption(), e.formatVersion(), v.occurredAt()));
            timings.put(a.kind().id(), new ArtifactTimings(s == null ? null : s.durationMs(), e.durationMs(),
                    v.durationMs(), s == null ? null : s.occurredAt(), e.occurredAt(), v.occurredAt()));
        }
        List<String> notIncluded = new ArrayList<>(List.of(NOT_USERS, NOT_VULN_DB));
        if (!rd.storageKind().isVolumeBacked()) {
            notIncluded.add("Image content: it lives on " + rd.storageKind().name().toLowerCase(java.util.Locale.ROOT)
                    + " storage, outside DTR's volumes; back it up with that storage system's own practice.");
        } else if (skipped.stream().anyMatch(k -> k.kind() == ArtifactKind.IMAGES)) {
            notIncluded.add("Image content: skipped for this backup (see 'skipped').");
        }
        long total = Duration.between(rd.requestedAt(), completedAt).toMillis();
        Long discovery = Duration.between(rd.requestedAt(), rd.occurredAt()).toMillis();
        List<String> restore = new ArrayList<>();
        for (Artifact a : artifacts) {
            String file = a.artifactName();
            restore.add(a.kind() == ArtifactKind.METADATA
                    ? "gpg -d " + file + ".gpg > " + file + "  # then: docker run -i --rm docker/dtr:" + rd.dtrVersion()
                            + " restore ... < " + file + " (same DTR version)"
                    : "gpg -d " + file + ".gpg | sudo tar -xf - -C /  # restores the registry volume's files");
        }
        return new Manifest(FORMAT_VERSION, status.backupId(), status.clusterId(), rd.replicaId(), rd.node(),
                rd.dtrVersion(), rd.trigger(), rd.options(), rd.storageKind(), rd.volumeName(), rd.replicaChoice(),
                rd.backupTimestamp(), rd.requestedAt(), completedAt, new Timings(Math.max(0, total),
                        Math.max(0, discovery), timings), artifacts, skipped, notIncluded, restore);
    }

    public List<String> objectKeys() {
        return artifacts.stream().map(Artifact::objectKey).toList();
    }

    /** What re-verification expects of one artifact. */
    public Expectation expectation(Artifact a) {
        return new Expectation(a.kind(), a.objectKey(), a.keyId(), a.ciphertextSize(), a.ciphertextSha256(),
                a.plaintextSize(), a.plaintextSha256(), a.entryCount(), a.listingSha256(), dtrVersion, a.topFolder(),
                a.blobCount());
    }
}
