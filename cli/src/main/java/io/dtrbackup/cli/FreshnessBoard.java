package io.dtrbackup.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.contract.config.ConfigType;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each cluster's last verified backup against its freshness window (RPO). Built from the clusters
 * file (ids and windows; read leniently, so the secret files it names need not exist on the
 * operator's machine) and the compacted cluster-state topic (last completed backup per cluster).
 */
final class FreshnessBoard {
    enum Status { FRESH, AGING, OVERDUE, NEVER }

    /** @param ageFraction age / window (NaN when there is no backup) */
    record Row(String clusterId, Duration window, String lastBackupId, Instant lastVerifiedAt, String replicaId,
            String dtrVersion, Duration age, double ageFraction, Status status, boolean inClustersFile) {
    }

    /** Past this fraction of its window a cluster shows as AGING (amber). */
    static final double AGING_AT = 0.8;

    private FreshnessBoard() {
    }

    static List<Row> rows(Map<String, Duration> windows, Collection<ClusterBackupRecorded> latest, Instant now) {
        Map<String, ClusterBackupRecorded> byCluster = new LinkedHashMap<>();
        for (ClusterBackupRecorded r : latest) {
            ClusterBackupRecorded before = byCluster.get(r.clusterId());
            if (before == null || r.completedAt().isAfter(before.completedAt())) {
                byCluster.put(r.clusterId(), r);
            }
        }
        List<String> ids = new ArrayList<>(windows.keySet());
        byCluster.keySet().stream().filter(id -> !windows.containsKey(id)).sorted().forEach(ids::add);
        List<Row> rows = new ArrayList<>();
        for (String id : ids) {
            Duration window = windows.getOrDefault(id, ClusterRegistry.DEFAULT_FRESHNESS);
            ClusterBackupRecorded r = byCluster.get(id);
            if (r == null) {
                rows.add(new Row(id, window, null, null, null, null, null, Double.NaN, Status.NEVER, windows.containsKey(id)));
                continue;
            }
            Duration age = Duration.between(r.completedAt(), now);
            double fraction = (double) age.toMillis() / Math.max(1, window.toMillis());
            Status status = fraction > 1 ? Status.OVERDUE : fraction > AGING_AT ? Status.AGING : Status.FRESH;
            rows.add(new Row(id, window, r.backupId(), r.completedAt(), r.replicaId(), r.dtrVersion(), age, fraction,
                    status, windows.containsKey(id)));
        }
        return rows;
    }

    /** Cluster IDs and freshness windows from a clusters file, in file order. */
    static Map<String, Duration> windows(Path clustersFile) {
        Map<String, Duration> windows = new LinkedHashMap<>();
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(clustersFile.toFile());
        } catch (IOException e) {
            throw new CliException("cannot read the clusters file " + clustersFile + ": " + e.getMessage());
        }
        JsonNode clusters = root == null ? null : root.get("clusters");
        if (clusters == null || !clusters.isArray()) {
            throw new CliException(clustersFile + " has no 'clusters:' list (see docs/operations.md for its format)");
        }
        for (JsonNode c : clusters) {
            JsonNode id = c.get("id");
            if (id == null || !id.isTextual()) {
                continue;
            }
            JsonNode f = c.get("freshness");
            Duration window = ClusterRegistry.DEFAULT_FRESHNESS;
            if (f != null && f.isTextual()) {
                try {
                    window = ConfigType.parseDuration(f.asText());
                } catch (RuntimeException e) {
                    throw new CliException("cluster " + id.asText() + " in " + clustersFile + ": freshness: " + e.getMessage());
                }
            }
            windows.put(id.asText(), window);
        }
        return windows;
    }

    static List<String> text(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(java.util.Locale.ROOT, "%-18s %-8s %-9s %-9s %-32s %s", "CLUSTER", "STATUS", "AGE",
                "WINDOW", "LAST VERIFIED BACKUP", "AT"));
        for (Row r : rows) {
            lines.add(String.format(java.util.Locale.ROOT, "%-18s %-8s %-9s %-9s %-32s %s%s", r.clusterId(), r.status(),
                    r.age() == null ? "-" : Render.duration(r.age()), Render.duration(r.window()),
                    r.lastBackupId() == null ? "(none)" : r.lastBackupId(),
                    r.lastVerifiedAt() == null ? "-" : Render.DATE_TIME.format(r.lastVerifiedAt()),
                    r.inClustersFile() ? "" : "  (not in the clusters file)"));
        }
        long overdue = rows.stream().filter(r -> r.status() == Status.OVERDUE || r.status() == Status.NEVER).count();
        lines.add("");
        lines.add(overdue == 0 ? "all " + rows.size() + " clusters are within their freshness window"
                : overdue + " of " + rows.size() + " clusters OVERDUE or never backed up: run "
                        + "'./dtr-backup backup --cluster ID --wait'");
        return lines;
    }
}
