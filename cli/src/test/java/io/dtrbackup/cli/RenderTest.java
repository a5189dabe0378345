package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupOverdue;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RenderTest {
    @Test
    void unitsAndDurations() {
        assertThat(Render.bytes(512)).isEqualTo("512 B");
        assertThat(Render.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Render.bytes(200L << 20)).isEqualTo("200.0 MiB");
        assertThat(Render.rate(123_400_000)).isEqualTo("123.4 MB/s");
        assertThat(Render.rate(0)).isEqualTo("-");
        assertThat(Render.duration(Duration.ofSeconds(4))).isEqualTo("4s");
        assertThat(Render.duration(Duration.ofSeconds(95))).isEqualTo("1m35s");
        assertThat(Render.duration(Duration.ofSeconds(3725))).isEqualTo("1h02m");
        assertThat(Render.duration(Duration.ofHours(51))).isEqualTo("2d03h");
    }

    @Test
    void watchPrintsALinePerChangeAndRateLimitsProgress() {
        WatchModel model = new WatchModel(null, Duration.ofSeconds(5));
        assertThat(model.apply(Events.discovered(1))).isEqualTo("02:00:01Z " + Events.BACKUP
                + " prod-eu-1 BACKING_UP metadata PENDING, images PENDING");
        String first = model.apply(Events.progress(2, ArtifactKind.IMAGES, ArtifactPhase.STAGING, 1 << 20, 1e8));
        assertThat(first).endsWith("images STAGING 1.0 MiB");
        // Same phases, 1 s later: no new line; 5 s later: a progress line.
        assertThat(model.apply(Events.progress(3, ArtifactKind.IMAGES, ArtifactPhase.STAGING, 2 << 20, 1e8))).isNull();
        assertThat(model.apply(Events.progress(8, ArtifactKind.IMAGES, ArtifactPhase.STAGING, 9 << 20, 1e8)))
                .endsWith("images STAGING 9.0 MiB");
        assertThat(model.apply(Events.backupFailed(9, io.dtrbackup.contract.events.BackupPhase.FAILED, "metadata",
                "docker/dtr exited 1"))).isEqualTo("02:00:09Z " + Events.BACKUP + " prod-eu-1 FAILED at metadata: docker/dtr exited 1");
    }

    @Test
    void watchSnapshotShowsInFlightFinishedAndOverdue() {
        WatchModel model = new WatchModel(null, Duration.ofSeconds(5));
        model.apply(Events.discovered(1));
        model.apply(Events.progress(2, ArtifactKind.IMAGES, ArtifactPhase.ENCRYPTING, 300L << 20, 250e6));
        model.apply(new BackupOverdue(Events.V, "o", null, "stale-1", Events.at(3), "bk-old", Events.at(3).minus(Duration.ofHours(30)),
                Duration.ofHours(26)));
        List<String> lines = model.snapshot(Events.at(4), Duration.ofHours(1));
        assertThat(String.join("\n", lines))
                .contains("IN FLIGHT (1)")
                .contains("images   ENCRYPTING 300.0 MiB 250.0 MB/s")
                .contains("OVERDUE CLUSTERS (1)")
                .contains("stale-1          last verified backup bk-old is 1d06h old (window 1d02h)");
    }

    @Test
    void watchFiltersByCluster() {
        WatchModel model = new WatchModel("other", Duration.ofSeconds(5));
        assertThat(model.apply(Events.discovered(1))).isNull();
        assertThat(model.snapshot(Events.at(2), Duration.ofHours(1))).contains("IN FLIGHT (0)");
    }
}
