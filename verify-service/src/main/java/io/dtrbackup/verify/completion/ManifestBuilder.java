package io.dtrbackup.verify.completion;

import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.EncryptionParameters;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.contract.manifest.Manifest;
import io.dtrbackup.common.status.ArtifactStatus;
import io.dtrbackup.common.status.BackupStatus;
import io.dtrbackup.contract.layout.BackupLayout;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a completed backup's {@link Manifest} from the fold of its events: verify-service's part of
 * the manifest (the format itself is shared with the CLI and lives with the other formats).
 */
final class ManifestBuilder {
    private ManifestBuilder() {
    }

    /** What a DTR backup never holds, said plainly (the seed's table). */
    static final String NOT_USERS = "Users, organizations and teams: they live in UCP, not in DTR; back them up with a "
            + "UCP backup.";
    static final String NOT_VULN_DB = "The vulnerability database: DTR downloads it again after a restore.";

    /** Builds the manifest from a backup's fold; every expected, non-skipped artifact must be verified. */
    static Manifest of(BackupStatus status, BackupLayout layout, Instant completedAt) {
        ReplicaDiscovered rd = status.discovered()
                .orElseThrow(() -> new IllegalStateException("no ReplicaDiscovered for " + status.backupId()));
        List<Manifest.Artifact> artifacts = new ArrayList<>();
        List<Manifest.Skipped> skipped = new ArrayList<>();
        Map<String, Manifest.ArtifactTimings> timings = new LinkedHashMap<>();
        for (ArtifactStatus a : status.artifacts().values()) {
            if (a.skipped() != null) {
                skipped.add(new Manifest.Skipped(a.kind(), a.skipped().reason(), a.skipped().guidance()));
                continue;
            }
            ArtifactEncrypted e = a.encrypted();
            ArtifactVerified v = a.verified();
            if (e == null || v == null) {
                throw new IllegalStateException(a.kind().id() + " artifact of " + status.backupId() + " is not verified");
            }
            ArtifactStaged s = a.staged();
            artifacts.add(new Manifest.Artifact(a.kind(), e.artifactName(), e.objectKey(),
                    layout.verificationKey(status.clusterId(), status.backupId(), a.kind()), e.ciphertextSize(),
                    e.ciphertextSha256(), e.plaintextSize(), e.plaintextSha256(), e.entryCount(), e.listingSha256(),
                    e.topFolder(), e.blobCount(), e.keyId(), e.encryption(), e.formatVersion(), v.occurredAt()));
            timings.put(a.kind().id(), new Manifest.ArtifactTimings(s == null ? null : s.durationMs(), e.durationMs(),
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
        for (Manifest.Artifact a : artifacts) {
            String file = a.artifactName();
            restore.add(a.kind() == ArtifactKind.METADATA
                    ? "gpg -d " + file + ".gpg > " + file + "  # then: docker run -i --rm docker/dtr:" + rd.dtrVersion()
                            + " restore ... < " + file + " (same DTR version)"
                    : "gpg -d " + file + ".gpg | sudo tar -xf - -C /  # restores the registry volume's files");
        }
        return new Manifest(Manifest.FORMAT_VERSION, status.backupId(), status.clusterId(), rd.replicaId(), rd.node(),
                rd.dtrVersion(), rd.trigger(), rd.options(), rd.storageKind(), rd.volumeName(), rd.replicaChoice(),
                rd.backupTimestamp(), rd.requestedAt(), completedAt, new Manifest.Timings(Math.max(0, total),
                        Math.max(0, discovery), timings), artifacts, skipped, notIncluded, restore);
    }
}
