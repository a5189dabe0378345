package io.dtrbackup.contract.events;

import java.time.Instant;
import java.util.List;

/**
 * A backup moved to a non-terminal phase (terminal phases have their own events).
 *
 * @param expectedArtifacts set when discovery has decided which artifacts this backup needs
 */
public record BackupPhaseChanged(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.OnlyValues({"REQUESTED", "DISCOVERING", "BACKING_UP", "ENCRYPTING", "VERIFYING"})
        BackupPhase phase, String detail, List<ArtifactKind> expectedArtifacts) implements BackupEvent {

    public BackupPhaseChanged {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("phase", phase);
        if (phase.isTerminal()) {
            throw new IllegalArgumentException("phase " + phase + " is terminal: use BackupCompleted, BackupFailed "
                    + "or BackupRejected");
        }
        expectedArtifacts = expectedArtifacts == null ? null : List.copyOf(expectedArtifacts);
    }
}
