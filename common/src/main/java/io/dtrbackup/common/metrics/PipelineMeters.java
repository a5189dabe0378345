package io.dtrbackup.common.metrics;

import io.dtrbackup.contract.events.ArtifactKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pipeline's meters, declared once so every service names them alike. Prometheus names
 * (what {@code /metrics} shows) in brackets; every meter also carries {@code service}.
 * <ul>
 * <li>{@link #JOBS_IN_FLIGHT} [dtr_backup_jobs_in_flight{topic,group}]: jobs running now, per consumer;</li>
 * <li>{@link #JOBS_COMPLETED} [dtr_backup_jobs_completed_total{topic}], {@link #JOBS_FAILED}
 * [dtr_backup_jobs_failed_total{topic}] (failed attempts, retried), {@link #JOBS_DEAD_LETTERED}
 * [dtr_backup_jobs_dead_lettered_total{topic}], {@link #JOB_DURATION}
 * [dtr_backup_job_duration_seconds{topic}];</li>
 * <li>{@link #CONSUMER_LAG} [dtr_backup_consumer_lag{topic,group}]: records not yet committed by the
 * service's consumer group (NaN until first measured);</li>
 * <li>{@link #STAGE_DURATION} [dtr_backup_stage_duration_seconds{stage,kind,outcome}] and
 * {@link #STAGE_BYTES} [dtr_backup_stage_bytes_total{stage,kind}]: one artifact through one stage;</li>
 * <li>{@link #BACKUPS} [dtr_backup_backups_total{cluster,outcome}] and {@link #BACKUP_DURATION}
 * [dtr_backup_backup_duration_seconds{outcome}]: finished backups (verify-service decides them);</li>
 * <li>{@link #REVERIFICATIONS} [dtr_backup_reverifications_total{cluster,outcome}]: stored backups re-verified
 * on request, outcome intact or damaged (verify-service);</li>
 * <li>{@link #REQUESTS} [dtr_backup_requests_total{outcome}]: what discovery did with each request;</li>
 * <li>{@link #LAST_SUCCESS} [dtr_backup_last_success_timestamp_seconds{cluster}]: completion time of
 * each cluster's latest verified backup (epoch seconds);</li>
 * <li>{@link #CLUSTERS_OVERDUE} [dtr_backup_clusters_overdue]: clusters past their freshness window at
 * the last check (discovery-service).</li>
 * </ul>
 * The per-cluster outcome counters can be registered at 0 up front ({@link #knownClusters}): an alert on
 * {@code increase()} sees a cluster's first failure only if the series had a sample before it.
 */
public final class PipelineMeters {
    public static final String JOBS_IN_FLIGHT = "dtr.backup.jobs.in.flight";
    public static final String JOBS_COMPLETED = "dtr.backup.jobs.completed";
    public static final String JOBS_FAILED = "dtr.backup.jobs.failed";
    public static final String JOBS_DEAD_LETTERED = "dtr.backup.jobs.dead.lettered";
    public static final String JOB_DURATION = "dtr.backup.job.duration";
    public static final String CONSUMER_LAG = "dtr.backup.consumer.lag";
    public static final String STAGE_DURATION = "dtr.backup.stage.duration";
    public static final String STAGE_BYTES = "dtr.backup.stage.bytes";
    public static final String BACKUPS = "dtr.backup.backups";
    public static final String BACKUP_DURATION = "dtr.backup.backup.duration";
    public static final String REVERIFICATIONS = "dtr.backup.reverifications";
    public static final String REQUESTS = "dtr.backup.requests";
    /** The outcomes {@link #backup} counts and {@link #knownClusters} registers up front. */
    public static final List<String> BACKUP_OUTCOMES = List.of("completed", "partially_failed", "failed");
    /** The outcomes of {@link #reverification}. */
    public static final List<String> REVERIFICATION_OUTCOMES = List.of("intact", "damaged");
    public static final String LAST_SUCCESS = "dtr.backup.last.success.timestamp";
    public static final String CLUSTERS_OVERDUE = "dtr.backup.clusters.overdue";

    private final MeterRegistry registry;
    /** Gauges hold their state weakly: the values live here. */
    private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();

    public PipelineMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * One artifact left a stage: {@code stage} is metadata, images, encrypt or verify; {@code outcome}
     * a lower-case word (staged, encrypted, verified, skipped, failed...); bytes are what the stage
     * produced or read (0 when nothing).
     */
    public void stage(String stage, ArtifactKind kind, String outcome, Duration took, long bytes) {
        String k = kind == null ? "none" : kind.id();
        Timer.builder(STAGE_DURATION).description("time one artifact spent in a stage")
                .tags("stage", stage, "kind", k, "outcome", outcome).register(registry).record(took);
        if (bytes > 0) {
            Counter.builder(STAGE_BYTES).description("bytes one stage produced").baseUnit("bytes")
                    .tags("stage", stage, "kind", k).register(registry).increment(bytes);
        }
    }

    /** A backup ended: outcome completed, partially_failed or failed ({@link #BACKUP_OUTCOMES}); took = request to end. */
    public void backup(String clusterId, String outcome, Duration took) {
        backups(clusterId, outcome).increment();
        if (took != null && !took.isNegative()) {
            Timer.builder(BACKUP_DURATION).description("time from request to the backup's end")
                    .tags("outcome", outcome).register(registry).record(took);
        }
    }

    private Counter backups(String clusterId, String outcome) {
        return Counter.builder(BACKUPS).description("backups that ended, by outcome")
                .tags("cluster", clusterId, "outcome", outcome).register(registry);
    }

    /**
     * A stored backup was re-verified ({@code BackupReverified}): intact, or damaged (an artifact failed
     * its re-verification, or the manifest is missing or unreadable).
     */
    public void reverification(String clusterId, boolean intact) {
        reverifications(clusterId, intact ? "intact" : "damaged").increment();
    }

    private Counter reverifications(String clusterId, String outcome) {
        return Counter.builder(REVERIFICATIONS).description("stored backups re-verified, by outcome")
                .tags("cluster", clusterId, "outcome", outcome).register(registry);
    }

    /**
     * Registers at 0 every outcome counter of these clusters ({@link #BACKUPS}, {@link #REVERIFICATIONS}), so
     * the first failure of a cluster is a rise from 0 that {@code increase()} and {@code rate()} see, not a
     * new series they ignore.
     */
    public void knownClusters(Collection<String> clusterIds) {
        for (String id : clusterIds) {
            BACKUP_OUTCOMES.forEach(o -> backups(id, o));
            REVERIFICATION_OUTCOMES.forEach(o -> reverifications(id, o));
        }
    }

    /** What discovery did with a request: discovered, failed, rejected, ignored. */
    public void request(String outcome) {
        Counter.builder(REQUESTS).description("backup requests handled by discovery, by outcome")
                .tags("outcome", outcome).register(registry).increment();
    }

    /** The latest verified backup of a cluster completed at {@code completedAt}; older values are ignored. */
    public void lastSuccess(String clusterId, Instant completedAt) {
        AtomicLong value = lastSuccess.computeIfAbsent(clusterId, id -> {
            AtomicLong v = new AtomicLong(Long.MIN_VALUE);
            Gauge.builder(LAST_SUCCESS, v, a -> a.get() == Long.MIN_VALUE ? Double.NaN : a.get())
                    .description("completion time of the cluster's latest verified backup").baseUnit("seconds")
                    .tags("cluster", id).strongReference(true).register(registry);
            return v;
        });
        value.accumulateAndGet(completedAt.getEpochSecond(), Math::max);
    }
}
