package io.dtrbackup.discovery;

import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.common.config.ServiceConfig;
import io.dtrbackup.common.events.BackupEvent;
import io.dtrbackup.common.events.BackupFailed;
import io.dtrbackup.common.events.BackupIds;
import io.dtrbackup.common.events.BackupOptions;
import io.dtrbackup.common.events.BackupOverdue;
import io.dtrbackup.common.events.BackupPhase;
import io.dtrbackup.common.events.BackupPhaseChanged;
import io.dtrbackup.common.events.BackupRejected;
import io.dtrbackup.common.events.BackupRequested;
import io.dtrbackup.common.events.ClusterBackupRecorded;
import io.dtrbackup.common.events.EventIds;
import io.dtrbackup.common.events.ReplicaDiscovered;
import io.dtrbackup.common.events.Trigger;
import io.dtrbackup.common.kafka.JobConsumer;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.common.metrics.PipelineMeters;
import io.dtrbackup.common.service.PipelineVerticle;
import io.dtrbackup.common.store.BackupLayout;
import io.dtrbackup.common.topics.Topics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.micrometer.core.instrument.Gauge;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * discovery-service: turns BackupRequested into ReplicaDiscovered (or BackupFailed /
 * BackupRejected), schedules backups from the clusters' cron expressions and reports overdue
 * clusters. See docs/services/discovery-service.md.
 *
 * <p>All state (the ledger of backups from the status topic, the latest completed backup per
 * cluster, the scheduler's next slots) lives on this verticle's event loop; Docker is read on
 * the worker pool.
 */
public final class DiscoveryVerticle extends PipelineVerticle {
    public static final String SERVICE_NAME = "discovery-service";
    static final String DISCOVERY_STAGE = "discovery";
    static final String SCHEDULER = SERVICE_NAME + "/scheduler";
    private static final Logger LOG = LoggerFactory.getLogger(DiscoveryVerticle.class);
    private static final Duration LEDGER_KEEP = Duration.ofDays(35);

    private final Clock clock;
    private final ClusterInspector inspector;
    private final Duration inFlightMaxAge;
    private final BackupLedger ledger = new BackupLedger();
    private final ClusterStateView clusterState = new ClusterStateView();
    private final Map<String, Instant> nextSlots = new HashMap<>();
    private final Map<String, Schedules> schedules = new HashMap<>();
    private final List<Long> timers = new ArrayList<>();
    private ClusterRegistry registry;
    private TopicTail statusTail;
    private TopicTail stateTail;
    private long schedulerTimer = -1;
    private boolean stopping;
    /** Clusters found overdue by the last freshness check, for the gauge. */
    private volatile int overdueClusters;

    public DiscoveryVerticle(ServiceConfig config) {
        this(config, Clock.systemUTC(), new DockerClusterInspector(config.get(DiscoveryServiceConfig.DOCKER_TIMEOUT)));
    }

    /** With an injectable clock (scheduler, freshness) and inspector, for tests. */
    public DiscoveryVerticle(ServiceConfig config, Clock clock, ClusterInspector inspector) {
        super(SERVICE_NAME, config);
        this.clock = clock;
        this.inspector = inspector;
        this.inFlightMaxAge = config.get(DiscoveryServiceConfig.IN_FLIGHT_MAX_AGE);
    }

    @Override
    protected Future<?> startService() {
        Context context = vertx.getOrCreateContext();
        return blocking(() -> ClusterRegistry.load(config.get(DiscoveryServiceConfig.CLUSTERS_FILE)))
                .compose(loaded -> {
                    registry = loaded;
                    LOG.info("{} clusters in {}", registry.all().size(), registry.source());
                    Gauge.builder(PipelineMeters.CLUSTERS_OVERDUE, () -> overdueClusters)
                            .description("clusters past their freshness window at the last check").register(metrics());
                    String suffix = "-" + deploymentID();
                    statusTail = new TopicTail(Topics.STATUS.name(),
                            tailConfig(SERVICE_NAME + "-status-view" + suffix), BackupLedger.TYPES, context,
                            (key, event) -> ledger.apply(event), key -> { });
                    stateTail = new TopicTail(Topics.CLUSTER_STATE.name(),
                            tailConfig(SERVICE_NAME + "-cluster-state-view" + suffix), Set.of("ClusterBackupRecorded"),
                            context, (key, event) -> {
                                ClusterBackupRecorded recorded = (ClusterBackupRecorded) event;
                                clusterState.apply(recorded);
                                pipelineMeters().lastSuccess(recorded.clusterId(), recorded.completedAt());
                            },
                            clusterState::remove);
                    // Serve only once both views hold what the topics held at start.
                    return Future.all(statusTail.start(), stateTail.start());
                })
                .compose(v -> {
                    LOG.info("views loaded: {} backups from {}, {} clusters with a completed backup from {}",
                            ledger.size(), Topics.STATUS, clusterState.snapshot().size(), Topics.CLUSTER_STATE);
                    return consume(Topics.REQUESTS, BackupRequested.class, this::onRequest);
                })
                .onSuccess(v -> {
                    startScheduler();
                    startFreshnessChecks();
                });
    }

    private Map<String, String> tailConfig(String clientId) {
        return kafka.consumer(SERVICE_NAME, clientId);
    }

    @Override
    protected Future<?> stopService() {
        stopping = true;
        timers.forEach(vertx::cancelTimer);
        if (schedulerTimer >= 0) {
            vertx.cancelTimer(schedulerTimer);
        }
        return blocking(() -> {
            if (statusTail != null) {
                statusTail.close();
            }
            if (stateTail != null) {
                stateTail.close();
            }
            return null;
        });
    }

    // ------------------------------------------------------------------------------ requests

    private Future<Void> onRequest(BackupRequested request, JobConsumer.RecordOrigin origin) {
        // Wait until both views hold everything written before this request was handled: a
        // redelivery, or a request handled before a rebalance by another instance, is then known.
        return Future.all(statusTail.caughtUp(), stateTail.caughtUp()).compose(v -> decide(request));
    }

    private Future<Void> decide(BackupRequested request) {
        try (var scope = BackupLog.scope(request.backupId(), request.clusterId())) {
            Optional<BackupLedger.Entry> known = ledger.get(request.backupId());
            if (known.isPresent() && known.get().ended()) {
                LOG.info("request for backup {} ignored: it already ended ({}); a redelivery or a second scheduler "
                        + "instance", request.backupId(), known.get().terminal());
                pipelineMeters().request("ignored");
                return Future.succeededFuture();
            }
            if (known.isPresent() && known.get().backingUp()) {
                LOG.info("request for backup {} ignored: discovery already handed it to the backing-up stages",
                        request.backupId());
                pipelineMeters().request("ignored");
                return Future.succeededFuture();
            }
            if (known.isPresent() && known.get().discovered() != null) {
                LOG.info("backup {} was discovered before a restart; republishing its ReplicaDiscovered",
                        request.backupId());
                return publishDiscovered(known.get().discovered());
            }
            Optional<ClusterSpec> spec = registry.find(request.clusterId());
            if (spec.isEmpty()) {
                return fail(request, "unknown cluster '" + request.clusterId() + "': it is not in the cluster registry "
                        + registry.source() + " (known: " + String.join(", ", registry.all().stream()
                                .map(ClusterSpec::id).toList())
                        + "); add it there (and restart discovery-service) or fix the request's clusterId");
            }
            Instant now = clock.instant();
            Optional<BackupLedger.Entry> running = ledger.inFlight(request.clusterId(), request.backupId(), now,
                    inFlightMaxAge);
            if (running.isPresent()) {
                BackupLedger.Entry other = running.get();
                if (!request.options().force()) {
                    return reject(request, other);
                }
                LOG.warn("backup {} of cluster {} is still in flight; starting {} anyway (options.force)",
                        other.backupId(), request.clusterId(), request.backupId());
            }
            ClusterBackupRecorded last = clusterState.get(request.clusterId()).orElse(null);
            BackupPhaseChanged discovering = new BackupPhaseChanged(BackupEvent.CURRENT_SCHEMA_VERSION,
                    EventIds.deterministic(request.backupId(), "BackupPhaseChanged", BackupPhase.DISCOVERING),
                    request.backupId(), request.clusterId(), clock.instant(), BackupPhase.DISCOVERING,
                    "reading DTR containers on " + spec.get().docker().endpoint(), null);
            ledger.apply(discovering); // now in flight for the next request of this cluster
            long startedAt = System.nanoTime();
            return publisher.publish(Topics.STATUS, discovering)
                    .compose(v -> blocking(() -> plan(request, spec.get(), last))
                            .recover(unexpected -> Future.succeededFuture(new DiscoveryPlanner.Failed(
                                    "unexpected error while discovering cluster '" + request.clusterId() + "' ("
                                            + unexpected + "): see the discovery-service log"))))
                    .compose(plan -> {
                        boolean found = plan instanceof DiscoveryPlanner.Discovered;
                        Future<Void> published = found
                                ? publishDiscovered(discovered(request, (DiscoveryPlanner.Discovered) plan))
                                : fail(request, ((DiscoveryPlanner.Failed) plan).reason());
                        return published.onSuccess(v -> pipelineMeters().stage("discovery", null,
                                found ? "discovered" : "failed", Duration.ofNanos(System.nanoTime() - startedAt), 0));
                    });
        }
    }

    private DiscoveryPlanner.Plan plan(BackupRequested request, ClusterSpec spec, ClusterBackupRecorded last) {
        try (var scope = BackupLog.scope(request.backupId(), request.clusterId())) {
            ClusterInventory inventory;
            try {
                inventory = inspector.inspect(spec);
            } catch (DiscoveryException e) {
                LOG.warn("cannot read cluster {}: {}", spec.id(), e.getMessage());
                return new DiscoveryPlanner.Failed(e.getMessage());
            }
            LOG.info("cluster {}: {} replicas: {}", spec.id(), inventory.replicas().size(),
                    ReplicaChooser.describe(inventory));
            return DiscoveryPlanner.plan(spec, request.options(), inventory, last);
        }
    }

    private ReplicaDiscovered discovered(BackupRequested request, DiscoveryPlanner.Discovered d) {
        // The artifact time stamp comes from the request, not from now: a redelivered request
        // produces the same file names, so downstream idempotency holds.
        return new ReplicaDiscovered(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.deterministic(request.backupId(), "ReplicaDiscovered"), request.backupId(),
                request.clusterId(), clock.instant(), request.trigger(), request.options(), d.replica().replicaId(),
                d.replica().node(), d.dtrVersion(), d.storageKind(), d.volumeName(), d.replicaChoice(),
                d.expectedArtifacts(), BackupLayout.timestamp(request.occurredAt()), request.occurredAt());
    }

    private Future<Void> publishDiscovered(ReplicaDiscovered event) {
        try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
            LOG.info("replica {} (DTR {}, {}{}) chosen: {}; expecting {}", event.replicaId(), event.dtrVersion(),
                    event.storageKind(), event.volumeName() == null ? "" : " " + event.volumeName(),
                    event.replicaChoice(), event.expectedArtifacts());
        }
        ledger.apply(event);
        BackupPhaseChanged backingUp = new BackupPhaseChanged(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.deterministic(event.backupId(), "BackupPhaseChanged", BackupPhase.BACKING_UP),
                event.backupId(), event.clusterId(), clock.instant(), BackupPhase.BACKING_UP,
                "replica " + event.replicaId() + ", DTR " + event.dtrVersion() + ", " + event.storageKind(),
                event.expectedArtifacts());
        return publisher.publish(event, Topics.REPLICAS, Topics.STATUS)
                .compose(v -> publisher.publish(Topics.STATUS, backingUp))
                .onSuccess(v -> ledger.apply(backingUp))
                .onSuccess(v -> pipelineMeters().request("discovered"));
    }

    private Future<Void> fail(BackupRequested request, String reason) {
        try (var scope = BackupLog.scope(request.backupId(), request.clusterId())) {
            LOG.warn("backup {} failed in discovery: {}", request.backupId(), reason);
        }
        BackupFailed failed = BackupFailed.of(request.backupId(), request.clusterId(), DISCOVERY_STAGE, reason);
        return publisher.publish(Topics.STATUS, failed).onSuccess(v -> ledger.apply(failed))
                .onSuccess(v -> pipelineMeters().request("failed"));
    }

    private Future<Void> reject(BackupRequested request, BackupLedger.Entry running) {
        String reason = "backup " + running.backupId() + " of cluster '" + request.clusterId() + "' is still in "
                + "flight (since " + running.firstSeen() + "): one backup per cluster at a time; wait for it to end, "
                + "or set options.force to run both";
        try (var scope = BackupLog.scope(request.backupId(), request.clusterId())) {
            LOG.info("backup {} rejected: {}", request.backupId(), reason);
        }
        BackupRejected rejected = new BackupRejected(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.deterministic(request.backupId(), "BackupRejected"), request.backupId(), request.clusterId(),
                clock.instant(), reason, running.backupId());
        return publisher.publish(Topics.STATUS, rejected).onSuccess(v -> ledger.apply(rejected))
                .onSuccess(v -> pipelineMeters().request("rejected"));
    }

    // ----------------------------------------------------------------------------- scheduler

    private void startScheduler() {
        if (!config.get(DiscoveryServiceConfig.SCHEDULER_ENABLED)) {
            LOG.info("scheduler disabled (DTR_BACKUP_SCHEDULER_ENABLED=false)");
            return;
        }
        Instant now = clock.instant();
        Duration catchUp = config.get(DiscoveryServiceConfig.SCHEDULE_CATCH_UP);
        for (ClusterSpec cluster : registry.all()) {
            if (cluster.schedule() == null) {
                continue;
            }
            Schedules schedule = Schedules.parse(cluster.schedule());
            schedules.put(cluster.id(), schedule);
            Instant first = SlotPlanner.firstSlot(schedule, now, catchUp).orElse(null);
            if (first != null) {
                nextSlots.put(cluster.id(), first);
                LOG.info("cluster {}: schedule '{}' (UTC), first slot {}", cluster.id(), cluster.schedule(), first);
            }
        }
        if (!nextSlots.isEmpty()) {
            schedulerTick();
        }
    }

    private void schedulerTick() {
        if (stopping) {
            return;
        }
        Instant now = clock.instant();
        for (Map.Entry<String, Instant> e : nextSlots.entrySet()) {
            SlotPlanner.Due due = SlotPlanner.due(schedules.get(e.getKey()), e.getValue(), now);
            due.missed().forEach(slot -> LOG.warn("cluster {}: slot {} missed (the clock jumped or the service was "
                    + "stalled); a later slot is due", e.getKey(), slot));
            due.fire().ifPresent(slot -> publishSlot(e.getKey(), slot));
            e.setValue(due.next());
        }
        nextSlots.values().removeIf(Objects::isNull);
        if (nextSlots.isEmpty()) {
            return;
        }
        Instant soonest = nextSlots.values().stream().min(Instant::compareTo).orElseThrow();
        long maxSleep = config.get(DiscoveryServiceConfig.SCHEDULER_MAX_SLEEP).toMillis();
        long delay = Math.max(10, Math.min(maxSleep, Duration.between(now, soonest).toMillis()));
        schedulerTimer = vertx.setTimer(delay, t -> schedulerTick());
    }

    private void publishSlot(String clusterId, Instant slot) {
        String backupId = BackupIds.scheduled(clusterId, slot);
        // Every instance builds the very same event (occurredAt = slot), so duplicates are identical.
        BackupRequested request = new BackupRequested(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.deterministic(backupId, "BackupRequested"), backupId, clusterId, slot, Trigger.SCHEDULE,
                SCHEDULER, BackupOptions.DEFAULTS);
        publisher.publish(Topics.REQUESTS, request)
                .onSuccess(v -> {
                    try (var scope = BackupLog.scope(backupId, clusterId)) {
                        LOG.info("scheduled backup {} of cluster {} requested (slot {})", backupId, clusterId, slot);
                    }
                })
                .onFailure(e -> {
                    try (var scope = BackupLog.scope(backupId, clusterId)) {
                        LOG.error("cannot publish scheduled request {} for cluster {} (slot {}): {}; other discovery "
                                + "instances publish the same slot, and the freshness check reports the cluster if no "
                                + "backup follows", backupId, clusterId, slot, e.toString());
                    }
                });
    }

    // ----------------------------------------------------------------------------- freshness

    private void startFreshnessChecks() {
        long interval = config.get(DiscoveryServiceConfig.FRESHNESS_CHECK_INTERVAL).toMillis();
        if (interval <= 0) {
            LOG.info("freshness checks disabled (DTR_BACKUP_FRESHNESS_CHECK_INTERVAL=0)");
            return;
        }
        checkFreshness(interval);
        timers.add(vertx.setPeriodic(interval, t -> checkFreshness(interval)));
    }

    private void checkFreshness(long intervalMillis) {
        if (stopping) {
            return;
        }
        Instant now = clock.instant();
        // Requests live 7 days, status events 30: older ended backups can no longer be redelivered.
        ledger.pruneEnded(now.minus(LEDGER_KEEP));
        Instant bucket = Instant.ofEpochMilli(now.toEpochMilli() - Math.floorMod(now.toEpochMilli(), intervalMillis));
        List<BackupOverdue> overdueNow = Freshness.overdue(registry.all(), clusterState.snapshot(), now, bucket);
        overdueClusters = overdueNow.size();
        for (BackupOverdue overdue : overdueNow) {
            LOG.warn("cluster {} is overdue: {} (freshness window {})", overdue.clusterId(),
                    overdue.lastBackupId() == null ? "no verified backup on record"
                            : "last verified backup " + overdue.lastBackupId() + " at " + overdue.lastVerifiedAt(),
                    overdue.freshnessWindow());
            publisher.publish(Topics.STATUS, overdue).onFailure(e -> LOG.warn("cannot publish BackupOverdue for {}: {}",
                    overdue.clusterId(), e.toString()));
        }
    }
}
