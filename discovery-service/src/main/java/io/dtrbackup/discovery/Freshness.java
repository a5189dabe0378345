package io.dtrbackup.discovery;

import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupOverdue;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Which clusters are overdue: last verified backup older than their freshness window, or none at all. */
public final class Freshness {
    private Freshness() {
    }

    /**
     * @param bucket the check's time bucket: instances checking in the same bucket write the same
     *        event IDs, so consumers can drop duplicates
     */
    public static List<BackupOverdue> overdue(Collection<ClusterSpec> clusters, Map<String, ClusterBackupRecorded> latest,
            Instant now, Instant bucket) {
        List<BackupOverdue> overdue = new ArrayList<>();
        for (ClusterSpec cluster : clusters) {
            ClusterBackupRecorded last = latest.get(cluster.id());
            Duration window = cluster.freshness();
            if (last != null && !last.completedAt().plus(window).isBefore(now)) {
                continue;
            }
            overdue.add(new BackupOverdue(BackupEvent.CURRENT_SCHEMA_VERSION,
                    "BackupOverdue:" + cluster.id() + ":" + bucket.toEpochMilli(), null, cluster.id(), now,
                    last == null ? null : last.backupId(), last == null ? null : last.completedAt(), window));
        }
        return overdue;
    }
}
