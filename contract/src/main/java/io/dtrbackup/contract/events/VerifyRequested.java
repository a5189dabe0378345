package io.dtrbackup.contract.events;

import java.time.Instant;

/** Asks verify-service to check a stored backup again (bit-rot check). */
public record VerifyRequested(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        String requestedBy) implements BackupEvent {

    public VerifyRequested {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
    }
}
