package io.dtrbackup.contract.events;

import java.time.Instant;

/**
 * An artifact could not be produced, encrypted or verified.
 *
 * @param phase the phase the artifact was in (STAGING, ENCRYPTING, VERIFYING)
 * @param reason what happened and what an operator can do about it; never a secret
 */
public record ArtifactFailed(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Required ArtifactKind kind, @Rules.Required ArtifactPhase phase, @Rules.Text String reason) implements BackupEvent {

    public ArtifactFailed {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("kind", kind);
        Checks.present("phase", phase);
        Checks.text("reason", reason);
    }
}
