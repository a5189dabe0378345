package io.dtrbackup.contract.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;

/**
 * Every event of the pipeline. The envelope fields are the same for all of them and keep
 * fixed names on the wire: {@code type}, {@code schemaVersion}, {@code eventId},
 * {@code backupId}, {@code clusterId}, {@code occurredAt}. {@code type} is written by the codec
 * from the record's registered name.
 *
 * <p>{@code eventId} is deterministic where a stage may be redelivered (so duplicates are
 * recognisable); {@code backupId} is null only for cluster-level events (BackupOverdue).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = BackupRequested.class, name = "BackupRequested"),
    @JsonSubTypes.Type(value = ReplicaDiscovered.class, name = "ReplicaDiscovered"),
    @JsonSubTypes.Type(value = ArtifactStaged.class, name = "ArtifactStaged"),
    @JsonSubTypes.Type(value = ArtifactSkipped.class, name = "ArtifactSkipped"),
    @JsonSubTypes.Type(value = ArtifactEncrypted.class, name = "ArtifactEncrypted"),
    @JsonSubTypes.Type(value = ArtifactVerified.class, name = "ArtifactVerified"),
    @JsonSubTypes.Type(value = ArtifactFailed.class, name = "ArtifactFailed"),
    @JsonSubTypes.Type(value = BackupPhaseChanged.class, name = "BackupPhaseChanged"),
    @JsonSubTypes.Type(value = BackupProgress.class, name = "BackupProgress"),
    @JsonSubTypes.Type(value = BackupCompleted.class, name = "BackupCompleted"),
    @JsonSubTypes.Type(value = BackupFailed.class, name = "BackupFailed"),
    @JsonSubTypes.Type(value = BackupRejected.class, name = "BackupRejected"),
    @JsonSubTypes.Type(value = BackupOverdue.class, name = "BackupOverdue"),
    @JsonSubTypes.Type(value = VerifyRequested.class, name = "VerifyRequested"),
    @JsonSubTypes.Type(value = BackupReverified.class, name = "BackupReverified"),
    @JsonSubTypes.Type(value = ClusterBackupRecorded.class, name = "ClusterBackupRecorded"),
})
public sealed interface BackupEvent
        permits BackupRequested, ReplicaDiscovered, ArtifactStaged, ArtifactSkipped, ArtifactEncrypted,
                ArtifactVerified, ArtifactFailed, BackupPhaseChanged, BackupProgress, BackupCompleted,
                BackupFailed, BackupRejected, BackupOverdue, VerifyRequested, BackupReverified,
                ClusterBackupRecorded {

    /** The schema version every event type is written with today. */
    int CURRENT_SCHEMA_VERSION = 1;

    int schemaVersion();

    @Rules.Text
    String eventId();

    @Rules.Matches(Checks.ID)
    String backupId();

    @Rules.Matches(Checks.ID)
    String clusterId();

    @Rules.Required
    Instant occurredAt();

    /** The registered type name, as written in the {@code type} field. */
    @JsonIgnore
    default String type() {
        return getClass().getSimpleName();
    }
}
