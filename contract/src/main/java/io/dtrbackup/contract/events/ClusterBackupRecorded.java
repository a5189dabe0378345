package io.dtrbackup.contract.events;

import java.time.Instant;

/**
 * The latest completed backup of a cluster, on the compacted {@code dtr-backup.cluster-state}
 * topic keyed by cluster: discovery reads it for the sticky replica and for freshness.
 */
public record ClusterBackupRecorded(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Text String replicaId, @Rules.Text String dtrVersion, @Rules.Required Instant completedAt) implements BackupEvent {

    public ClusterBackupRecorded {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.text("replicaId", replicaId);
        Checks.text("dtrVersion", dtrVersion);
        Checks.present("completedAt", completedAt);
    }
}
