package io.dtrbackup.discovery;

import io.dtrbackup.contract.events.ClusterBackupRecorded;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The latest completed backup of each cluster, from the compacted cluster-state topic: the sticky
 * replica and the freshness clock. Confined to the verticle's event loop.
 */
public final class ClusterStateView {
    private final Map<String, ClusterBackupRecorded> latest = new HashMap<>();

    /** Keeps the newer record per cluster (by completion time), whatever order they arrive in. */
    public void apply(ClusterBackupRecorded recorded) {
        latest.merge(recorded.clusterId(), recorded,
                (old, now) -> now.completedAt().isBefore(old.completedAt()) ? old : now);
    }

    /** A tombstone: the cluster's record was deleted. */
    public void remove(String clusterId) {
        latest.remove(clusterId);
    }

    public Optional<ClusterBackupRecorded> get(String clusterId) {
        return Optional.ofNullable(latest.get(clusterId));
    }

    public Map<String, ClusterBackupRecorded> snapshot() {
        return Map.copyOf(latest);
    }
}
