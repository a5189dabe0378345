package io.dtrbackup.contract.events;

import java.time.Instant;
import java.util.List;

/** Terminal: every expected artifact is verified and the manifest is written. */
public record BackupCompleted(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Text String manifestKey, @Rules.Text String replicaId, @Rules.Text String dtrVersion, @Rules.NonNegative long durationMs,
        @Rules.Required List<String> objectKeys)
        implements BackupEvent {

    public BackupCompleted {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.text("manifestKey", manifestKey);
        Checks.text("replicaId", replicaId);
        Checks.text("dtrVersion", dtrVersion);
        Checks.nonNegative("durationMs", durationMs);
        objectKeys = List.copyOf(Checks.present("objectKeys", objectKeys));
    }
}
