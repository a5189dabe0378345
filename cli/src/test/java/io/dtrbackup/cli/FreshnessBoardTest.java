package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreshnessBoardTest {
    static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    @TempDir
    Path tmp;

    static ClusterBackupRecorded recorded(String cluster, String backup, Duration ago) {
        Instant at = NOW.minus(ago);
        return new ClusterBackupRecorded(BackupEvent.CURRENT_SCHEMA_VERSION, backup + ":rec", backup, cluster, at,
                "a1640e1c15b6", "2.9.4", at);
    }

    List<FreshnessBoard.Row> rows() throws Exception {
        Path file = tmp.resolve("clusters.yaml");
        // Secret files named here do not exist on this machine: the board only needs ids and windows.
        Files.writeString(file, """
                clusters:
                  - id: fresh-1
                    ucp: {passwordFile: /nowhere/pw}
                    freshness: 24h
                  - id: aging-1
                    freshness: 10h
                  - id: late-1
                  - id: never-1
                    freshness: 1d
                """);
        var windows = FreshnessBoard.windows(file);
        return FreshnessBoard.rows(windows, List.of(
                recorded("fresh-1", "bk-old", Duration.ofHours(30)), recorded("fresh-1", "bk-new", Duration.ofHours(2)),
                recorded("aging-1", "bk-a", Duration.ofHours(9)), recorded("late-1", "bk-l", Duration.ofHours(27)),
                recorded("gone-1", "bk-g", Duration.ofHours(1))), NOW);
    }

    @Test
    void eachClusterIsJudgedAgainstItsOwnWindow() throws Exception {
        var rows = rows();
        assertThat(rows).extracting(FreshnessBoard.Row::clusterId)
                .containsExactly("fresh-1", "aging-1", "late-1", "never-1", "gone-1");
        assertThat(rows).extracting(FreshnessBoard.Row::status).containsExactly(FreshnessBoard.Status.FRESH,
                FreshnessBoard.Status.AGING, FreshnessBoard.Status.OVERDUE, FreshnessBoard.Status.NEVER,
                FreshnessBoard.Status.FRESH);
        assertThat(rows.get(0).lastBackupId()).isEqualTo("bk-new");
        assertThat(rows.get(2).window()).isEqualTo(Duration.ofHours(26)); // the registry's default
        assertThat(rows.get(4).inClustersFile()).isFalse();
    }

    @Test
    void textFlagsOverdueClustersAndSaysWhatToRun() throws Exception {
        String text = String.join("\n", FreshnessBoard.text(rows()));
        assertThat(text).contains("late-1             OVERDUE  1d03h     1d02h     bk-l")
                .contains("never-1            NEVER    -         1d00h     (none)")
                .contains("gone-1").contains("(not in the clusters file)")
                .contains("2 of 5 clusters OVERDUE or never backed up: run './dtr-backup backup --cluster ID --wait'");
    }

    @Test
    void htmlBoardIsSelfContainedWithOneColouredBarPerCluster() throws Exception {
        String html = HtmlBoard.render(rows(), NOW);
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<svg").doesNotContain("<script").doesNotContain("http://")
                .doesNotContain("https://");
        assertThat(html.split("<g class=\"row ", -1)).hasSize(6);
        assertThat(html).contains("<g class=\"row overdue\"><title>late-1: OVERDUE (bk-l)</title>")
                .contains("fill=\"" + HtmlBoard.colour(FreshnessBoard.Status.OVERDUE) + "\"")
                .contains("fill=\"" + HtmlBoard.colour(FreshnessBoard.Status.NEVER) + "\"")
                .contains("2 overdue or never backed up");
        // The overdue bar (27h of 26h) runs past the window line, the fresh one (2h of 24h) stays short.
        assertThat(html).containsPattern("<rect x=\"200\" y=\"\\d+\" width=\"(36[0-9])\" height=\"22\" fill=\"#d13b30\"/>");
        assertThat(html).containsPattern("<rect x=\"200\" y=\"\\d+\" width=\"29\" height=\"22\" fill=\"#2e9d48\"/>");
    }

    @Test
    void htmlEscapesClusterNames() {
        var row = new FreshnessBoard.Row("<b>&x", Duration.ofHours(1), null, null, null, null, null, Double.NaN,
                FreshnessBoard.Status.NEVER, true);
        assertThat(HtmlBoard.render(List.of(row), NOW)).contains("&lt;b&gt;&amp;x").doesNotContain("<b>&x");
    }
}
