package io.dtrbackup.contract.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventIdsTest {
    static final String B = "bk-20261202-1";

    @Test
    void theRecipesKeepTheIdsEventsAlreadyCarry() {
        // Written by hand from events on existing topics: a redelivered event must keep its ID across versions.
        assertThat(EventIds.backupRequested(B)).isEqualTo(B + ":BackupRequested");
        assertThat(EventIds.replicaDiscovered(B)).isEqualTo(B + ":ReplicaDiscovered");
        assertThat(EventIds.phaseChanged(B, BackupPhase.BACKING_UP)).isEqualTo(B + ":BackupPhaseChanged:backing_up");
        assertThat(EventIds.insecureTlsWarning(B)).isEqualTo(B + ":BackupPhaseChanged:metadata:insecure-tls");
        assertThat(EventIds.artifactStaged(B, ArtifactKind.IMAGES)).isEqualTo(B + ":ArtifactStaged:images");
        assertThat(EventIds.artifactEncrypted(B, ArtifactKind.METADATA)).isEqualTo(B + ":ArtifactEncrypted:metadata");
        assertThat(EventIds.artifactVerified(B, ArtifactKind.IMAGES)).isEqualTo(B + ":ArtifactVerified:images");
        assertThat(EventIds.artifactReverified(B, ArtifactKind.IMAGES, "r1"))
                .isEqualTo(B + ":ArtifactVerified:images:reverify:r1");
        assertThat(EventIds.artifactFailed(B, ArtifactKind.IMAGES, ArtifactPhase.STAGING))
                .isEqualTo(B + ":ArtifactFailed:images:staging");
        assertThat(EventIds.artifactFailed(B, ArtifactKind.METADATA, ArtifactPhase.VERIFYING))
                .isEqualTo(B + ":ArtifactFailed:metadata:verifying");
        assertThat(EventIds.backupCompleted(B)).isEqualTo(B + ":BackupCompleted");
        assertThat(EventIds.clusterBackupRecorded(B)).isEqualTo(B + ":ClusterBackupRecorded");
        assertThat(EventIds.backupReverified(B, "req-7")).isEqualTo(B + ":BackupReverified:req-7");
    }

    @Test
    void noTwoDifferentEventsOfABackupShareAnId() {
        List<String> ids = new ArrayList<>();
        ids.add(EventIds.backupRequested(B));
        ids.add(EventIds.backupRejected(B));
        ids.add(EventIds.replicaDiscovered(B));
        ids.add(EventIds.insecureTlsWarning(B));
        ids.add(EventIds.backupCompleted(B));
        ids.add(EventIds.backupFailed(B));
        ids.add(EventIds.clusterBackupRecorded(B));
        ids.add(EventIds.backupReverified(B, "r1"));
        ids.add(EventIds.backupReverified(B, "r2"));
        for (BackupPhase phase : BackupPhase.values()) {
            ids.add(EventIds.phaseChanged(B, phase));
        }
        for (ArtifactKind kind : ArtifactKind.values()) {
            ids.add(EventIds.artifactStaged(B, kind));
            ids.add(EventIds.artifactSkipped(B, kind));
            ids.add(EventIds.artifactEncrypted(B, kind));
            ids.add(EventIds.artifactVerified(B, kind));
            for (String request : List.of("r1", "r2")) {
                ids.add(EventIds.artifactReverified(B, kind, request));
                ids.add(EventIds.artifactReverifyFailed(B, kind, request));
            }
            for (ArtifactPhase phase : List.of(ArtifactPhase.STAGING, ArtifactPhase.ENCRYPTING, ArtifactPhase.VERIFYING)) {
                ids.add(EventIds.artifactFailed(B, kind, phase));
            }
        }
        assertThat(new HashSet<>(ids)).hasSameSizeAs(ids);
        assertThat(EventIds.backupCompleted("bk-2")).isNotEqualTo(EventIds.backupCompleted(B));
    }
}
