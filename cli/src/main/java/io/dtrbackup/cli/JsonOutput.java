package io.dtrbackup.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.dtrbackup.contract.events.BackupOverdue;
import io.dtrbackup.common.status.ArtifactStatus;
import io.dtrbackup.common.status.BackupStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * The JSON documents of {@code --output json}: the one declaration of their shapes, which are a
 * contract with the scripts that parse them (documented in docs/operations.md, "Scripting the CLI",
 * and pinned field by field by {@code JsonOutputTest}).
 *
 * <p>Rules for every document: one top-level object whose first field {@code schema} names the
 * document and its version ({@code dtr-backup.cli.<command>/v<n>}; a field is only ever added
 * within a version, a rename or removal makes the next version). Field names are camelCase and
 * are the record components below. Instants are ISO-8601 UTC strings ({@code 2026-11-25T02:00:00Z},
 * fractional seconds when the source has them); durations are ISO-8601 strings ({@code PT26H}) with
 * a {@code …Seconds} integer next to them. A value that is unknown or does not apply is written as
 * {@code null}, never left out, so every field is always present. Enumerations (statuses, phases,
 * artifact kinds) are written as the upper-case names the events use.
 */
final class JsonOutput {
    static final String LIST = "dtr-backup.cli.list/v1";
    static final String SHOW = "dtr-backup.cli.show/v1";
    static final String CLUSTERS = "dtr-backup.cli.clusters/v1";
    static final String WATCH = "dtr-backup.cli.watch/v1";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .serializationInclusion(JsonInclude.Include.ALWAYS)
            .build();

    private JsonOutput() {
    }

    static String write(Object document) {
        try {
            return JSON.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + document.getClass().getSimpleName() + " as JSON", e);
        }
    }

    // ---- list and show: stored backups, from their manifest.json

    /** {@code list}: the stored backups, newest first, and the manifests that could not be read. */
    record ListOutput(String schema, String bucket, String cluster, List<StoredBackup> backups,
            List<String> unreadableManifests) {
        static ListOutput of(String bucket, String cluster, List<ManifestView> manifests, List<String> problems) {
            return new ListOutput(LIST, bucket, cluster, manifests.stream().map(StoredBackup::of).toList(), List.copyOf(problems));
        }
    }

    /** {@code show}: one stored backup. */
    record ShowOutput(String schema, String bucket, String s3Endpoint, StoredBackup backup) {
        static ShowOutput of(String bucket, String s3Endpoint, ManifestView m) {
            return new ShowOutput(SHOW, bucket, s3Endpoint, StoredBackup.of(m));
        }
    }

    /**
     * A backup as its manifest describes it.
     *
     * @param completedAt null when the manifest has none or it is not an ISO-8601 instant
     * @param manifestKey the object key of the manifest.json in the backup bucket
     * @param ciphertextBytes the sum of the stored (encrypted) objects' sizes
     * @param notIncluded what the backup deliberately does not hold, one sentence each
     */
    record StoredBackup(String backupId, String clusterId, String status, Instant completedAt, String replicaId,
            String dtrVersion, String trigger, String manifestKey, long ciphertextBytes, List<StoredArtifact> artifacts,
            List<String> notIncluded) {
        static StoredBackup of(ManifestView m) {
            return new StoredBackup(m.backupId(), m.clusterId(), m.status(), instant(m.completedAt()), m.replicaId(),
                    m.dtrVersion(), m.trigger(), m.key(), m.totalCiphertextBytes(),
                    m.artifacts().stream().map(StoredArtifact::of).toList(), m.notes());
        }
    }

    /**
     * One artifact of a stored backup.
     *
     * @param kind METADATA or IMAGES
     * @param stored false for a deliberately skipped artifact (no object; {@code status} says why)
     * @param artifactName the seed's file name, which {@code fetch} writes
     * @param plaintextBytes null when unknown, as are {@code ciphertextBytes} and the hash
     */
    record StoredArtifact(String kind, boolean stored, String status, String artifactName, String objectKey,
            String keyId, String plaintextSha256, Long plaintextBytes, Long ciphertextBytes) {
        static StoredArtifact of(ManifestView.Artifact a) {
            return new StoredArtifact(a.kind(), a.isStored(), a.status(), a.artifactName(), a.objectKey(), a.keyId(),
                    a.plaintextSha256(), size(a.plaintextSize()), size(a.ciphertextSize()));
        }
    }

    // ---- clusters: freshness

    /**
     * {@code clusters}: each cluster against its freshness window.
     *
     * @param allWithinWindow true exactly when the command exits 0 (no cluster OVERDUE or NEVER backed up)
     */
    record ClustersOutput(String schema, Instant generatedAt, boolean allWithinWindow, List<ClusterFreshness> clusters) {
        static ClustersOutput of(List<FreshnessBoard.Row> rows, Instant now) {
            return new ClustersOutput(CLUSTERS, now, rows.stream().noneMatch(JsonOutput::overdue),
                    rows.stream().map(ClusterFreshness::of).toList());
        }
    }

    static boolean overdue(FreshnessBoard.Row r) {
        return r.status() == FreshnessBoard.Status.OVERDUE || r.status() == FreshnessBoard.Status.NEVER;
    }

    /**
     * One cluster's row.
     *
     * @param status FRESH, AGING (past 80% of the window), OVERDUE or NEVER (no verified backup)
     * @param inClustersFile false for a cluster only the cluster-state topic knows
     * @param age time since the last verified backup; null (like ageSeconds and ageFraction) for NEVER
     * @param ageFraction age / window
     */
    record ClusterFreshness(String clusterId, String status, boolean inClustersFile, Duration freshnessWindow,
            long freshnessWindowSeconds, String lastBackupId, Instant lastVerifiedAt, String replicaId,
            String dtrVersion, Duration age, Long ageSeconds, Double ageFraction) {
        static ClusterFreshness of(FreshnessBoard.Row r) {
            return new ClusterFreshness(r.clusterId(), r.status().name(), r.inClustersFile(), r.window(),
                    r.window().getSeconds(), r.lastBackupId(), r.lastVerifiedAt(), r.replicaId(), r.dtrVersion(), r.age(),
                    r.age() == null ? null : r.age().getSeconds(), Double.isNaN(r.ageFraction()) ? null : r.ageFraction());
        }
    }

    // ---- watch --once: the status topic now

    /**
     * {@code watch --once}: what the status topic says now.
     *
     * @param cluster the --cluster filter, or null
     * @param recent how far back finished backups are listed (--since)
     */
    record WatchSnapshot(String schema, Instant generatedAt, String cluster, Duration recent, long recentSeconds,
            List<WatchedBackup> inFlight, List<WatchedBackup> finished, List<OverdueCluster> overdueClusters) {
        static WatchSnapshot of(WatchModel model, Instant now, Duration recent) {
            return new WatchSnapshot(WATCH, now, model.clusterFilter(), recent, recent.getSeconds(),
                    model.inFlight().stream().map(s -> WatchedBackup.of(s, model)).toList(),
                    model.finishedSince(now.minus(recent)).stream().map(s -> WatchedBackup.of(s, model)).toList(),
                    model.overdueClusters().stream().map(o -> OverdueCluster.of(o, now)).toList());
        }
    }

    /**
     * One backup, in flight or finished.
     *
     * @param phase the backup's phase (REQUESTED … VERIFYING, or COMPLETED, PARTIALLY_FAILED, FAILED, REJECTED)
     * @param replicaId null (like dtrVersion and trigger) before discovery has reported
     * @param finishedAt when its terminal event happened; null in flight
     * @param outcome null in flight
     */
    record WatchedBackup(String backupId, String clusterId, String phase, String replicaId, String dtrVersion,
            String trigger, Instant firstEventAt, Instant lastEventAt, Instant finishedAt, Outcome outcome,
            List<WatchedArtifact> artifacts) {
        static WatchedBackup of(BackupStatus s, WatchModel model) {
            var discovered = s.discovered().orElse(null);
            return new WatchedBackup(s.backupId(), s.clusterId(), s.phase().name(),
                    discovered == null ? null : discovered.replicaId(), discovered == null ? null : discovered.dtrVersion(),
                    discovered == null || discovered.trigger() == null ? null : discovered.trigger().name(),
                    s.firstEventAt(), s.lastEventAt(), s.terminalEvent().map(e -> e.occurredAt()).orElse(null),
                    s.isTerminal() ? s.outcome().map(o -> new Outcome(o.phase().name(), o.failedStage(), o.reason())).orElse(null)
                            : null,
                    s.artifacts().values().stream().map(a -> WatchedArtifact.of(a, model.rate(s.backupId(), a.kind()))).toList());
        }
    }

    /**
     * How a finished backup ended.
     *
     * @param failedStage discovery, metadata, images, crypto or verify; null when COMPLETED (as is reason)
     */
    record Outcome(String phase, String failedStage, String reason) {
    }

    /**
     * One artifact of a watched backup.
     *
     * @param phase PENDING, STAGING, STAGED, ENCRYPTING, ENCRYPTED, VERIFYING, VERIFIED, SKIPPED or FAILED
     * @param progressBytes bytes done in the current phase (last progress event), null when none
     * @param bytesPerSecond the last reported rate (whole bytes per second), null when none
     * @param stagedBytes size staged (null until staged); ciphertextBytes once encrypted; plaintextBytes once verified
     * @param reason why it FAILED or was SKIPPED, else null
     */
    record WatchedArtifact(String kind, String phase, Instant phaseSince, Long progressBytes, Long bytesPerSecond,
            Long stagedBytes, Long ciphertextBytes, Long plaintextBytes, String reason) {
        static WatchedArtifact of(ArtifactStatus a, double rate) {
            return new WatchedArtifact(a.kind().name(), a.phase().name(), a.phaseSince(), size(a.lastProgressBytes()),
                    a.lastProgressBytes() >= 0 && rate >= 0 ? Long.valueOf(Math.round(rate)) : null,
                    a.staged() == null ? null : a.staged().sizeBytes(),
                    a.encrypted() == null ? null : a.encrypted().ciphertextSize(),
                    a.verified() == null ? null : a.verified().plaintextSize(),
                    a.failed() != null ? a.failed().reason() : a.skipped() != null ? a.skipped().reason() : null);
        }
    }

    /**
     * A cluster the pipeline reported overdue (BackupOverdue).
     *
     * @param reportedAt when it was reported
     * @param lastBackupId its last verified backup, null when it has none (as are lastVerifiedAt, age, ageSeconds)
     * @param age the last verified backup's age at generatedAt
     */
    record OverdueCluster(String clusterId, Instant reportedAt, String lastBackupId, Instant lastVerifiedAt,
            Duration freshnessWindow, long freshnessWindowSeconds, Duration age, Long ageSeconds) {
        static OverdueCluster of(BackupOverdue o, Instant now) {
            Duration age = o.lastVerifiedAt() == null ? null : Duration.between(o.lastVerifiedAt(), now);
            return new OverdueCluster(o.clusterId(), o.occurredAt(), o.lastBackupId(), o.lastVerifiedAt(),
                    o.freshnessWindow(), o.freshnessWindow().getSeconds(), age, age == null ? null : age.getSeconds());
        }
    }

    private static Long size(long n) {
        return n < 0 ? null : n;
    }

    /** An ISO-8601 instant or offset date-time as an instant; null when absent or not one. */
    static Instant instant(String iso) {
        if (iso == null) {
            return null;
        }
        try {
            return Instant.parse(iso);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(iso).toInstant();
            } catch (DateTimeParseException again) {
                return null;
            }
        }
    }
}
