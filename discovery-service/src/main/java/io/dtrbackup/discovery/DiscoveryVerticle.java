package io.dtrbackup.discovery;

import io.dtrbackup.common.clusters.ClusterNeeds;
import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupOverdue;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.common.kafka.JobConsumer;
import io.dtrbackup.common.kafka.TopicFollower;
import io.dtrbackup.common.kafka.TopicReader;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.common.metrics.PipelineMeters;
import io.dtrbackup.common.service.PipelineVerticle;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.common.util.Retry;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
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
/**
 * discovery-service: turns BackupRequested into ReplicaDiscovered (or BackupFailed /
 * BackupRejected), schedules backups from the clusters' cron expressions and reports overdue
 * clusters. See docs/services/discovery-service.md.
 *
 * <p>This verticle wires: the two topic views, the request consumer, the scheduler and the
 * freshness timers; what becomes of a request is {@link RequestDiscovery}'s. All state (the
 * ledger of backups from the status topic, the latest completed backup per cluster, the
 * scheduler's next slots) lives on this verticle's event loop; Docker is read on the worker pool.
 */
public final class DiscoveryVerticle extends PipelineVerticle {
    public static final String SERVICE_NAME = "discovery-service";
    private static final Logger LOG = LoggerFactory.getLogger(DiscoveryVerticle.class);
    /** A view whose reader failed is read again from its start: 1 s doubling to 30 s. */
    private static final Retry REOPEN = Retry.forever(Duration.ofSeconds(1), Duration.ofSeconds(30));

    private final Clock clock;
    private final ClusterInspector inspector;
    private final Duration inFlightMaxAge;
    private final Map<String, Instant> nextSlots = new HashMap<>();
    private final Map<String, Schedules> schedules = new HashMap<>();
    private final List<Long> timers = new ArrayList<>();
    private RequestDiscovery discovery;
    private TopicFollower statusView;
    private TopicFollower stateView;
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
        Executor onContext = task -> context.runOnContext(v -> task.run());
        return blocking(() -> ClusterRegistry.load(config.get(DiscoveryServiceConfig.CLUSTERS_FILE), ClusterNeeds.DOCKER_ONLY))
                .compose(registry -> {
                    LOG.info("{} clusters in {}", registry.all().size(), registry.source());
                    discovery = new RequestDiscovery(registry, inspector, clock, inFlightMaxAge);
                    Gauge.builder(PipelineMeters.CLUSTERS_OVERDUE, () -> overdueClusters)
                            .description("clusters past their freshness window at the last check").register(metrics());
                    String suffix = "-" + deploymentID();
                    BackupLedger ledger = discovery.ledger();
                    ClusterStateView clusterState = discovery.clusterState();
                    statusView = view(Topics.STATUS.name(), SERVICE_NAME + "-status-view" + suffix, BackupLedger.TYPES,
                            onContext, read -> {
                                if (!read.tombstone()) {
                                    ledger.apply(read.event());
                                }
                            });
                    stateView = view(Topics.CLUSTER_STATE.name(), SERVICE_NAME + "-cluster-state-view" + suffix,
                            Set.of("ClusterBackupRecorded"), onContext, read -> {
                                if (read.tombstone()) {
                                    clusterState.remove(read.key());
                                    return;
                                }
                                ClusterBackupRecorded recorded = (ClusterBackupRecorded) read.event();
                                clusterState.apply(recorded);
                                pipelineMeters().lastSuccess(recorded.clusterId(), recorded.completedAt());
                            });
                    // Serve only once both views hold what the topics held at start.
                    return Future.all(Future.fromCompletionStage(statusView.start()),
                            Future.fromCompletionStage(stateView.start()));
                })
                .compose(v -> {
                    LOG.info("views loaded: {} backups from {}, {} clusters with a completed backup from {}",
                            discovery.ledger().size(), Topics.STATUS, discovery.clusterState().snapshot().size(),
                            Topics.CLUSTER_STATE);
                    return consume(Topics.REQUESTS, BackupRequested.class, this::onRequest);
                })
                .onSuccess(v -> {
                    startScheduler();
                    startFreshnessChecks();
                });
    }

    /** A view of a whole topic, every instance reading everything (no consumer group), fed on this context. */
    private TopicFollower view(String topic, String clientId, Set<String> types, Executor onContext,
            Consumer<TopicReader.Read> sink) {
        Map<String, String> consumerConfig = kafka.consumer(SERVICE_NAME, clientId);
        return new TopicFollower(topic, () -> TopicReader.open(consumerConfig, topic, TopicReader.BEGINNING, types),
                onContext, sink, new TopicFollower.Listener() { }, REOPEN);
    }

    @Override
    protected Future<?> stopService() {
        stopping = true;
        timers.forEach(vertx::cancelTimer);
        if (schedulerTimer >= 0) {
            vertx.cancelTimer(schedulerTimer);
        }
        return blocking(() -> {
            if (statusView != null) {
                statusView.close();
            }
            if (stateView != null) {
                stateView.close();
            }
            return null;
        });
    }

    // ------------------------------------------------------------------------------ requests

    private Future<Void> onRequest(BackupRequested request, JobConsumer.RecordOrigin origin) {
        // Wait until both views hold everything written before this request was handled: a
        // redelivery, or a request handled before a rebalance by another instance, is then known.
        return Future.all(Future.fromCompletionStage(statusView.caughtUp()),
                Future.fromCompletionStage(stateView.caughtUp())).compose(v -> decide(request));
    }

    private Future<Void> decide(BackupRequested request) {
        RequestDiscovery.Decision decision = discovery.decide(request);
        if (decision instanceof RequestDiscovery.Decision.Ignore) {
            pipelineMeters().request("ignored");
            return Future.succeededFuture();
        }
        if (decision instanceof RequestDiscovery.Decision.Republish r) {
            return publishDiscovered(r.discovered(), discovery.backingUp(r.discovered()));
        }
        if (decision instanceof RequestDiscovery.Decision.Fail f) {
            return publishFailed(f.failed());
        }
        if (decision instanceof RequestDiscovery.Decision.Reject r) {
            return publisher.publish(Topics.STATUS, r.rejected()).onSuccess(v -> discovery.ledger().apply(r.rejected()))
                    .onSuccess(v -> pipelineMeters().request("rejected"));
        }
        RequestDiscovery.Decision.Discover d = (RequestDiscovery.Decision.Discover) decision;
        long startedAt = System.nanoTime();
        return publisher.publish(Topics.STATUS, d.discovering())
                .compose(v -> blocking(() -> discovery.discover(request, d.spec(), d.last())))
                .compose(outcome -> {
                    boolean found = outcome instanceof RequestDiscovery.Outcome.Discovered;
                    Future<Void> published = outcome instanceof RequestDiscovery.Outcome.Discovered o
                            ? publishDiscovered(o.discovered(), o.backingUp())
                            : publishFailed(((RequestDiscovery.Outcome.Failed) outcome).failed());
                    return published.onSuccess(v -> pipelineMeters().stage("discovery", null,
                            found ? "discovered" : "failed", Duration.ofNanos(System.nanoTime() - startedAt), 0));
                });
    }

    private Future<Void> publishDiscovered(ReplicaDiscovered event, BackupPhaseChanged backingUp) {
        discovery.ledger().apply(event);
        return publisher.publish(event, Topics.REPLICAS, Topics.STATUS)
                .compose(v -> publisher.publish(Topics.STATUS, backingUp))
                .onSuccess(v -> discovery.ledger().apply(backingUp))
                .onSuccess(v -> pipelineMeters().request("discovered"));
    }

    private Future<Void> publishFailed(BackupFailed failed) {
        return publisher.publish(Topics.STATUS, failed).onSuccess(v -> discovery.ledger().apply(failed))
                .onSuccess(v -> pipelineMeters().request("failed"));
    }

    // ----------------------------------------------------------------------------- scheduler

    private void startScheduler() {
        if (!config.get(DiscoveryServiceConfig.SCHEDULER_ENABLED)) {
            LOG.info("scheduler disabled (DTR_BACKUP_SCHEDULER_ENABLED=false)");
            return;
        }
        Instant now = clock.instant();
        Duration catchUp = config.get(DiscoveryServiceConfig.SCHEDULE_CATCH_UP);
        for (ClusterSpec cluster : discovery.registry().all()) {
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
        BackupRequested request = RequestDiscovery.scheduled(clusterId, slot);
        String backupId = request.backupId();
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
        List<BackupOverdue> overdueNow = discovery.overdue(clock.instant(), intervalMillis);
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
