package io.dtrbackup.common.status;

import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactSkipped;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import java.time.Instant;

/**
 * What the status topic has said about one artifact of one backup. Immutable; the fold replaces
 * it on every change. The stage events are kept whole so a manifest or a status view can quote them.
 *
 * @param lastProgressBytes the last BackupProgress byte count seen for the current phase, or -1
 */
public record ArtifactStatus(
        ArtifactKind kind, ArtifactPhase phase, Instant phaseSince, ArtifactStaged staged, ArtifactSkipped skipped,
        ArtifactEncrypted encrypted, ArtifactVerified verified, ArtifactFailed failed, long lastProgressBytes) {

    static ArtifactStatus pending(ArtifactKind kind, Instant since) {
        return new ArtifactStatus(kind, ArtifactPhase.PENDING, since, null, null, null, null, null, -1);
    }

    /** True when the artifact has reached VERIFIED, SKIPPED or FAILED. */
    public boolean isTerminal() {
        return phase.isTerminal();
    }

    ArtifactStatus withPhase(ArtifactPhase next, Instant at) {
        return new ArtifactStatus(kind, next, at, staged, skipped, encrypted, verified, failed,
                next == phase ? lastProgressBytes : -1);
    }

    /** Records the staging event without moving the phase (the fold moves it forward only). */
    ArtifactStatus withStagedKeepPhase(ArtifactStaged e) {
        return new ArtifactStatus(kind, phase, phaseSince, e, skipped, encrypted, verified, failed, lastProgressBytes);
    }

    ArtifactStatus withEncryptedKeepPhase(ArtifactEncrypted e) {
        return new ArtifactStatus(kind, phase, phaseSince, staged, skipped, e, verified, failed, lastProgressBytes);
    }

    ArtifactStatus withSkipped(ArtifactSkipped e) {
        return new ArtifactStatus(kind, ArtifactPhase.SKIPPED, e.occurredAt(), staged, e, encrypted, verified, failed, -1);
    }

    ArtifactStatus withVerified(ArtifactVerified e) {
        return new ArtifactStatus(kind, ArtifactPhase.VERIFIED, e.occurredAt(), staged, skipped, encrypted, e, failed, -1);
    }

    ArtifactStatus withFailed(ArtifactFailed e) {
        return new ArtifactStatus(kind, ArtifactPhase.FAILED, e.occurredAt(), staged, skipped, encrypted, verified, e, -1);
    }

    ArtifactStatus withProgress(ArtifactPhase stage, long bytes, Instant at) {
        ArtifactStatus moved = stage.ordinal() > phase.ordinal() ? withPhase(stage, at) : this;
        return new ArtifactStatus(kind, moved.phase, moved.phaseSince, staged, skipped, encrypted, verified, failed,
                stage == moved.phase ? bytes : moved.lastProgressBytes);
    }
}
