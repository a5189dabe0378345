package io.dtrbackup.contract.events;

import java.time.Duration;
import java.time.Instant;

/**
 * A cluster's last verified backup is older than its freshness window, or it has none (like
 * DTR's own "no backup yet" warning). Cluster-level: {@code backupId} is null, keyed by cluster.
 */
public record BackupOverdue(
        int schemaVersion, String eventId, @Rules.Matches(value = Checks.ID, required = false) String backupId, String clusterId, Instant occurredAt,
        String lastBackupId, Instant lastVerifiedAt, @Rules.Required Duration freshnessWindow) implements BackupEvent {

    public BackupOverdue {
        Checks.envelope(schemaVersion, eventId, backupId, false, clusterId, occurredAt);
        Checks.present("freshnessWindow", freshnessWindow);
    }
}
