package io.dtrbackup.verify.completion;

import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.manifest.Manifest;
import io.dtrbackup.common.metrics.PipelineMeters;
import io.dtrbackup.common.status.BackupOutcome;
import io.dtrbackup.common.status.BackupStatus;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends backups: writes the manifest and publishes BackupCompleted + ClusterBackupRecorded, or
 * publishes BackupFailed and removes the failed backup's objects; applies retention after each
 * completion. Blocking (S3 and waiting for broker acks): runs on the completion thread.
 */
public final class BackupFinisher {
    private static final Logger LOG = LoggerFactory.getLogger(BackupFinisher.class);

    /** Publishes an event and waits for the broker's ack. */
    @FunctionalInterface
    public interface Sink {
        void publish(BackupEvent event, Topic first, Topic... more) throws Exception;
    }

    private final ObjectStore store;
    private final BackupLayout layout;
    private final ClusterRegistry registry;
    private final Sink sink;
    private final PipelineMeters meters;

    public BackupFinisher(ObjectStore store, BackupLayout layout, ClusterRegistry registry, Sink sink) {
        this(store, layout, registry, sink, null);
    }

    /** @param meters backup outcomes and last success per cluster; null for none */
    public BackupFinisher(ObjectStore store, BackupLayout layout, ClusterRegistry registry, Sink sink,
            PipelineMeters meters) {
        this.store = store;
        this.layout = layout;
        this.registry = registry;
        this.sink = sink;
        this.meters = meters;
    }

    /**
     * Completes a backup whose artifacts are all verified. An existing manifest (a crash after
     * writing it) is reused, never rewritten; the terminal events have deterministic IDs.
     * Returns the BackupCompleted published.
     */
    public BackupCompleted complete(BackupStatus status) throws Exception {
        String cluster = status.clusterId();
        String backup = status.backupId();
        String key = layout.manifestKey(cluster, backup);
        Manifest manifest = readManifest(cluster, backup).orElse(null);
        if (manifest == null) {
            manifest = ManifestBuilder.of(status, layout, Instant.now());
            byte[] json = manifest.toJson();
            store.put(layout.backupBucket(), key, new ByteArrayInputStream(json), json.length,
                    Map.of("backup-id", backup, "format-version", String.valueOf(Manifest.FORMAT_VERSION)),
                    "application/json");
            LOG.info("manifest written: {}", key);
        } else {
            LOG.info("manifest {} already exists (completion interrupted before): publishing completion again", key);
        }
        BackupCompleted completed = new BackupCompleted(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.backupCompleted(backup), backup, cluster, Instant.now(), key,
                manifest.replicaId(), manifest.dtrVersion(), manifest.timings().totalMs(), manifest.objectKeys());
        sink.publish(completed, Topics.STATUS);
        sink.publish(new ClusterBackupRecorded(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.clusterBackupRecorded(backup), backup, cluster, Instant.now(),
                manifest.replicaId(), manifest.dtrVersion(), manifest.completedAt()), Topics.CLUSTER_STATE);
        LOG.info("backup completed: {} artifact(s), manifest {}", manifest.artifacts().size(), key);
        if (meters != null) {
            meters.backup(cluster, "completed", java.time.Duration.ofMillis(manifest.timings().totalMs()));
            meters.lastSuccess(cluster, manifest.completedAt());
        }
        removeStaging(cluster, backup);
        try {
            applyRetention(cluster);
        } catch (RuntimeException e) {
            LOG.warn("retention of cluster {} failed ({}); it runs again after the next completion", cluster, e.toString());
        }
        return completed;
    }

    /** Publishes BackupFailed with the outcome's phase and reason, then removes the backup's objects. */
    BackupFailed fail(BackupStatus status, BackupOutcome outcome) throws Exception {
        BackupFailed failed = new BackupFailed(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.backupFailed(status.backupId()), status.backupId(), status.clusterId(),
                Instant.now(), outcome.phase(), outcome.failedStage(), outcome.reason());
        sink.publish(failed, Topics.STATUS);
        LOG.warn("backup {}: {} ({})", outcome.phase(), outcome.reason(), outcome.failedStage());
        if (meters != null) {
            meters.backup(status.clusterId(), outcome.phase().name().toLowerCase(java.util.Locale.ROOT),
                    status.discovered().map(d -> java.time.Duration.between(d.requestedAt(), Instant.now())).orElse(null));
        }
        removeLeftovers(status.clusterId(), status.backupId());
        return failed;
    }

    /** Removes everything of a failed backup: its prefix in the backup bucket and in staging. */
    void removeLeftovers(String cluster, String backup) {
        if (store.exists(layout.backupBucket(), layout.manifestKey(cluster, backup))) {
            LOG.error("backup {} has a manifest: not removing a completed backup's objects", backup);
            return;
        }
        int removed = removePrefix(layout.backupBucket(), BackupLayout.backupPrefix(cluster, backup));
        removed += removeStaging(cluster, backup);
        if (removed > 0) {
            LOG.info("removed {} leftover object(s) of failed backup {}", removed, backup);
        }
    }

    private int removeStaging(String cluster, String backup) {
        return removePrefix(layout.stagingBucket(), BackupLayout.backupPrefix(cluster, backup));
    }

    private int removePrefix(String bucket, String prefix) {
        List<ObjectInfo> objects = store.list(bucket, prefix);
        objects.forEach(o -> store.remove(bucket, o.key()));
        return objects.size();
    }

    public Optional<Manifest> readManifest(String cluster, String backup) {
        String key = layout.manifestKey(cluster, backup);
        if (!store.exists(layout.backupBucket(), key)) {
            return Optional.empty();
        }
        try (InputStream in = store.get(layout.backupBucket(), key)) {
            return Optional.of(Manifest.read(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + key + ": " + e.getMessage(), e);
        }
    }

    /**
     * Keeps a cluster's newest {@code keepLast} verified backups and none older than
     * {@code maxAge}, but never the newest verified backup. Only backups with a manifest count:
     * one in flight has none and is never touched. Returns the backup IDs removed.
     */
    List<String> applyRetention(String cluster) {
        ClusterSpec.Retention retention = registry == null ? null
                : registry.find(cluster).map(ClusterSpec::retention).orElse(null);
        if (retention == null || (retention.keepLast() == null && retention.maxAge() == null)) {
            return List.of();
        }
        Map<String, Instant> completed = new TreeMap<>();
        for (ObjectInfo o : store.list(layout.backupBucket(), BackupLayout.clusterPrefix(cluster))) {
            if (o.key().endsWith("/" + BackupLayout.MANIFEST)) {
                String id = BackupLayout.backupIdOf(o.key());
                if (o.key().equals(layout.manifestKey(cluster, id))) {
                    Instant at = o.lastModified() == null ? Instant.EPOCH : o.lastModified();
                    try {
                        at = readManifest(cluster, id).map(Manifest::completedAt).orElse(at);
                    } catch (RuntimeException e) {
                        LOG.warn("retention: cannot read the manifest of {} ({}); using its upload time", id, e.toString());
                    }
                    completed.put(id, at);
                }
            }
        }
        List<String> newestFirst = completed.entrySet().stream()
                .sorted(Map.Entry.<String, Instant>comparingByValue().thenComparing(Map.Entry.comparingByKey()).reversed())
                .map(Map.Entry::getKey).collect(Collectors.toList());
        Instant oldest = retention.maxAge() == null ? null : Instant.now().minus(retention.maxAge());
        List<String> removed = new java.util.ArrayList<>();
        for (int i = 1; i < newestFirst.size(); i++) { // i = 0: the newest verified backup always stays
            String id = newestFirst.get(i);
            boolean tooMany = retention.keepLast() != null && i >= retention.keepLast();
            boolean tooOld = oldest != null && completed.get(id).isBefore(oldest);
            if (tooMany || tooOld) {
                // manifest first: a half-removed backup never looks complete
                List<ObjectInfo> objects = store.list(layout.backupBucket(), BackupLayout.backupPrefix(cluster, id));
                objects.stream().sorted(Comparator.comparing(o -> o.key().endsWith("/" + BackupLayout.MANIFEST) ? 0 : 1))
                        .forEach(o -> store.remove(layout.backupBucket(), o.key()));
                removed.add(id);
                LOG.info("retention (keepLast={}, maxAge={}): removed backup {} of cluster {} ({} objects)",
                        retention.keepLast(), retention.maxAge(), id, cluster, objects.size());
            }
        }
        return removed;
    }
}
