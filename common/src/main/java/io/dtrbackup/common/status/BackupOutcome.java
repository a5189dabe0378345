package io.dtrbackup.common.status;

import io.dtrbackup.contract.events.BackupPhase;

/**
 * How a backup ends, once the status topic has said enough to decide it.
 *
 * @param phase COMPLETED, PARTIALLY_FAILED or FAILED
 * @param failedStage for failures: discovery, metadata, images, crypto, verify (null when completed)
 * @param reason for failures: what failed and why, from the failing stage's own event
 */
public record BackupOutcome(BackupPhase phase, String failedStage, String reason) {

    public static BackupOutcome completed() {
        return new BackupOutcome(BackupPhase.COMPLETED, null, null);
    }

    public boolean isSuccess() {
        return phase == BackupPhase.COMPLETED;
    }
}
