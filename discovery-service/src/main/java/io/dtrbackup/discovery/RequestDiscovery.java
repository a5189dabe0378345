package io.dtrbackup.discovery;

import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupOverdue;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.contract.layout.BackupLayout;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The discovery stage: what becomes of a BackupRequested, given the views of the status and
 * cluster-state topics (the {@link BackupLedger}, the {@link ClusterStateView}) and the cluster's
 * Docker engine. {@link #decide} runs on the verticle's context (the views are not thread-safe);
 * {@link #discover} reads Docker and blocks. Each returns the events to publish; the verticle
 * publishes them and applies them to the ledger.
 */
final class RequestDiscovery {
    static final String DISCOVERY_STAGE = "discovery";
    static final String SCHEDULER = DiscoveryVerticle.SERVICE_NAME + "/scheduler";
    private static final Logger LOG = LoggerFactory.getLogger(RequestDiscovery.class);
    private static final Duration LEDGER_KEEP = Duration.ofDays(35);

    /** What to do with a request. */
    sealed interface Decision {
        /** Already ended or handed on: a redelivery or a second scheduler instance. */
        record Ignore() implements Decision {
        }

        /** Discovered before a restart: publish the same ReplicaDiscovered again. */
        record Republish(ReplicaDiscovered discovered) implements Decision {
        }

        record Fail(BackupFailed failed) implements Decision {
        }

        record Reject(BackupRejected rejected) implements Decision {
        }

        /** Publish {@code discovering}, then {@link #discover} the cluster. */
        record Discover(BackupPhaseChanged discovering, ClusterSpec spec, ClusterBackupRecorded last)
                implements Decision {
        }
    }

    /** What reading the cluster came to. */
    sealed interface Outcome {
        /** {@code discovered} goes to the replicas and status topics, then {@code backingUp} to status. */
        record Discovered(ReplicaDiscovered discovered, BackupPhaseChanged backingUp) implements Outcome {
        }

        record Failed(BackupFailed failed) implements Outcome {
        }
    }

    private final ClusterRegistry registry;
    private final ClusterInspector inspector;
    private final Clock clock;
    private final Duration inFlightMaxAge;
    private final BackupLedger ledger = new BackupLedger();
    private final ClusterStateView clusterState = new ClusterStateView();

    RequestDiscovery(ClusterRegistry registry, ClusterInspector inspector, Clock clock, Duration inFlightMaxAge) {
        this.registry = registry;
        this.inspector = inspector;
        this.clock = clock;
        this.inFlightMaxAge = inFlightMaxAge;
    }

    BackupLedger ledger() {
        return ledger;
    }

    ClusterStateView clusterState() {
        return clusterState;
    }

    ClusterRegistry registry() {
        return registry;
    }

    /** On the verticle's context, once both views hold everything written before the request was handled. */
    Decision decide(BackupRequested request) {
        try (var scope = BackupLog.scope(request.backupId(), request.clusterId())) {
            Optional<BackupLedger.Entry> known = ledger.get(request.backupId());
            if (known.isPresent() && known.get().ended()) {
                LOG.info("request for backup {} ignored: it already ended ({}); a redelivery or a second scheduler "
                        + "instance", request.backupId(), known.get().terminal());
                return new Decision.Ignore();
            }
            if (known.isPresent() && known.get().backingUp()) {
                LOG.info("request for backup {} ignored: discovery already handed it to the backing-up stages",
                        request.backupId());
                return new Decision.Ignore();
            }
            if (known.isPresent() && known.get().discovered() != null) {
                LOG.info("backup {} was discovered before a restart; republishing its ReplicaDiscovered",
                        request.backupId());
                return new Decision.Republish(known.get().discovered());
            }
            Optional<ClusterSpec> spec = registry.find(request.clusterId());
            if (spec.isEmpty()) {
                return new Decision.Fail(failed(request, "unknown cluster '" + request.clusterId() + "': it is not in "
                        + "the cluster registry " + registry.source() + " (known: " + String.join(", ", registry.all()
                                .stream().map(ClusterSpec::id).toList())
                        + "); add it there (and restart discovery-service) or fix the request's clusterId"));
            }
            Instant now = clock.instant();
            Optional<BackupLedger.Entry> running = ledger.inFlight(request.clusterId(), request.backupId(), now,
                    inFlightMaxAge);
            if (running.isPresent()) {
                BackupLedger.Entry other = running.get();
                if (!request.options().force()) {
                    return new Decision.Reject(rejected(request, other));
                }
                LOG.warn("backup {} of cluster {} is still in flight; starting {} anyway (options.force)",
                        other.backupId(), request.clusterId(), request.backupId());
            }
            ClusterBackupRecorded last = clusterState.get(request.clusterId()).orElse(null);
            BackupPhaseChanged discovering = new BackupPhaseChanged(BackupEvent.CURRENT_SCHEMA_VERSION,
                    EventIds.phaseChanged(request.backupId(), BackupPhase.DISCOVERING),
                    request.backupId(), request.clusterId(), clock.instant(), BackupPhase.DISCOVERING,
                    "reading DTR containers on " + spec.get().docker().endpoint(), null);
            ledger.apply(discovering); // now in flight for the next request of this cluster
            return new Decision.Discover(discovering, spec.get(), last);
        }
    }

    /** Blocking (Docker): reads the cluster and chooses the replica. Never throws. */
    Outcome discover(BackupRequested request, ClusterSpec spec, ClusterBackupRecorded last) {
        DiscoveryPlanner.Plan plan;
        try {
            plan = plan(request, spec, last);
        } catch (RuntimeException unexpected) {
            plan = new DiscoveryPlanner.Failed("unexpected error while discovering cluster '" + request.clusterId()
                    + "' (" + unexpected + "): see the discovery-service log");
        }
        if (plan instanceof DiscoveryPlanner.Discovered d) {
            ReplicaDiscovered discovered = discovered(request, d);
            return new Outcome.Discovered(discovered, backingUp(discovered));
        }
        return new Outcome.Failed(failed(request, ((DiscoveryPlanner.Failed) plan).reason()));
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
                EventIds.replicaDiscovered(request.backupId()), request.backupId(),
                request.clusterId(), clock.instant(), request.trigger(), request.options(), d.replica().replicaId(),
                d.replica().node(), d.dtrVersion(), d.storageKind(), d.volumeName(), d.replicaChoice(),
                d.expectedArtifacts(), BackupLayout.timestamp(request.occurredAt()), request.occurredAt());
    }

    /** The phase that follows a ReplicaDiscovered; logs the choice. */
    BackupPhaseChanged backingUp(ReplicaDiscovered event) {
        try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
            LOG.info("replica {} (DTR {}, {}{}) chosen: {}; expecting {}", event.replicaId(), event.dtrVersion(),
                    event.storageKind(), event.volumeName() == null ? "" : " " + event.volumeName(),
                    event.replicaChoice(), event.expectedArtifacts());
        }
        return new BackupPhaseChanged(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.phaseChanged(event.backupId(), BackupPhase.BACKING_UP),
                event.backupId(), event.clusterId(), clock.instant(), BackupPhase.BACKING_UP,
                "replica " + event.replicaId() + ", DTR " + event.dtrVersion() + ", " + event.storageKind(),
                event.expectedArtifacts());
    }

    private BackupFailed failed(BackupRequested request, String reason) {
        try (var scope = BackupLog.scope(request.backupId(), request.clusterId())) {
            LOG.warn("backup {} failed in discovery: {}", request.backupId(), reason);
        }
        return BackupFailed.of(request.backupId(), request.clusterId(), DISCOVERY_STAGE, reason);
    }

    private BackupRejected rejected(BackupRequested request, BackupLedger.Entry running) {
        String reason = "backup " + running.backupId() + " of cluster '" + request.clusterId() + "' is still in "
                + "flight (since " + running.firstSeen() + "): one backup per cluster at a time; wait for it to end, "
                + "or set options.force to run both";
        try (var scope = BackupLog.scope(request.backupId(), request.clusterId())) {
            LOG.info("backup {} rejected: {}", request.backupId(), reason);
        }
        return new BackupRejected(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.backupRejected(request.backupId()), request.backupId(), request.clusterId(),
                clock.instant(), reason, running.backupId());
    }

    /** The request for a cluster's schedule slot: every instance builds the very same event (occurredAt = slot). */
    static BackupRequested scheduled(String clusterId, Instant slot) {
        String backupId = BackupIds.scheduled(clusterId, slot);
        return new BackupRequested(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.backupRequested(backupId), backupId, clusterId, slot, Trigger.SCHEDULE,
                SCHEDULER, BackupOptions.DEFAULTS);
    }

    /** The clusters past their freshness window now; prunes ended backups too old to be redelivered. */
    List<BackupOverdue> overdue(Instant now, long intervalMillis) {
        // Requests live 7 days, status events 30: older ended backups can no longer be redelivered.
        ledger.pruneEnded(now.minus(LEDGER_KEEP));
        Instant bucket = Instant.ofEpochMilli(now.toEpochMilli() - Math.floorMod(now.toEpochMilli(), intervalMillis));
        return Freshness.overdue(registry.all(), clusterState.snapshot(), now, bucket);
    }
}
