package io.dtrbackup.image;

import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.common.docker.DockerApiException;
import io.dtrbackup.common.docker.DockerEngine;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactSkipped;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.handoff.HandoffProtocol;
import io.dtrbackup.common.service.ProgressReporter;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.FinishedWorkRecord;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.common.store.ObjectStoreException;
import io.dtrbackup.image.archive.VolumeArchiver;
import io.dtrbackup.image.docker.RegistryVolume;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backs up one replica's image content (blocking; one call per ReplicaDiscovered): the registry
 * volume is streamed from the cluster's Docker API as the seed's tar into the staging bucket (or
 * handed to crypto-service), then the staged record is written. External storage (or a request to
 * skip images) is a skip with the seed's guidance; every expected failure is an outcome, not an
 * exception. A redelivered event finds the staged record and returns it instead of archiving
 * again.
 */
public final class ImageStage {
    private static final Logger LOG = LoggerFactory.getLogger(ImageStage.class);
    static final ArtifactKind KIND = ArtifactKind.IMAGES;
    /** The seed's words for image content that is not in a volume. */
    static final String EXTERNAL_STORAGE_GUIDANCE =
            "If you're using a different storage backend, follow the best practices recommended for that system";

    /** What became of one replica's image content. */
    public sealed interface Outcome {
        /** Staged now, or staged before (a redelivery: the record is published again). */
        record Staged(ArtifactStaged event) implements Outcome {
        }

        record Failed(ArtifactFailed event) implements Outcome {
        }

        /** Already encrypted (a redelivery): nothing left to publish. */
        record AlreadyEncrypted() implements Outcome {
        }
    }

    /** Docker API timeouts for every cluster's engine. */
    public record Settings(Duration dockerConnectTimeout, Duration dockerReadTimeout) {
    }

    private final Settings settings;
    private final ObjectStore store;
    private final BackupLayout layout;
    private final ClusterRegistry clusters;
    private final VolumeArchiver archiver;
    private final CryptoHandoff handoff;
    private final Executor writerExecutor;

    /**
     * @param handoff crypto-service's hand-off, or null to stage in the staging bucket
     * @param writerExecutor runs each archive's tar writer, beside the calling (upload) thread
     */
    public ImageStage(Settings settings, ObjectStore store, BackupLayout layout, ClusterRegistry clusters,
            VolumeArchiver archiver, CryptoHandoff handoff, Executor writerExecutor) {
        this.settings = settings;
        this.store = store;
        this.layout = layout;
        this.clusters = clusters;
        this.archiver = archiver;
        this.handoff = handoff;
        this.writerExecutor = writerExecutor;
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
                EventIds.artifactSkipped(event.backupId(), KIND), event.backupId(), event.clusterId(),
                Instant.now(), KIND, reason, guidance));
    }

    /**
     * Archive and stage, or explain why not; the caller holds the event's log scope. Never throws
     * for an expected failure.
     *
     * @param progress made once the volume is found, to report the archive's progress
     */
    public Outcome stage(ReplicaDiscovered event, Supplier<ProgressReporter> progress) {
        String bucket = layout.stagingBucket();
        String key = layout.stagingKey(event.clusterId(), event.backupId(), KIND);
        String recordKey = layout.stagedRecordKey(event.clusterId(), event.backupId(), KIND);
        try {
            String artifactName = BackupLayout.artifactName(KIND, event.dtrVersion(), event.backupTimestamp());
            String encryptedRecord = layout.encryptedRecordKey(event.clusterId(), event.backupId(), artifactName);
            if (store.exists(layout.backupBucket(), encryptedRecord)) {
                LOG.info("images of this backup are already encrypted ({}): redelivered event, nothing to do",
                        encryptedRecord);
                return new Outcome.AlreadyEncrypted();
            }
            Optional<ArtifactStaged> previous = FinishedWorkRecord.readEvent(store, bucket, recordKey, ArtifactStaged.class);
            if (previous.isPresent() && (store.exists(bucket, key) || store.exists(layout.backupBucket(),
                    layout.handoffReceiptKey(event.clusterId(), event.backupId(), artifactName)))) {
                LOG.info("images already staged at {} or handed to crypto-service (redelivered event): "
                        + "republishing the staged record", key);
                return new Outcome.Staged(previous.get());
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
            DockerEngine engine = DockerEngine.forEndpoint(cluster.get().docker(), settings.dockerConnectTimeout(),
                    settings.dockerReadTimeout());
            RegistryVolume volume = RegistryVolume.locate(engine, event.volumeName(), event.replicaId(),
                    event.node());
            LOG.info("archiving {} from {} into {}/{}", volume, engine.endpoint(), bucket, key);
            ProgressReporter reporter = progress.get();
            VolumeArchiver.Progress archiveProgress = new VolumeArchiver.Progress() {
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
                    : handOff(engine, volume, event, artifactName, archiveProgress);
            if (archive == null) {
                archive = archiver.archive(engine, volume, writerExecutor, in -> upload(bucket, key, in, metadata),
                        archiveProgress);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            reporter.finish(archive.sizeBytes());
            ArtifactStaged staged = new ArtifactStaged(BackupEvent.CURRENT_SCHEMA_VERSION,
                    EventIds.artifactStaged(event.backupId(), KIND), event.backupId(),
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
            return new Outcome.Staged(staged);
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

    /**
     * Streams the archive to crypto-service instead of the staging bucket. Null when the hand-off failed
     * (crypto-service away, busy, broke off): the caller stages instead. Throws when crypto-service
     * received other bytes than were sent: that is damage on the way, not a reason to try again quietly.
     */
    private VolumeArchiver.Archive handOff(DockerEngine engine, RegistryVolume volume, ReplicaDiscovered event,
            String artifactName, VolumeArchiver.Progress progress) throws VolumeArchiver.ArchiveException {
        HandoffProtocol.Reply[] receipt = new HandoffProtocol.Reply[1];
        VolumeArchiver.Archive archive;
        try {
            // crypto-service hashes what it receives (SHA-256, for the event); this side only needs the CRC32C
            // that proves both saw the same bytes, which saves a second SHA-256 pass over the whole tar.
            archive = archiver.archive(engine, volume, writerExecutor,
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


    static Outcome.Failed failed(ReplicaDiscovered event, String reason) {
        return new Outcome.Failed(new ArtifactFailed(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.artifactFailed(event.backupId(), KIND, ArtifactPhase.STAGING),
                event.backupId(), event.clusterId(), Instant.now(), KIND, ArtifactPhase.STAGING, reason));
    }
}
