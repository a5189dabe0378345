package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.topics.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BoardStateTest {
    static final Instant NOW = Events.at(600);
    static final long MIB = 1024 * 1024;

    final BoardState state = new BoardState(Map.of(), 2, 10);

    static BackupProgress progress(int s, ArtifactKind kind, ArtifactPhase stage, long done, Long total) {
        return new BackupProgress(Events.V, "p" + s + kind + stage, Events.BACKUP, Events.CLUSTER, Events.at(s), kind, stage,
                done, total, null, 50_000_000);
    }

    BoardState.Backup only(List<BoardState.Backup> backups) {
        assertThat(backups).hasSize(1);
        return backups.get(0);
    }

    static BoardState.Stage stage(BoardState.Backup b, String kind, String stage) {
        return b.artifacts().stream().filter(a -> a.kind().equals(kind)).findFirst().orElseThrow()
                .stages().stream().filter(s -> s.stage().equals(stage)).findFirst().orElseThrow();
    }

    @Test
    void aStageWithAKnownTotalIsAPercentAndTheStagesBeforeItAreDone() {
        state.status(Events.discovered(1));
        state.status(progress(2, ArtifactKind.METADATA, ArtifactPhase.STAGING, 4 * MIB, 10 * MIB));
        BoardState.Backup b = only(state.snapshot(NOW).inFlight());
        assertThat(b.phase()).isEqualTo("BACKING_UP");
        assertThat(stage(b, "metadata", "staging")).extracting("state", "percent").containsExactly("active", 40);
        assertThat(stage(b, "metadata", "staging").text()).startsWith("40 %  4.0 MiB / 10.0 MiB").endsWith("50.0 MB/s");
        assertThat(stage(b, "metadata", "encrypting")).extracting("state", "percent").containsExactly("pending", 0);
        assertThat(stage(b, "images", "staging")).extracting("state", "percent").containsExactly("pending", 0);

        state.status(progress(3, ArtifactKind.METADATA, ArtifactPhase.ENCRYPTING, 5 * MIB, 10 * MIB));
        b = only(state.snapshot(NOW).inFlight());
        assertThat(stage(b, "metadata", "staging")).extracting("state", "percent").containsExactly("done", 100);
        assertThat(stage(b, "metadata", "encrypting")).extracting("state", "percent").containsExactly("active", 50);
        assertThat(stage(b, "metadata", "verifying")).extracting("state", "percent").containsExactly("pending", 0);
    }

    @Test
    void aStageWithoutATotalIsIndeterminateAndTheStageTotalIsNotTakenFromAnother() {
        state.status(Events.discovered(1));
        state.status(progress(2, ArtifactKind.IMAGES, ArtifactPhase.STAGING, 123 * MIB, null));
        BoardState.Stage images = stage(only(state.snapshot(NOW).inFlight()), "images", "staging");
        assertThat(images.state()).isEqualTo("active");
        assertThat(images.percent()).as("unknown total: indeterminate").isNull();
        assertThat(images.text()).startsWith("123.0 MiB");
        // A total seen for STAGING does not make the ENCRYPTING bar of the same artifact determinate.
        state.status(progress(3, ArtifactKind.METADATA, ArtifactPhase.STAGING, 1 * MIB, 10 * MIB));
        state.status(progress(4, ArtifactKind.METADATA, ArtifactPhase.ENCRYPTING, 2 * MIB, null));
        BoardState.Backup b = only(state.snapshot(NOW).inFlight());
        assertThat(stage(b, "metadata", "staging")).extracting("state", "percent").containsExactly("done", 100);
        assertThat(stage(b, "metadata", "encrypting").percent()).isNull();
    }

    @Test
    void aCompletedBackupLeavesInFlightWithEveryStageDone() {
        state.status(Events.discovered(1));
        state.status(progress(2, ArtifactKind.METADATA, ArtifactPhase.STAGING, 4 * MIB, 10 * MIB));
        state.status(Events.verified(3, ArtifactKind.METADATA));
        state.status(Events.verified(4, ArtifactKind.IMAGES));
        state.status(Events.completed(5));
        BoardState.Snapshot s = state.snapshot(NOW);
        assertThat(s.inFlight()).isEmpty();
        BoardState.Backup b = only(s.finished());
        assertThat(b.phase()).isEqualTo("COMPLETED");
        assertThat(b.colour()).isEqualTo(HtmlBoard.colour(FreshnessBoard.Status.FRESH));
        assertThat(b.outcome()).isEqualTo("COMPLETED in 1m00s · manifest prod-eu-1/" + Events.BACKUP + "/manifest.json");
        assertThat(b.endedAt()).isEqualTo("2026-11-25 02:00:05Z");
        assertThat(b.artifacts()).flatExtracting(BoardState.Artifact::stages).extracting(BoardState.Stage::state)
                .containsOnly("done").hasSize(6);
        assertThat(s.failures()).isEmpty();
    }

    @Test
    void aFailureShowsItsStageAndReasonAndARunningStageStopsWhereItWas() {
        state.status(Events.discovered(1));
        state.status(progress(2, ArtifactKind.IMAGES, ArtifactPhase.STAGING, 3 * MIB, 12 * MIB));
        state.status(Events.failed(3, ArtifactKind.METADATA, "docker/dtr backup exited 1: <rethinkdb> unreachable"));
        state.status(Events.backupFailed(4, BackupPhase.FAILED, "metadata", "the metadata artifact failed while staging: "
                + "docker/dtr backup exited 1: <rethinkdb> unreachable"));
        BoardState.Snapshot s = state.snapshot(NOW);
        assertThat(s.inFlight()).isEmpty();
        BoardState.Failure f = s.failures().get(0);
        assertThat(f).extracting("backupId", "clusterId", "phase", "failedStage").containsExactly(Events.BACKUP,
                Events.CLUSTER, "FAILED", "metadata");
        assertThat(f.reason()).isEqualTo("the metadata artifact failed while staging: docker/dtr backup exited 1: <rethinkdb> unreachable");
        BoardState.Backup b = only(s.finished());
        assertThat(b.colour()).isEqualTo(HtmlBoard.colour(FreshnessBoard.Status.OVERDUE));
        assertThat(stage(b, "metadata", "staging").state()).isEqualTo("failed");
        assertThat(b.artifacts().get(0).detail()).isEqualTo("docker/dtr backup exited 1: <rethinkdb> unreachable");
        assertThat(stage(b, "images", "staging")).extracting("state", "percent").containsExactly("stopped", 25);
    }

    @Test
    void onlyTheLastFailuresAreShownNewestFirst() {
        for (int i = 1; i <= 3; i++) {
            state.status(new BackupFailed(Events.V, "f" + i, "bk-" + i, "c-" + i, Events.at(i * 10), BackupPhase.FAILED,
                    "discovery", "reason " + i));
        }
        assertThat(state.snapshot(NOW).failures()).extracting(BoardState.Failure::reason).containsExactly("reason 3", "reason 2");
    }

    @Test
    void clustersAreTheFreshnessRowsInTheHtmlBoardsColours() {
        Map<String, Duration> windows = new LinkedHashMap<>();
        windows.put("fresh-1", Duration.ofHours(24));
        windows.put("late-1", Duration.ofHours(10));
        windows.put("never-1", Duration.ofHours(26));
        BoardState board = new BoardState(windows, 10, 10);
        board.clusterState(recorded("fresh-1", "bk-new", Duration.ofHours(6)));
        board.clusterState(recorded("fresh-1", "bk-old", Duration.ofHours(30))); // older: compaction order is not time order
        board.clusterState(recorded("late-1", "bk-late", Duration.ofHours(20)));
        List<BoardState.Cluster> rows = board.snapshot(NOW).clusters();
        assertThat(rows).extracting(BoardState.Cluster::clusterId).containsExactly("fresh-1", "late-1", "never-1");
        assertThat(rows).extracting(BoardState.Cluster::status).containsExactly("FRESH", "OVERDUE", "NEVER");
        assertThat(rows).extracting(BoardState.Cluster::colour).containsExactly(HtmlBoard.colour(FreshnessBoard.Status.FRESH),
                HtmlBoard.colour(FreshnessBoard.Status.OVERDUE), HtmlBoard.colour(FreshnessBoard.Status.NEVER));
        assertThat(rows.get(0).lastBackupId()).isEqualTo("bk-new");
        assertThat(rows.get(0).bar()).isCloseTo(0.25 / HtmlBoard.AXIS, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(rows.get(1).bar()).as("clipped at the axis end").isEqualTo(1.0);
        assertThat(rows.get(2).bar()).isEqualTo(1.0);
        assertThat(rows.get(0).age()).isEqualTo("6h00m");
        assertThat(board.snapshot(NOW).palette()).containsEntry("fresh", HtmlBoard.colour(FreshnessBoard.Status.FRESH))
                .containsEntry("aging", HtmlBoard.colour(FreshnessBoard.Status.AGING))
                .containsEntry("overdue", HtmlBoard.colour(FreshnessBoard.Status.OVERDUE))
                .containsEntry("never", HtmlBoard.colour(FreshnessBoard.Status.NEVER));
    }

    static ClusterBackupRecorded recorded(String cluster, String backup, Duration ago) {
        Instant at = NOW.minus(ago);
        return new ClusterBackupRecorded(Events.V, backup + ":rec", backup, cluster, at, "a1640e1c15b6", "2.9.4", at);
    }

    @Test
    void readyOnceBothTopicsHaveBeenReadToTheirEndAndEveryChangeMovesTheVersion() {
        long v0 = state.version();
        state.feed(Topics.STATUS, BoardState.Feed.LIVE, null);
        assertThat(state.ready()).isFalse();
        state.feed(Topics.CLUSTER_STATE, BoardState.Feed.REPLAYING, null);
        assertThat(state.ready()).isFalse();
        state.feed(Topics.CLUSTER_STATE, BoardState.Feed.LIVE, null);
        assertThat(state.ready()).isTrue();
        // A broker that goes away later is shown on the page; the board stays ready (it still serves what it knows).
        state.feed(Topics.STATUS, BoardState.Feed.ERROR, "Kafka unreachable (retrying in 2 s)");
        assertThat(state.ready()).isTrue();
        assertThat(state.snapshot(NOW).sources()).extracting(BoardState.Source::state).containsExactly("error", "live");
        long v1 = state.version();
        assertThat(v1).isGreaterThan(v0);
        state.status(Events.discovered(1));
        assertThat(state.version()).isGreaterThan(v1);
    }
}
