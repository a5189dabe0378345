package io.dtrbackup.contract.events;

import java.time.Instant;

/**
 * How far a long stage has got. Published at a bounded rate; ops tools draw bars from it.
 *
 * @param bytesTotal null when unknown in advance (a streamed archive)
 * @param filesDone null when the stage does not count files
 */
public record BackupProgress(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Required ArtifactKind kind, @Rules.Required ArtifactPhase stage, @Rules.NonNegative long bytesDone, Long bytesTotal, Long filesDone,
        double bytesPerSecond) implements BackupEvent {

    public BackupProgress {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("kind", kind);
        Checks.present("stage", stage);
        Checks.nonNegative("bytesDone", bytesDone);
    }
}
