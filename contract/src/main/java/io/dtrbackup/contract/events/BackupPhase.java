package io.dtrbackup.contract.events;

/**
 * Lifecycle of one backup, as ops see it on the status topic. Terminal phases carry a reason.
 * A backup only moves forward; it ends exactly once, in one of the terminal phases.
 */
public enum BackupPhase {
    REQUESTED,
    DISCOVERING,
    BACKING_UP,
    ENCRYPTING,
    VERIFYING,
    COMPLETED,
    /** Metadata verified but the image artifact failed: restorable metadata, images missing. */
    PARTIALLY_FAILED,
    FAILED,
    /** The request was refused before any work began (e.g. another backup of the cluster is running). */
    REJECTED;

    public boolean isTerminal() {
        return this == COMPLETED || this == PARTIALLY_FAILED || this == FAILED || this == REJECTED;
    }
}
