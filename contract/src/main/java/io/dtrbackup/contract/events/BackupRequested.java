package io.dtrbackup.contract.events;

import java.time.Instant;

/** A request to back up one cluster. Keyed by cluster ID on {@code dtr-backup.requests}. */
public record BackupRequested(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Required Trigger trigger, String requestedBy, BackupOptions options) implements BackupEvent {

    public BackupRequested {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("trigger", trigger);
        options = options == null ? BackupOptions.DEFAULTS : options;
    }

    public static BackupRequested of(String backupId, String clusterId, Trigger trigger, String requestedBy,
            BackupOptions options) {
        return new BackupRequested(CURRENT_SCHEMA_VERSION, EventIds.backupRequested(backupId),
                backupId, clusterId, Instant.now(), trigger, requestedBy, options);
    }
}
