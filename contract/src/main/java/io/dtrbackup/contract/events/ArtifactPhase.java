package io.dtrbackup.contract.events;

/** Lifecycle of one artifact through the pipeline. */
public enum ArtifactPhase {
    PENDING,
    STAGING,
    STAGED,
    ENCRYPTING,
    ENCRYPTED,
    VERIFYING,
    VERIFIED,
    /** Not produced on purpose (image content on external storage, or skip requested). */
    SKIPPED,
    FAILED;

    public boolean isTerminal() {
        return this == VERIFIED || this == SKIPPED || this == FAILED;
    }
}
