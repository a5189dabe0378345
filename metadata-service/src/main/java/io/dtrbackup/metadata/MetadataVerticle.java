package io.dtrbackup.metadata;

import io.dtrbackup.common.clusters.ClusterNeeds;
import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.docker.DockerClients;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.common.kafka.JobConsumer;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.common.service.PipelineVerticle;
import io.dtrbackup.common.service.ProgressReporter;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.contract.topics.Topics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * metadata-service: for each ReplicaDiscovered, runs {@code docker/dtr:<version> backup} on the
 * cluster's Docker endpoint and streams its tar into the staging bucket, then publishes
 * ArtifactStaged (or ArtifactFailed) on STAGED and STATUS.
 */
public final class MetadataVerticle extends PipelineVerticle {
    public static final String SERVICE_NAME = "metadata-service";
    private static final Logger LOG = LoggerFactory.getLogger(MetadataVerticle.class);

    private final ObjectStore injectedStore;
    private ExecutorService captureThreads;
    private MetadataStager stager;
    private volatile Consumer<String> onContainerCreated;

    public MetadataVerticle(ServiceConfig config) {
        this(config, null);
    }

    /** With a given object store (tests); null builds the MinIO client from the config. */
    public MetadataVerticle(ServiceConfig config, ObjectStore store) {
        super(SERVICE_NAME, config);
        this.injectedStore = store;
    }

    /** Test hook: sees each backup container's ID after create and before start. */
    void onContainerCreated(Consumer<String> hook) {
        this.onContainerCreated = hook;
        if (stager != null) {
            stager.onContainerCreated(hook);
        }
    }

    @Override
    protected Future<?> startService() {
        if (config.get(CommonConfig.CLUSTERS_FILE) == null) {
            return Future.failedFuture(new ConfigException(CommonConfig.CLUSTERS_FILE.envName()
                    + " is required: metadata-service looks up each cluster's Docker endpoint and UCP there"));
        }
        BackupLayout layout = new BackupLayout(config.get(CommonConfig.S3_STAGING_BUCKET),
                config.get(CommonConfig.S3_BACKUP_BUCKET));
        // Two threads per concurrent job: the upload and the tar check (the job's worker runs the container).
        int jobs = config.get(CommonConfig.MAX_CONCURRENT_JOBS);
        captureThreads = Executors.newFixedThreadPool(2 * jobs, threads());
        return blocking(() -> {
            ClusterRegistry.load(config.get(CommonConfig.CLUSTERS_FILE), ClusterNeeds.DOCKER_AND_UCP); // fail fast on a broken registry
            ObjectStore store = injectedStore != null ? injectedStore : MinioObjectStore.fromConfig(config);
            store.ensureBucket(layout.stagingBucket());
            store.ensureBucket(layout.backupBucket());
            sweepStaleUploads(store, List.of(layout.stagingBucket())); // metadata tars are staged multipart
            MetadataStager.Settings settings = new MetadataStager.Settings(layout,
                    config.get(CommonConfig.CLUSTERS_FILE),
                    config.get(MetadataServiceConfig.DTR_IMAGE_REPOSITORY),
                    config.get(MetadataServiceConfig.DTR_NETWORK_MODE),
                    config.get(MetadataServiceConfig.DTR_TIMEOUT),
                    config.get(MetadataServiceConfig.CA_FETCH_TIMEOUT),
                    config.get(MetadataServiceConfig.CAPTURE_BUFFER_MB) * 1024 * 1024,
                    config.get(MetadataServiceConfig.STDERR_TAIL_KB) * 1024);
            return new MetadataStager(settings, store, spec -> DockerClients.forEndpoint(spec.docker()),
                    captureThreads, Clock.systemUTC());
        }).compose(s -> {
            stager = s;
            if (onContainerCreated != null) {
                stager.onContainerCreated(onContainerCreated);
            }
            return consume(Topics.REPLICAS, ReplicaDiscovered.class, this::handle);
        });
    }

    @Override
    protected Future<?> stopService() {
        if (captureThreads != null) {
            captureThreads.shutdownNow();
        }
        return Future.succeededFuture();
    }

    private Future<Void> handle(ReplicaDiscovered event, JobConsumer.RecordOrigin origin) {
        Context context = vertx.getOrCreateContext();
        long startedAt = System.nanoTime();
        try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
            LOG.info("ReplicaDiscovered for replica {} (DTR {}) from {}-{}@{}", event.replicaId(), event.dtrVersion(),
                    origin.topic(), origin.partition(), origin.offset());
        }
        return blocking(() -> {
            try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
                return stager.prepare(event);
            }
        }).compose(prepared -> {
            if (prepared instanceof MetadataStager.Prepared.Done done) {
                return Future.succeededFuture(done.outcome());
            }
            MetadataStager.Prepared.Run run = (MetadataStager.Prepared.Run) prepared;
            return warnIfInsecure(run)
                    .compose(v -> blocking(() -> {
                        try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
                            ProgressReporter progress = new ProgressReporter(context, publisher, event,
                                    ArtifactKind.METADATA, ArtifactPhase.STAGING,
                                    config.get(CommonConfig.PROGRESS_INTERVAL));
                            MetadataStager.Outcome outcome;
                            try {
                                outcome = stager.run(run, progress);
                            } catch (RuntimeException e) {
                                LOG.error("metadata backup crashed", e);
                                outcome = stager.failed(event, "metadata-service failed unexpectedly: " + e);
                            }
                            if (outcome instanceof MetadataStager.Outcome.Staged staged) {
                                progress.finish(staged.staged().sizeBytes());
                            }
                            return outcome;
                        }
                    }))
                    .onComplete(ar -> run.close());
        }).compose(outcome -> publish(outcome).onSuccess(v -> measure(outcome, startedAt)));
    }

    /** Stage meters (see PipelineMeters), once the outcome event is written. */
    private void measure(MetadataStager.Outcome outcome, long startedAt) {
        if (outcome instanceof MetadataStager.Outcome.Staged s) {
            pipelineMeters().stage("metadata", ArtifactKind.METADATA, "staged",
                    java.time.Duration.ofMillis(s.staged().durationMs()), s.staged().sizeBytes());
        } else if (outcome instanceof MetadataStager.Outcome.Failed) {
            pipelineMeters().stage("metadata", ArtifactKind.METADATA, "failed",
                    java.time.Duration.ofNanos(System.nanoTime() - startedAt), 0);
        }
    }

    /**
     * {@code --ucp-insecure-tls} is only used when the cluster registry says insecureTls and gives no
     * CA; ops see it on STATUS (a BACKING_UP phase detail) and in the log.
     */
    private Future<Void> warnIfInsecure(MetadataStager.Prepared.Run run) {
        if (!run.command().insecureTls()) {
            return Future.succeededFuture();
        }
        ReplicaDiscovered e = run.event();
        String detail = "WARNING metadata: docker/dtr backup runs with --ucp-insecure-tls for cluster " + e.clusterId()
                + " (ucp.insecureTls in the cluster registry): UCP's certificate is not verified; not for production, "
                + "set ucp.caFile";
        try (var scope = BackupLog.scope(e.backupId(), e.clusterId())) {
            LOG.warn(detail);
        }
        return publisher.publish(Topics.STATUS, new BackupPhaseChanged(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.insecureTlsWarning(e.backupId()),
                e.backupId(), e.clusterId(), java.time.Instant.now(), BackupPhase.BACKING_UP, detail, null));
    }

    private Future<Void> publish(MetadataStager.Outcome outcome) {
        if (outcome instanceof MetadataStager.Outcome.Staged s) {
            return publisher.publish(s.staged(), Topics.STAGED, Topics.STATUS);
        }
        if (outcome instanceof MetadataStager.Outcome.Republish r) {
            return publisher.publish(r.staged(), Topics.STAGED, Topics.STATUS);
        }
        if (outcome instanceof MetadataStager.Outcome.Failed f) {
            return publisher.publish(Topics.STATUS, f.failed());
        }
        return Future.succeededFuture(); // AlreadyEncrypted: logged, nothing to publish
    }

    private static ThreadFactory threads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, SERVICE_NAME + "-capture-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
