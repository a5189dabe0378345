package io.dtrbackup.contract.events;

import java.time.Instant;

/** An artifact deliberately not produced; the backup can still complete without it. */
public record ArtifactSkipped(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Required ArtifactKind kind, @Rules.Text String reason, String guidance) implements BackupEvent {

    public ArtifactSkipped {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("kind", kind);
        Checks.text("reason", reason);
    }
}
