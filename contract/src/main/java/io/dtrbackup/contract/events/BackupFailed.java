package io.dtrbackup.contract.events;

import java.time.Instant;

/**
 * Terminal: the backup ended without a complete verified set.
 *
 * @param phase FAILED, or PARTIALLY_FAILED when the metadata verified but the images did not
 * @param failedStage the stage that failed (discovery, metadata, images, crypto, verify, deadline)
 * @param reason what happened and what to do; never a secret
 */
public record BackupFailed(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.OnlyValues({"FAILED", "PARTIALLY_FAILED"}) BackupPhase phase,
        @Rules.Text String failedStage, @Rules.Text String reason) implements BackupEvent {

    public BackupFailed {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        if (phase != BackupPhase.FAILED && phase != BackupPhase.PARTIALLY_FAILED) {
            throw new IllegalArgumentException("BackupFailed.phase must be FAILED or PARTIALLY_FAILED, got " + phase);
        }
        Checks.text("failedStage", failedStage);
        Checks.text("reason", reason);
    }

    public static BackupFailed of(String backupId, String clusterId, String failedStage, String reason) {
        return new BackupFailed(CURRENT_SCHEMA_VERSION, EventIds.backupFailed(backupId), backupId,
                clusterId, Instant.now(), BackupPhase.FAILED, failedStage, reason);
    }
}
