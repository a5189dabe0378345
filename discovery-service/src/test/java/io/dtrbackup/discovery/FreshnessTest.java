package io.dtrbackup.discovery;

import static io.dtrbackup.discovery.Fixtures.cluster;
import static io.dtrbackup.discovery.Fixtures.recorded;
import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.BackupOverdue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FreshnessTest {
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    @Test
    void clustersWithoutARecentVerifiedBackupAreOverdue() {
        var fresh = cluster("fresh", null, null, Duration.ofHours(26));
        var stale = cluster("stale", null, null, Duration.ofHours(26));
        var never = cluster("never", null, null, Duration.ofHours(26));
        var tight = cluster("tight", null, null, Duration.ofHours(1));
        var latest = Map.of(
                "fresh", recorded("fresh", "bk-f", Fixtures.A, NOW.minus(Duration.ofHours(25))),
                "stale", recorded("stale", "bk-s", Fixtures.A, NOW.minus(Duration.ofHours(27))),
                "tight", recorded("tight", "bk-t", Fixtures.A, NOW.minus(Duration.ofMinutes(61))));
        List<BackupOverdue> overdue = Freshness.overdue(List.of(fresh, stale, never, tight), latest, NOW, NOW);

        assertThat(overdue).extracting(BackupOverdue::clusterId).containsExactly("stale", "never", "tight");
        BackupOverdue s = overdue.get(0);
        assertThat(s.backupId()).isNull();
        assertThat(s.lastBackupId()).isEqualTo("bk-s");
        assertThat(s.lastVerifiedAt()).isEqualTo(NOW.minus(Duration.ofHours(27)));
        assertThat(s.freshnessWindow()).isEqualTo(Duration.ofHours(26));
        BackupOverdue n = overdue.get(1);
        assertThat(n.lastBackupId()).isNull();
        assertThat(n.lastVerifiedAt()).isNull();
    }

    @Test
    void instancesCheckingInTheSameBucketWriteTheSameEventId() {
        var never = List.of(cluster("never", null));
        String a = Freshness.overdue(never, Map.of(), NOW.plusSeconds(3), NOW).get(0).eventId();
        String b = Freshness.overdue(never, Map.of(), NOW.plusSeconds(40), NOW).get(0).eventId();
        String next = Freshness.overdue(never, Map.of(), NOW.plusSeconds(300), NOW.plusSeconds(300)).get(0).eventId();
        assertThat(a).isEqualTo(b).isNotEqualTo(next);
    }
}
