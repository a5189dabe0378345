package io.dtrbackup.common.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactSkipped;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.EncryptionParameters;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackupStatusTest {
    static final String B = "bk-1";
    static final String C = "prod";
    static final String SHA = "a".repeat(64);
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static ReplicaDiscovered discovered(ArtifactKind... expected) {
        return new ReplicaDiscovered(1, EventIds.replicaDiscovered(B), B, C, T0, Trigger.MANUAL,
                BackupOptions.DEFAULTS, "a1640e1c15b6", "node-1", "2.9.4", StorageKind.FILESYSTEM,
                "dtr-registry-a1640e1c15b6", "sticky", List.of(expected), "20260101-00_00_00", T0);
    }

    static ArtifactStaged staged(ArtifactKind k, int s) {
        return new ArtifactStaged(1, EventIds.artifactStaged(B, k), B, C, T0.plusSeconds(s), k,
                "x.tar", "prod/bk-1/" + k.id() + ".tar", 10, SHA, 3, SHA, "2.9.4", null, null, 5);
    }

    static ArtifactEncrypted encrypted(ArtifactKind k, int s) {
        return new ArtifactEncrypted(1, EventIds.artifactEncrypted(B, k), B, C, T0.plusSeconds(s), k,
                "x.tar", "prod/bk-1/x.tar.gpg", "k1", 10, SHA, 20, SHA, 3, SHA, null, "2.9.4", null,
                new EncryptionParameters("OpenPGP v4 SKESK + SEIPD v1 (MDC)", "AES-256", "iterated+salted", "SHA-256",
                        255, true, "none"), 1, 7);
    }

    static ArtifactVerified verified(ArtifactKind k, int s, boolean reverification) {
        String id = reverification ? EventIds.artifactReverified(B, k, "req-" + s) : EventIds.artifactVerified(B, k);
        return new ArtifactVerified(1, id, B, C,
                T0.plusSeconds(s), k, "prod/bk-1/x.tar.gpg", 10, SHA, 3, null, reverification, 9);
    }

    static ArtifactFailed failed(ArtifactKind k, ArtifactPhase phase, int s) {
        return new ArtifactFailed(1, EventIds.artifactFailed(B, k, phase), B, C, T0.plusSeconds(s), k, phase,
                "MDC failure");
    }

    static BackupStatus fold(BackupEvent... events) {
        BackupStatus status = new BackupStatus(B);
        for (BackupEvent e : events) {
            status.apply(e);
        }
        return status;
    }

    @Test
    void followsBothArtifactsToCompletion() {
        BackupStatus s = fold(discovered(ArtifactKind.METADATA, ArtifactKind.IMAGES));
        assertThat(s.phase()).isEqualTo(BackupPhase.BACKING_UP);
        assertThat(s.awaited()).containsOnlyKeys(ArtifactKind.METADATA, ArtifactKind.IMAGES);
        s.apply(staged(ArtifactKind.METADATA, 1));
        s.apply(encrypted(ArtifactKind.METADATA, 2));
        s.apply(verified(ArtifactKind.METADATA, 3, false));
        assertThat(s.artifact(ArtifactKind.METADATA).orElseThrow().phase()).isEqualTo(ArtifactPhase.VERIFIED);
        assertThat(s.phase()).isEqualTo(BackupPhase.BACKING_UP);
        assertThat(s.awaited()).containsOnlyKeys(ArtifactKind.IMAGES);
        assertThat(s.outcome()).isEmpty();
        s.apply(staged(ArtifactKind.IMAGES, 4));
        assertThat(s.phase()).isEqualTo(BackupPhase.ENCRYPTING);
        s.apply(encrypted(ArtifactKind.IMAGES, 5));
        assertThat(s.phase()).isEqualTo(BackupPhase.VERIFYING);
        assertThat(s.outcome()).isEmpty();
        s.apply(verified(ArtifactKind.IMAGES, 6, false));
        assertThat(s.awaited()).isEmpty();
        assertThat(s.outcome()).contains(BackupOutcome.completed());
        assertThat(s.artifact(ArtifactKind.IMAGES).orElseThrow().encrypted().keyId()).isEqualTo("k1");
        assertThat(s.lastEventAt()).isEqualTo(T0.plusSeconds(6));
    }

    @Test
    void imagesSkippedStillCompletes_metadataSkippedFails() {
        ArtifactSkipped skipImages = new ArtifactSkipped(1, "s1", B, C, T0, ArtifactKind.IMAGES, "s3 storage", "use s3 practice");
        BackupStatus s = fold(discovered(ArtifactKind.METADATA, ArtifactKind.IMAGES), skipImages,
                verified(ArtifactKind.METADATA, 2, false));
        assertThat(s.outcome()).contains(BackupOutcome.completed());

        ArtifactSkipped skipMeta = new ArtifactSkipped(1, "s2", B, C, T0, ArtifactKind.METADATA, "why", null);
        BackupStatus m = fold(discovered(ArtifactKind.METADATA), skipMeta);
        assertThat(m.outcome().orElseThrow().phase()).isEqualTo(BackupPhase.FAILED);
    }

    @Test
    void metadataFailureDecidesAtOnce_imagesFailureWaitsForMetadata() {
        BackupStatus s = fold(discovered(ArtifactKind.METADATA, ArtifactKind.IMAGES),
                failed(ArtifactKind.METADATA, ArtifactPhase.VERIFYING, 1));
        BackupOutcome o = s.outcome().orElseThrow();
        assertThat(o.phase()).isEqualTo(BackupPhase.FAILED);
        assertThat(o.failedStage()).isEqualTo("verify");
        assertThat(o.reason()).contains("metadata").contains("MDC failure");

        BackupStatus p = fold(discovered(ArtifactKind.METADATA, ArtifactKind.IMAGES),
                failed(ArtifactKind.IMAGES, ArtifactPhase.STAGING, 1));
        assertThat(p.outcome()).isEmpty();
        p.apply(verified(ArtifactKind.METADATA, 2, false));
        assertThat(p.outcome().orElseThrow().phase()).isEqualTo(BackupPhase.PARTIALLY_FAILED);
        assertThat(p.outcome().orElseThrow().failedStage()).isEqualTo("images");
    }

    @Test
    void terminalPhasesAreFinalAndDuplicatesIgnored() {
        BackupStatus s = fold(discovered(ArtifactKind.METADATA), failed(ArtifactKind.METADATA, ArtifactPhase.ENCRYPTING, 1));
        // A redelivered earlier stage event does not reopen a failed artifact.
        assertThat(s.apply(encrypted(ArtifactKind.METADATA, 2))).isTrue();
        assertThat(s.artifact(ArtifactKind.METADATA).orElseThrow().phase()).isEqualTo(ArtifactPhase.FAILED);
        assertThat(s.apply(discovered(ArtifactKind.METADATA))).isFalse();

        BackupFailed end = BackupFailed.of(B, C, "crypto", "boom");
        s.apply(end);
        assertThat(s.isTerminal()).isTrue();
        assertThat(s.phase()).isEqualTo(BackupPhase.FAILED);
        s.apply(verified(ArtifactKind.METADATA, 9, false));
        assertThat(s.phase()).isEqualTo(BackupPhase.FAILED);
        assertThat(s.awaited()).isEmpty();
        assertThat(s.outcome().orElseThrow().reason()).isEqualTo("boom");
    }

    @Test
    void reverificationDoesNotChangeArtifactPhase() {
        BackupStatus s = fold(discovered(ArtifactKind.METADATA), encrypted(ArtifactKind.METADATA, 1),
                verified(ArtifactKind.METADATA, 2, true));
        assertThat(s.artifact(ArtifactKind.METADATA).orElseThrow().phase()).isEqualTo(ArtifactPhase.ENCRYPTED);
        assertThat(s.outcome()).isEmpty();
    }

    @Test
    void progressAndPhaseChangesMoveForwardOnly() {
        BackupStatus s = fold(new BackupPhaseChanged(1, "p1", B, C, T0, BackupPhase.DISCOVERING, null, null));
        assertThat(s.phase()).isEqualTo(BackupPhase.DISCOVERING);
        assertThat(s.expectedArtifacts()).isEmpty();
        s.apply(new BackupPhaseChanged(1, "p2", B, C, T0, BackupPhase.BACKING_UP, null,
                List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES)));
        assertThat(s.awaited()).containsOnlyKeys(ArtifactKind.METADATA, ArtifactKind.IMAGES);
        s.apply(new BackupProgress(1, "r1", B, C, T0.plusSeconds(3), ArtifactKind.IMAGES, ArtifactPhase.STAGING, 100,
                null, 2L, 10.0));
        assertThat(s.artifact(ArtifactKind.IMAGES).orElseThrow().phase()).isEqualTo(ArtifactPhase.STAGING);
        assertThat(s.artifact(ArtifactKind.IMAGES).orElseThrow().lastProgressBytes()).isEqualTo(100);
        s.apply(staged(ArtifactKind.IMAGES, 4));
        s.apply(new BackupProgress(1, "r2", B, C, T0.plusSeconds(5), ArtifactKind.IMAGES, ArtifactPhase.STAGING, 50,
                null, null, 1.0));
        assertThat(s.artifact(ArtifactKind.IMAGES).orElseThrow().phase()).isEqualTo(ArtifactPhase.STAGED);
        s.apply(new BackupPhaseChanged(1, "p3", B, C, T0, BackupPhase.DISCOVERING, null, null));
        assertThat(s.phase()).isEqualTo(BackupPhase.BACKING_UP);
        assertThat(s.apply(new BackupCompleted(1, "c", B, C, T0, "m", "a1640e1c15b6", "2.9.4", 1, List.of()))).isTrue();
        assertThat(s.phase()).isEqualTo(BackupPhase.COMPLETED);
    }

    @Test
    void boardRoutesByBackup() {
        StatusBoard board = new StatusBoard();
        board.apply(discovered(ArtifactKind.METADATA));
        assertThat(board.get(B)).isPresent();
        assertThat(board.size()).isEqualTo(1);
    }
}
