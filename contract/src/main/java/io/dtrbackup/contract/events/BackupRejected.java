package io.dtrbackup.contract.events;

import java.time.Instant;

/**
 * Terminal: a request refused before work began, e.g. because {@code runningBackupId} of the
 * same cluster is still in flight.
 */
public record BackupRejected(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Text String reason, String runningBackupId) implements BackupEvent {

    public BackupRejected {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.text("reason", reason);
    }
}
