package io.dtrbackup.image;

import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.common.config.CommonConfig;
import io.dtrbackup.common.config.ConfigException;
import io.dtrbackup.common.config.ServiceConfig;
import io.dtrbackup.common.events.ArtifactFailed;
import io.dtrbackup.common.events.ArtifactKind;
import io.dtrbackup.common.events.ArtifactPhase;
import io.dtrbackup.common.events.ArtifactSkipped;
import io.dtrbackup.common.events.ArtifactStaged;
import io.dtrbackup.common.events.BackupEvent;
import io.dtrbackup.common.events.EventCodec;
import io.dtrbackup.common.events.EventIds;
import io.dtrbackup.common.events.ReplicaDiscovered;
import io.dtrbackup.common.kafka.JobConsumer;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.common.service.PipelineVerticle;
import io.dtrbackup.common.service.ProgressReporter;
import io.dtrbackup.common.store.BackupLayout;
import io.dtrbackup.common.store.FinishedWorkRecord;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.store.ObjectStoreException;
import io.dtrbackup.common.topics.Topics;
import io.dtrbackup.image.archive.VolumeArchiver;
import io.dtrbackup.image.docker.DockerApiException;
import io.dtrbackup.image.docker.DockerEngine;
import io.dtrbackup.image.docker.RegistryVolume;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes ReplicaDiscovered and backs up the replica's image content: the registry volume is
 * streamed from the cluster's Docker API as the seed's tar into the staging bucket, then the
 * staged record and ArtifactStaged follow. External storage (or a request to skip images) gives
 * ArtifactSkipped with the seed's guidance; any failure gives ArtifactFailed and the consumer goes
 * on. A redelivered event finds the staged record and republishes it instead of archiving again.
 */
public final class ImageServiceVerticle extends PipelineVerticle {
    private static final Logger LOG = LoggerFactory.getLogger(ImageServiceVerticle.class);
    static final ArtifactKind KIND = ArtifactKind.IMAGES;
    /** The seed's words for image content that is not in a volume. */
    static final String EXTERNAL_STORAGE_GUIDANCE =
            "If you're using a different storage backend, follow the best practices recommended for that system";

    private ObjectStore store;
    private BackupLayout layout;
    private ClusterRegistry clusters;
    private VolumeArchiver archiver;
    private CryptoHandoff handoff;
    private Context context;

    public ImageServiceVerticle(ServiceConfig config) {
        this(config, null);
    }

    /** With a given object store (tests); null builds the MinIO client from the config. */
    public ImageServiceVerticle(ServiceConfig config, ObjectStore store) {
        super(ImageServiceConfig.SERVICE_NAME, config);
        this.store = store;
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
        archiver = new VolumeArchiver(pipeMb, 1 << 20);
        String handoffUrl = config.get(ImageServiceConfig.CRYPTO_HANDOFF_URL);
        if (handoffUrl != null && !handoffUrl.isBlank()) {
            if (config.get(ImageServiceConfig.CRYPTO_HANDOFF_TOKEN_FILE) == null) {
                return Future.failedFuture(new ConfigException(ImageServiceConfig.CRYPTO_HANDOFF_URL.envName()
                        + " is set but " + ImageServiceConfig.CRYPTO_HANDOFF_TOKEN_FILE.envName() + " is not"));
            }
        }
        layout = new BackupLayout(config.get(CommonConfig.S3_STAGING_BUCKET), config.get(CommonConfig.S3_BACKUP_BUCKET));
        return blocking(() -> {
            if (handoffUrl != null && !handoffUrl.isBlank()) {
                // File I/O: here on a worker, with the cluster registry, not on the event loop.
                char[] token = ServiceConfig.readSecret(config.get(ImageServiceConfig.CRYPTO_HANDOFF_TOKEN_FILE));
                handoff = new CryptoHandoff(handoffUrl, token, config.get(ImageServiceConfig.DOCKER_READ_TIMEOUT));
                java.util.Arrays.fill(token, '\0');
            }
            clusters = ClusterRegistry.load(config.get(CommonConfig.CLUSTERS_FILE));
            if (store == null) {
                store = MinioObjectStore.fromConfig(config);
            }
            store.ensureBucket(layout.stagingBucket());
            sweepStaleUploads(store, List.of(layout.stagingBucket())); // image tars are staged multipart
            return null;
        }).compose(v -> consume(Topics.REPLICAS, ReplicaDiscovered.class, this::onReplica));
    }

    private Future<Void> onReplica(ReplicaDiscovered event, JobConsumer.RecordOrigin origin) {
        long startedAt = System.nanoTime();
        try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
            Optional<ArtifactSkipped> skipped = skipDecision(event);
            if (skipped.isPresent()) {
                LOG.info("image content of replica {} not archived: {}", event.replicaId(), skipped.get().reason());
                return publisher.publish(skipped.get(), Topics.STATUS)
                        .onSuccess(v -> pipelineMeters().stage("images", KIND, "skipped", Duration.ZERO, 0));
            }
        }
        return blocking(() -> stage(event))
                .recover(e -> {
                    try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
                        LOG.error("unexpected error archiving the registry volume of replica {}", event.replicaId(), e);
                    }
                    return Future.succeededFuture(failed(event, "unexpected error archiving the registry volume: " + e));
                })
                .compose(outcome -> {
                    if (outcome == null) {
                        return Future.succeededFuture(); // already encrypted: nothing left to do
                    }
                    if (outcome instanceof ArtifactStaged staged) {
                        return publisher.publish(staged, Topics.STAGED, Topics.STATUS)
                                .onSuccess(v -> pipelineMeters().stage("images", KIND, "staged",
                                        Duration.ofMillis(staged.durationMs()), staged.sizeBytes()));
                    }
                    return publisher.publish(outcome, Topics.STATUS)
                            .onSuccess(v -> pipelineMeters().stage("images", KIND, "failed",
                                    Duration.ofNanos(System.nanoTime() - startedAt), 0));
                });
    }

    /** ArtifactSkipped when no volume is archived for this event, else empty. */
    static Optional<ArtifactSkipped> skipDecision(ReplicaDiscovered event) {
        String reason;
        String guidance;
        if (!event.storageKind().isVolumeBacked()) {
            reason = "DTR " + event.dtrVersion() + " stores image content on external storage ("
                    + event.storageKind().name().toLowerCase(java.util.Locale.ROOT)
                    + "), not in a Docker volume: this backup holds the metadata only";
            guidance = EXTERNAL_STORAGE_GUIDANCE;
        } else if (event.options().skipImages()) {
            reason = "the request asked to skip image content (options.skipImages): this backup holds the metadata only";
            guidance = "Back up the registry volume " + event.volumeName()
                    + " in another backup run; metadata and images restore best when taken together";
        } else if (!event.expects(KIND)) {
            reason = "discovery did not expect an image artifact for this backup";
            guidance = null;
        } else {
            return Optional.empty();
        }
        return Optional.of(new ArtifactSkipped(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.deterministic(event.backupId(), "ArtifactSkipped", KIND), event.backupId(), event.clusterId(),
                Instant.now(), KIND, reason, guidance));
    }

    /**
     * Runs on a worker: archive and stage, or explain why not. Never throws for an expected
     * failure. Null when the artifact is already encrypted (nothing to publish).
     */
    private BackupEvent stage(ReplicaDiscovered event) {
        try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
            String bucket = layout.stagingBucket();
            String key = layout.stagingKey(event.clusterId(), event.backupId(), KIND);
            String recordKey = layout.stagedRecordKey(event.clusterId(), event.backupId(), KIND);
            try {
                String artifactName = BackupLayout.artifactName(KIND, event.dtrVersion(), event.backupTimestamp());
                String encryptedRecord = layout.encryptedRecordKey(event.clusterId(), event.backupId(), artifactName);
                if (store.exists(layout.backupBucket(), encryptedRecord)) {
                    LOG.info("images of this backup are already encrypted ({}): redelivered event, nothing to do",
                            encryptedRecord);
                    return null;
                }
                Optional<ArtifactStaged> previous = FinishedWorkRecord.readEvent(store, bucket, recordKey,
                        ArtifactStaged.class);
                if (previous.isPresent() && (store.exists(bucket, key) || store.exists(layout.backupBucket(),
                        layout.handoffReceiptKey(event.clusterId(), event.backupId(), artifactName)))) {
                    LOG.info("images already staged at {} or handed to crypto-service (redelivered event): "
                            + "republishing the staged record", key);
                    return previous.get();
                }
                if (previous.isPresent()) {
                    LOG.warn("staged record {} has no tar beside it: removing it and archiving again", recordKey);
                    store.remove(bucket, recordKey);
                }
            } catch (ObjectStoreException e) {
                return failed(event, "cannot read the staging bucket " + bucket + ": " + e.getMessage()
                        + " (check the object store, then run the backup again)");
            }

            Optional<ClusterSpec> cluster = clusters.find(event.clusterId());
            if (cluster.isEmpty()) {
                return failed(event, "cluster " + event.clusterId() + " is not in the cluster registry "
                        + clusters.source() + ": add it there (Docker endpoint and client bundle) and run the backup again");
            }
            long t0 = System.nanoTime();
            try {
                DockerEngine engine = DockerEngine.forEndpoint(cluster.get().docker(),
                        config.get(ImageServiceConfig.DOCKER_CONNECT_TIMEOUT),
                        config.get(ImageServiceConfig.DOCKER_READ_TIMEOUT));
                RegistryVolume volume = RegistryVolume.locate(engine, event.volumeName(), event.replicaId(),
                        event.node());
                LOG.info("archiving {} from {} into {}/{}", volume, engine.endpoint(), bucket, key);
                ProgressReporter reporter = new ProgressReporter(context, publisher, event, KIND, ArtifactPhase.STAGING,
                        config.get(CommonConfig.PROGRESS_INTERVAL));
                VolumeArchiver.Progress progress = new VolumeArchiver.Progress() {
                    @Override
                    public void accept(long bytes) {
                        reporter.accept(bytes);
                    }

                    @Override
                    public void files(long files) {
                        reporter.files(files);
                    }
                };
                Map<String, String> metadata = Map.of("dtr-backup-id", event.backupId(), "dtr-backup-kind", KIND.id());
                String artifactName = BackupLayout.artifactName(KIND, event.dtrVersion(), event.backupTimestamp());
                VolumeArchiver.Archive archive = handoff == null ? null
                        : handOff(engine, volume, event, artifactName, progress);
                if (archive == null) {
                    archive = archiver.archive(engine, volume, writerExecutor(), in -> upload(bucket, key, in, metadata),
                            progress);
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                reporter.finish(archive.sizeBytes());
                ArtifactStaged staged = new ArtifactStaged(BackupEvent.CURRENT_SCHEMA_VERSION,
                        EventIds.deterministic(event.backupId(), "ArtifactStaged", KIND), event.backupId(),
                        event.clusterId(), Instant.now(), KIND,
                        BackupLayout.artifactName(KIND, event.dtrVersion(), event.backupTimestamp()), key,
                        archive.sizeBytes(), archive.sha256(), archive.entryCount(), archive.listingSha256(),
                        event.dtrVersion(), null, archive.blobCount(), ms);
                byte[] json = EventCodec.encode(staged);
                store.put(bucket, recordKey, new java.io.ByteArrayInputStream(json), json.length, Map.of(),
                        "application/json");
                LOG.info("staged {}: {} bytes, {} entries, {} blobs, {} files in {} ms ({} MB/s)", key,
                        archive.sizeBytes(), archive.entryCount(), archive.blobCount(), archive.fileCount(), ms,
                        ms == 0 ? "-" : archive.sizeBytes() / 1000 / ms);
                return staged;
            } catch (VolumeArchiver.ArchiveException e) {
                LOG.warn("archiving the registry volume of replica {} failed: {}", event.replicaId(), e.getMessage());
                return failed(event, e.getCause() instanceof ObjectStoreException
                        ? "staging the image tar failed: " + e.getMessage()
                                + " (check the object store; nothing partial was kept; run the backup again)"
                        : e.getMessage());
            } catch (DockerApiException e) {
                LOG.warn("Docker API problem for replica {}: {}", event.replicaId(), e.getMessage());
                return failed(event, e.getMessage());
            } catch (ObjectStoreException e) {
                return failed(event, "writing the staged record failed: " + e.getMessage()
                        + " (check the object store, then run the backup again)");
            } catch (IllegalArgumentException e) {
                return failed(event, "cluster " + event.clusterId() + ": " + e.getMessage());
            }
        }
    }

    /**
     * Streams the archive to crypto-service instead of the staging bucket. Null when the hand-off failed
     * (crypto-service away, busy, broke off): the caller stages instead. Throws when crypto-service
     * received other bytes than were sent: that is damage on the way, not a reason to try again quietly.
     */
    private VolumeArchiver.Archive handOff(DockerEngine engine, RegistryVolume volume, ReplicaDiscovered event,
            String artifactName, VolumeArchiver.Progress progress) throws VolumeArchiver.ArchiveException {
        CryptoHandoff.Receipt[] receipt = new CryptoHandoff.Receipt[1];
        VolumeArchiver.Archive archive;
        try {
            // crypto-service hashes what it receives (SHA-256, for the event); this side only needs the CRC32C
            // that proves both saw the same bytes, which saves a second SHA-256 pass over the whole tar.
            archive = archiver.archive(engine, volume, writerExecutor(),
                    in -> receipt[0] = handoff.send(event.clusterId(), event.backupId(), KIND, artifactName, in),
                    progress, false);
        } catch (VolumeArchiver.ArchiveException e) {
            if (e.getCause() instanceof CryptoHandoff.HandoffException handoffFailure) {
                LOG.warn("{}; staging the images in the staging bucket instead", handoffFailure.getMessage());
                return null;
            }
            throw e;
        }
        if (receipt[0].plaintextBytes() != archive.sizeBytes() || !archive.crc32c().equals(receipt[0].plaintextCrc32c())
                || !receipt[0].plaintextSha256().matches("[0-9a-f]{64}")) {
            throw new VolumeArchiver.ArchiveException("crypto-service at " + handoff.endpoint() + " received "
                    + receipt[0].plaintextBytes() + " bytes with CRC32C " + receipt[0].plaintextCrc32c()
                    + " but image-service sent " + archive.sizeBytes() + " bytes with CRC32C " + archive.crc32c()
                    + ": the data was damaged on the way, nothing is recorded as staged; check the network between "
                    + "the two services and run the backup again", null);
        }
        LOG.info("handed {} to crypto-service at {}: stored encrypted as {}", artifactName, handoff.endpoint(),
                receipt[0].objectKey());
        return archive.withSha256(receipt[0].plaintextSha256());
    }

    private void upload(String bucket, String key, InputStream in, Map<String, String> metadata) {
        store.put(bucket, key, in, -1, metadata, "application/x-tar");
    }

    /** The tar writer runs on the service's bounded worker pool, beside the upload's worker. */
    private Executor writerExecutor() {
        return command -> workers.executeBlocking(() -> {
            command.run();
            return null;
        }, false);
    }

    private static ArtifactFailed failed(ReplicaDiscovered event, String reason) {
        return new ArtifactFailed(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.deterministic(event.backupId(), "ArtifactFailed", KIND, ArtifactPhase.STAGING),
                event.backupId(), event.clusterId(), Instant.now(), KIND, ArtifactPhase.STAGING, reason);
    }
}
