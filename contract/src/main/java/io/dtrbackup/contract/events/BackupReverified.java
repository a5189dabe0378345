package io.dtrbackup.contract.events;

import java.time.Instant;
import java.util.List;

/** The result of re-verifying a stored backup: intact, or the problems found. */
@Rules.When(component = "intact", in = "true", empty = "problems")
@Rules.When(component = "intact", in = "false", nonEmpty = "problems")
public record BackupReverified(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        boolean intact, @Rules.Required List<String> problems) implements BackupEvent {

    public BackupReverified {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        problems = List.copyOf(Checks.present("problems", problems));
        if (intact != problems.isEmpty()) {
            throw new IllegalArgumentException("intact must be true exactly when problems is empty");
        }
    }
}
