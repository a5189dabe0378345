package io.dtrbackup.cli;

import static io.dtrbackup.cli.Events.at;
import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackupFollowerTest {
    private final StringWriter text = new StringWriter();

    private BackupFollower.Result follow(Duration timeout, BackupEvent... events) {
        Deque<BackupEvent> queue = new ArrayDeque<>(List.of(events));
        // One event per poll, like a slow topic; an empty poll once the story is told.
        BackupFollower follower = new BackupFollower(() -> queue.isEmpty() ? List.of() : List.of(queue.poll()),
                Events.BACKUP, new PlainProgressView(new PrintWriter(text, true), Duration.ofSeconds(5)));
        return follower.follow(timeout);
    }

    @Test
    void completedBackupExitsZeroAndPrintsPhasesAndProgress() {
        var result = follow(Duration.ofSeconds(10),
                Events.discovered(1),
                Events.progress(2, ArtifactKind.METADATA, ArtifactPhase.STAGING, 10 << 20, 50e6),
                Events.progress(3, ArtifactKind.IMAGES, ArtifactPhase.STAGING, 200L << 20, 120e6),
                Events.verified(20, ArtifactKind.METADATA), Events.verified(30, ArtifactKind.IMAGES),
                Events.completed(31));
        assertThat(result.timedOut()).isFalse();
        assertThat(result.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(text.toString())
                .contains("02:00:01Z " + Events.BACKUP + " BACKING_UP (replica a1640e1c15b6, DTR 2.9.4)")
                .contains("images   STAGING    200.0 MiB 120.0 MB/s")
                .contains("metadata VERIFIED   1.0 KiB verified");
    }

    @Test
    void partiallyFailedExitsThreeWithTheReason() {
        var result = follow(Duration.ofSeconds(10), Events.discovered(1), Events.verified(5, ArtifactKind.METADATA),
                Events.failed(6, ArtifactKind.IMAGES, "volume dtr-registry-a1640e1c15b6 vanished"),
                Events.backupFailed(7, BackupPhase.PARTIALLY_FAILED, "images", "volume dtr-registry-a1640e1c15b6 vanished"));
        assertThat(result.exitCode()).isEqualTo(ExitCodes.PARTIALLY_FAILED);
        assertThat(Render.outcome(result.status()))
                .isEqualTo("PARTIALLY_FAILED at images: volume dtr-registry-a1640e1c15b6 vanished");
    }

    @Test
    void failedAndRejectedExitTwo() {
        assertThat(follow(Duration.ofSeconds(10), Events.discovered(1),
                Events.backupFailed(2, BackupPhase.FAILED, "metadata", "docker/dtr exited 1: invalid UCP credentials"))
                .exitCode()).isEqualTo(ExitCodes.FAILED);
        var rejected = follow(Duration.ofSeconds(10), Events.rejected(1));
        assertThat(rejected.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(Render.outcome(rejected.status())).startsWith("REJECTED: backup bk-1 of prod-eu-1 is still running");
    }

    @Test
    void noTerminalEventTimesOutWithExitFour() {
        var result = follow(Duration.ofMillis(300), Events.discovered(1),
                new BackupPhaseChanged(Events.V, "ph", Events.BACKUP, Events.CLUSTER, at(2), BackupPhase.BACKING_UP, null, null));
        assertThat(result.timedOut()).isTrue();
        assertThat(result.exitCode()).isEqualTo(ExitCodes.TIMEOUT);
        StringWriter end = new StringWriter();
        BackupCommand.printEnd(result, Duration.ofMillis(300), new PrintWriter(end, true));
        assertThat(end.toString()).contains("timed out").contains("last phase BACKING_UP").contains("watch");
    }

    @Test
    void eventsOfOtherBackupsAreIgnored() {
        var other = new io.dtrbackup.contract.events.BackupRejected(Events.V, "x", "bk-other", Events.CLUSTER, at(1),
                "no", null);
        var result = follow(Duration.ofSeconds(10), other, Events.discovered(2), Events.verified(3, ArtifactKind.METADATA),
                Events.verified(4, ArtifactKind.IMAGES), Events.completed(5));
        assertThat(result.exitCode()).isEqualTo(ExitCodes.OK);
    }

    @Test
    void phaseMapsToDistinctExitCodes() {
        assertThat(BackupFollower.exitCodeOf(BackupPhase.COMPLETED)).isZero();
        assertThat(BackupFollower.exitCodeOf(BackupPhase.PARTIALLY_FAILED)).isEqualTo(3);
        assertThat(BackupFollower.exitCodeOf(BackupPhase.FAILED)).isEqualTo(2);
        assertThat(BackupFollower.exitCodeOf(BackupPhase.REJECTED)).isEqualTo(2);
    }
}
