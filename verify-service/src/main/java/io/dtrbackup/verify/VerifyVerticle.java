package io.dtrbackup.verify;

import io.dtrbackup.verify.completion.CompletionLoop;
import io.dtrbackup.verify.completion.BackupFinisher;
import io.dtrbackup.common.clusters.ClusterNeeds;
import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.VerifyRequested;
import io.dtrbackup.common.kafka.JobConsumer;
import io.dtrbackup.common.log.BackupLog;
import io.dtrbackup.common.service.PipelineVerticle;
import io.dtrbackup.common.service.ProgressReporter;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.FinishedWorkRecord;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import io.vertx.core.Future;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * verify-service: verifies every encrypted artifact (ENCRYPTED topic), ends every backup
 * (completion loop on the STATUS topic), re-verifies stored backups on request
 * (VERIFY_REQUESTS topic). See docs/services/verify-service.md.
 */
public final class VerifyVerticle extends PipelineVerticle {
    private static final Logger LOG = LoggerFactory.getLogger(VerifyVerticle.class);
    public static final String NAME = "verify-service";
    static final String REVERIFY_GROUP = "verify-service-reverify";

    private final ObjectStore injectedStore;
    private ObjectStore store;
    private BackupLayout layout;
    private ArtifactVerifier verifier;
    private CompletionLoop completion;
    private Reverifier reverifier;
    private volatile PassphraseStore passphrases;

    public VerifyVerticle(ServiceConfig config) {
        this(config, null);
    }

    /** With a given object store (tests); null builds the MinIO client from the config. */
    public VerifyVerticle(ServiceConfig config, ObjectStore store) {
        super(NAME, config);
        this.injectedStore = store;
    }

    @Override
    protected Future<?> startService() {
        return blocking(() -> {
            passphrases = VerifyServiceConfig.passphrases(config);
            store = injectedStore != null ? injectedStore : MinioObjectStore.fromConfig(config);
            layout = new BackupLayout(config.get(CommonConfig.S3_STAGING_BUCKET), config.get(CommonConfig.S3_BACKUP_BUCKET));
            store.ensureBucket(layout.backupBucket());
            store.ensureBucket(layout.stagingBucket());
            Path clusters = config.get(CommonConfig.CLUSTERS_FILE);
            ClusterRegistry registry = clusters == null ? null : ClusterRegistry.load(clusters, ClusterNeeds.POLICY_ONLY);
            if (registry == null) {
                LOG.warn("no {}: retention is off (every verified backup is kept)", CommonConfig.CLUSTERS_FILE.envName());
            } else {
                // Outcome counters at 0 from the start: alerts on increase() see each cluster's first failure.
                pipelineMeters().knownClusters(registry.all().stream().map(ClusterSpec::id).toList());
            }
            verifier = new ArtifactVerifier(store, layout.backupBucket(), this::passphrase,
                    VerifyServiceConfig.requiredTables(config), config.get(VerifyServiceConfig.FAST_DECRYPT));
            reverifier = new Reverifier(store, layout, verifier, pipelineMeters());
            BackupFinisher finisher = new BackupFinisher(store, layout, registry, this::publishAndWait, pipelineMeters());
            completion = new CompletionLoop(kafka, NAME + "-completion-" + deploymentID(), finisher,
                    config.get(VerifyServiceConfig.STAGE_DEADLINE), config.get(VerifyServiceConfig.DEADLINE_CHECK_INTERVAL));
            return null;
        }).compose(v -> consume(Topics.ENCRYPTED, ArtifactEncrypted.class, this::verifyArtifact))
                .compose(v -> consume(Topics.VERIFY_REQUESTS, VerifyRequested.class, REVERIFY_GROUP, this::reverify))
                .onSuccess(v -> completion.start());
    }

    @Override
    protected Future<?> stopService() {
        return blocking(() -> {
            if (completion != null) {
                completion.stop(Duration.ofSeconds(20));
            }
            return null;
        });
    }

    /** True once the completion loop has replayed its partitions (tests wait for it). */
    public boolean completionReady() {
        return completion != null && completion.isReady();
    }

    /** The passphrase of a key ID; an unknown one re-reads the configured files once (a key added since start). */
    private char[] passphrase(String keyId) {
        PassphraseStore current = passphrases;
        if (!current.contains(keyId)) {
            try {
                current = VerifyServiceConfig.passphrases(config);
                passphrases = current;
            } catch (RuntimeException e) {
                LOG.warn("re-reading the passphrase files failed: {}", e.getMessage());
            }
        }
        return current.contains(keyId) ? current.passphrase(keyId) : null;
    }

    private Future<Void> verifyArtifact(ArtifactEncrypted event, JobConsumer.RecordOrigin origin) {
        ProgressReporter progress = new ProgressReporter(vertx.getOrCreateContext(), publisher, event, event.kind(),
                ArtifactPhase.VERIFYING, config.get(CommonConfig.PROGRESS_INTERVAL));
        progress.bytesTotal(event.plaintextSize());
        return blocking(() -> {
            try (var s = BackupLog.scope(event.backupId(), event.clusterId())) {
                Optional<VerificationResult> done = readResult(event);
                if (done.isPresent()) {
                    LOG.info("{} already verified (redelivered event): publishing the recorded result", event.kind().id());
                    return done.get();
                }
                LOG.info("verifying {} ({} bytes)", event.objectKey(), event.ciphertextSize());
                VerificationResult result = verifier.verify(event.backupId(), event.clusterId(), Expectation.of(event),
                        false, progress);
                writeResult(event, result);
                pipelineMeters().stage("verify", event.kind(), result.verified() ? "verified" : "failed",
                        Duration.ofMillis(result.durationMs()), Math.max(0, result.ciphertextSize()));
                if (result.verified()) {
                    progress.finish(result.plaintextSize());
                    LOG.info("{} verified: {} bytes, {} entries, {} in {} ms ({} MB/s, {})", event.kind().id(),
                            result.plaintextSize(), result.entryCount(), result.blobsChecked() == null ? ""
                                    : result.blobsChecked() + " blobs re-hashed", result.durationMs(),
                            Math.round(result.megabytesPerSecond()), result.method());
                } else {
                    LOG.warn("{} failed verification: {}", event.kind().id(), result.reason());
                }
                return result;
            }
        }).compose(result -> publisher.publish(Topics.STATUS, toEvent(result, event.backupId(), event.clusterId(),
                "")));
    }

    private Optional<VerificationResult> readResult(ArtifactEncrypted event) {
        String key = layout.verificationKey(event.clusterId(), event.backupId(), event.kind());
        // only a success is reused: a failure may have been transient (S3), so it is checked again
        return FinishedWorkRecord.read(store, layout.backupBucket(), key,
                json -> EventCodec.mapper().readValue(json, VerificationResult.class))
                .filter(r -> r.verified() && r.objectKey().equals(event.objectKey())
                        && event.ciphertextSha256().equals(r.ciphertextSha256()));
    }

    private void writeResult(ArtifactEncrypted event, VerificationResult result) throws Exception {
        byte[] json = EventCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(result);
        store.put(layout.backupBucket(), layout.verificationKey(event.clusterId(), event.backupId(), event.kind()),
                new ByteArrayInputStream(json), json.length, Map.of("backup-id", event.backupId(),
                        "verified", String.valueOf(result.verified())), "application/json");
    }

    static BackupEvent toEvent(VerificationResult r, String backupId, String clusterId, String requestId) {
        boolean again = r.reverification();
        if (r.verified()) {
            return new ArtifactVerified(BackupEvent.CURRENT_SCHEMA_VERSION, again
                    ? EventIds.artifactReverified(backupId, r.kind(), requestId)
                    : EventIds.artifactVerified(backupId, r.kind()), backupId, clusterId, Instant.now(),
                    r.kind(), r.objectKey(), r.plaintextSize(), r.plaintextSha256(), r.entryCount(), r.blobsChecked(),
                    again, r.durationMs());
        }
        return new ArtifactFailed(BackupEvent.CURRENT_SCHEMA_VERSION, again
                ? EventIds.artifactReverifyFailed(backupId, r.kind(), requestId)
                : EventIds.artifactFailed(backupId, r.kind(), ArtifactPhase.VERIFYING), backupId, clusterId,
                Instant.now(), r.kind(), ArtifactPhase.VERIFYING, r.reason());
    }

    /** Re-verifies each artifact of a stored backup from its manifest; reports each, then the verdict. */
    private Future<Void> reverify(VerifyRequested request, JobConsumer.RecordOrigin origin) {
        return blocking(() -> {
            try (var s = BackupLog.scope(request.backupId(), request.clusterId())) {
                return reverifier.reverify(request);
            }
        }).compose(events -> {
            Future<Void> chain = Future.succeededFuture();
            for (BackupEvent e : events) {
                chain = chain.compose(v -> publisher.publish(Topics.STATUS, e));
            }
            return chain;
        });
    }

    /** For the completion thread: publish and wait for the broker's ack. */
    private void publishAndWait(BackupEvent event, Topic first, Topic... more) throws Exception {
        publisher.publish(event, first, more).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
}
