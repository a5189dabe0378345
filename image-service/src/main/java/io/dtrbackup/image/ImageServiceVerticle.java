package io.dtrbackup.image;

import io.dtrbackup.common.clusters.ClusterNeeds;
import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactSkipped;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.common.kafka.JobConsumer;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.common.service.PipelineVerticle;
import io.dtrbackup.common.service.ProgressReporter;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.image.archive.VolumeArchiver;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * image-service: consumes ReplicaDiscovered and has {@link ImageStage} back up the replica's
 * image content, then publishes the outcome: ArtifactSkipped (external storage, or a request to
 * skip images), ArtifactStaged on STAGED and STATUS, or ArtifactFailed on STATUS, after which the
 * consumer goes on.
 */
public final class ImageServiceVerticle extends PipelineVerticle {
    private static final Logger LOG = LoggerFactory.getLogger(ImageServiceVerticle.class);
    private static final ArtifactKind KIND = ImageStage.KIND;

    private final ObjectStore injectedStore;
    private ImageStage stage;
    private Context context;

    public ImageServiceVerticle(ServiceConfig config) {
        this(config, null);
    }

    /** With a given object store (tests); null builds the MinIO client from the config. */
    public ImageServiceVerticle(ServiceConfig config, ObjectStore store) {
        super(ImageServiceConfig.SERVICE_NAME, config);
        this.injectedStore = store;
    }

    @Override
    protected Future<?> startService() {
        context = vertx.getOrCreateContext();
        int jobs = config.get(CommonConfig.MAX_CONCURRENT_JOBS);
        int pool = config.get(CommonConfig.WORKER_POOL_SIZE);
        if (pool < 2 * jobs) {
            // Each archive holds two workers (tar writer + upload) at once; fewer would deadlock.
            return Future.failedFuture(new ConfigException("DTR_BACKUP_WORKER_POOL_SIZE (" + pool + ") must be at least "
                    + "2 x DTR_BACKUP_MAX_CONCURRENT_JOBS (" + jobs + ") for image-service"));
        }
        if (config.get(CommonConfig.CLUSTERS_FILE) == null) {
            return Future.failedFuture(new ConfigException("DTR_BACKUP_CLUSTERS_FILE is required: image-service reads "
                    + "each cluster's Docker endpoint from the cluster registry"));
        }
        int pipeMb = Math.max(2, config.get(ImageServiceConfig.IMAGE_PIPE_BUFFER_MB));
        VolumeArchiver archiver = new VolumeArchiver(pipeMb, 1 << 20);
        String handoffUrl = config.get(ImageServiceConfig.CRYPTO_HANDOFF_URL);
        if (handoffUrl != null && !handoffUrl.isBlank()) {
            if (config.get(ImageServiceConfig.HANDOFF_TOKEN_FILE) == null) {
                return Future.failedFuture(new ConfigException(ImageServiceConfig.CRYPTO_HANDOFF_URL.envName()
                        + " is set but " + ImageServiceConfig.HANDOFF_TOKEN_FILE.envName() + " is not"));
            }
        }
        BackupLayout layout = new BackupLayout(config.get(CommonConfig.S3_STAGING_BUCKET),
                config.get(CommonConfig.S3_BACKUP_BUCKET));
        ImageStage.Settings settings = new ImageStage.Settings(config.get(ImageServiceConfig.DOCKER_CONNECT_TIMEOUT),
                config.get(ImageServiceConfig.DOCKER_READ_TIMEOUT));
        return blocking(() -> {
            CryptoHandoff handoff = null;
            if (handoffUrl != null && !handoffUrl.isBlank()) {
                // File I/O: here on a worker, with the cluster registry, not on the event loop.
                char[] token = ServiceConfig.readSecret(config.get(ImageServiceConfig.HANDOFF_TOKEN_FILE));
                handoff = new CryptoHandoff(handoffUrl, token, config.get(ImageServiceConfig.DOCKER_READ_TIMEOUT));
                java.util.Arrays.fill(token, '\0');
            }
            ClusterRegistry clusters = ClusterRegistry.load(config.get(CommonConfig.CLUSTERS_FILE), ClusterNeeds.DOCKER_ONLY);
            ObjectStore store = injectedStore != null ? injectedStore : MinioObjectStore.fromConfig(config);
            store.ensureBucket(layout.stagingBucket());
            sweepStaleUploads(store, List.of(layout.stagingBucket())); // image tars are staged multipart
            return new ImageStage(settings, store, layout, clusters, archiver, handoff, writerExecutor());
        }).compose(s -> {
            stage = s;
            return consume(Topics.REPLICAS, ReplicaDiscovered.class, this::onReplica);
        });
    }

    private Future<Void> onReplica(ReplicaDiscovered event, JobConsumer.RecordOrigin origin) {
        long startedAt = System.nanoTime();
        try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
            Optional<ArtifactSkipped> skipped = ImageStage.skipDecision(event);
            if (skipped.isPresent()) {
                LOG.info("image content of replica {} not archived: {}", event.replicaId(), skipped.get().reason());
                return publisher.publish(skipped.get(), Topics.STATUS)
                        .onSuccess(v -> pipelineMeters().stage("images", KIND, "skipped", Duration.ZERO, 0));
            }
        }
        return blocking(() -> {
            try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
                return stage.stage(event, () -> new ProgressReporter(context, publisher, event, KIND,
                        ArtifactPhase.STAGING, config.get(CommonConfig.PROGRESS_INTERVAL)));
            }
        })
                .recover(e -> {
                    try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
                        LOG.error("unexpected error archiving the registry volume of replica {}", event.replicaId(), e);
                    }
                    return Future.succeededFuture(ImageStage.failed(event,
                            "unexpected error archiving the registry volume: " + e));
                })
                .compose(outcome -> {
                    if (outcome instanceof ImageStage.Outcome.Staged done) {
                        ArtifactStaged staged = done.event();
                        return publisher.publish(staged, Topics.STAGED, Topics.STATUS)
                                .onSuccess(v -> pipelineMeters().stage("images", KIND, "staged",
                                        Duration.ofMillis(staged.durationMs()), staged.sizeBytes()));
                    }
                    if (outcome instanceof ImageStage.Outcome.Failed failed) {
                        return publisher.publish(failed.event(), Topics.STATUS)
                                .onSuccess(v -> pipelineMeters().stage("images", KIND, "failed",
                                        Duration.ofNanos(System.nanoTime() - startedAt), 0));
                    }
                    return Future.succeededFuture(); // already encrypted: nothing left to do
                });
    }

    /** The tar writer runs on the service's bounded worker pool, beside the upload's worker. */
    private Executor writerExecutor() {
        return command -> workers.executeBlocking(() -> {
            command.run();
            return null;
        }, false);
    }
}
