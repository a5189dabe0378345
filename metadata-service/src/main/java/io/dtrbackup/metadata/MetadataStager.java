package io.dtrbackup.metadata;

import com.github.dockerjava.api.DockerClient;
import io.dtrbackup.common.clusters.ClusterNeeds;
import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.FinishedWorkRecord;
import io.dtrbackup.common.store.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blocking work of one ReplicaDiscovered: decide whether anything is to be done (idempotency),
 * build the {@code docker/dtr backup} run from the cluster registry, run it, stream and check its
 * tar, and write the staging record. Never throws for a bad input: every problem becomes an
 * {@link Outcome.Failed} with a reason an operator can act on.
 */
final class MetadataStager {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataStager.class);
    private static final int REASON_STDERR_CHARS = 2000;

    /** What a delivery ends in. */
    sealed interface Outcome {
        /** The staging record existed: publish it again, nothing was run. */
        record Republish(ArtifactStaged staged) implements Outcome {
        }

        /** crypto-service already encrypted this artifact: nothing to publish. */
        record AlreadyEncrypted(String encryptedKey) implements Outcome {
        }

        record Staged(ArtifactStaged staged) implements Outcome {
        }

        record Failed(ArtifactFailed failed) implements Outcome {
        }
    }

    /** Either a final outcome (nothing to run) or a run to do. */
    sealed interface Prepared {
        record Done(Outcome outcome) implements Prepared {
        }

        /** A run; {@link #close()} wipes the password. */
        record Run(ReplicaDiscovered event, ClusterSpec cluster, DtrBackupCommand command, List<String> args,
                char[] password, String artifactName, String stagingKey) implements Prepared, AutoCloseable {
            @Override
            public void close() {
                Arrays.fill(password, '\0');
            }
        }
    }

    /** What the stager needs from the service; tests pass their own. */
    record Settings(BackupLayout layout, Path clustersFile, String imageRepository, String networkMode,
            Duration timeout, Duration caFetchTimeout, int pipeBytes, int stderrBytes) {
    }

    private final Settings settings;
    private final ObjectStore store;
    private final Function<ClusterSpec, DockerClient> dockerClients;
    private final Executor executor;
    private final Clock clock;
    private volatile Consumer<String> onContainerCreated = id -> { };

    MetadataStager(Settings settings, ObjectStore store, Function<ClusterSpec, DockerClient> dockerClients,
            Executor executor, Clock clock) {
        this.settings = settings;
        this.store = store;
        this.dockerClients = dockerClients;
        this.executor = executor;
        this.clock = clock;
    }

    /** Test hook: sees each backup container's ID after create and before start. */
    void onContainerCreated(Consumer<String> hook) {
        this.onContainerCreated = hook;
    }

    // ------------------------------------------------------------------------------- prepare

    Prepared prepare(ReplicaDiscovered event) {
        BackupLayout layout = settings.layout();
        String cluster = event.clusterId();
        String backup = event.backupId();
        String artifactName = BackupLayout.artifactName(ArtifactKind.METADATA, event.dtrVersion(),
                event.backupTimestamp());
        try {
            String encryptedRecord = layout.encryptedRecordKey(cluster, backup, artifactName);
            if (store.exists(layout.backupBucket(), encryptedRecord)) {
                LOG.info("metadata artifact {} is already encrypted ({}): nothing to do", artifactName, encryptedRecord);
                return new Prepared.Done(new Outcome.AlreadyEncrypted(encryptedRecord));
            }
            String stagingKey = layout.stagingKey(cluster, backup, ArtifactKind.METADATA);
            String recordKey = layout.stagedRecordKey(cluster, backup, ArtifactKind.METADATA);
            Optional<ArtifactStaged> staged = FinishedWorkRecord.readEvent(store, layout.stagingBucket(), recordKey,
                    ArtifactStaged.class);
            if (staged.isPresent()) {
                if (store.exists(layout.stagingBucket(), stagingKey)) {
                    LOG.info("metadata already staged at {} ({} bytes): republishing ArtifactStaged, not running "
                            + "docker/dtr again", stagingKey, staged.get().sizeBytes());
                    return new Prepared.Done(new Outcome.Republish(staged.get()));
                }
                if (store.exists(layout.backupBucket(), encryptedRecord)) {
                    return new Prepared.Done(new Outcome.AlreadyEncrypted(encryptedRecord));
                }
                LOG.warn("staging record {} has no usable staged tar: removing it and backing up again", recordKey);
                store.remove(layout.stagingBucket(), recordKey);
            }
            ClusterSpec spec = ClusterRegistry.load(settings.clustersFile(), ClusterNeeds.DOCKER_AND_UCP).require(cluster);
            String ca = UcpCa.resolve(spec, settings.caFetchTimeout());
            DtrBackupCommand command = new DtrBackupCommand(spec.ucp().url(), spec.ucp().username(), ca,
                    ca == null && spec.ucp().insecureTls(), event.replicaId(), event.dtrVersion(), event.options());
            List<String> args = command.args();
            char[] password;
            try {
                password = ServiceConfig.readSecret(spec.ucp().passwordFile());
            } catch (ConfigException e) {
                return refused(event, "UCP password of cluster " + cluster + ": " + e.getMessage()
                        + " (ucp.passwordFile in the cluster registry)");
            }
            return new Prepared.Run(event, spec, command, args, password, artifactName, stagingKey);
        } catch (DtrBackupCommand.Refused e) {
            return refused(event, e.getMessage());
        } catch (ClusterRegistry.UnknownClusterException | ConfigException e) {
            return refused(event, e.getMessage());
        } catch (RuntimeException e) {
            return refused(event, "preparing the metadata backup failed: " + e.getMessage());
        }
    }

    // ----------------------------------------------------------------------------------- run

    Outcome run(Prepared.Run run, LongConsumer progress) {
        ReplicaDiscovered event = run.event();
        BackupLayout layout = settings.layout();
        String image = settings.imageRepository() + ":" + event.dtrVersion();
        long t0 = System.nanoTime();
        LOG.info("running {} {} on {} for replica {}", image, DtrBackupCommand.describe(run.args()),
                run.cluster().docker().endpoint(), event.replicaId());
        MetadataCapture capture = new MetadataCapture(event.dtrVersion(), settings.pipeBytes(), settings.stderrBytes(),
                progress);
        Map<String, String> metadata = Map.of("backup-id", event.backupId(), "cluster-id", event.clusterId(),
                "kind", ArtifactKind.METADATA.id(), "dtr-version", event.dtrVersion());
        capture.start(executor, store, layout.stagingBucket(), run.stagingKey(), metadata);
        Integer exitCode = null;
        String runFailure = null;
        try (DockerClient docker = dockerClients.apply(run.cluster())) {
            DtrContainerRunner.Spec spec = new DtrContainerRunner.Spec(image, run.args(),
                    "UCP_PASSWORD=" + new String(run.password()), labels(event), settings.networkMode(),
                    settings.timeout(), onContainerCreated);
            exitCode = DtrContainerRunner.run(docker, spec, capture);
            capture.finish(exitCode);
        } catch (DtrContainerRunner.RunFailure e) {
            runFailure = e.getMessage();
            capture.fail(runFailure);
        } catch (IOException | RuntimeException e) {
            runFailure = "Docker endpoint " + run.cluster().docker().endpoint() + " of cluster " + event.clusterId()
                    + ": " + e.getMessage();
            capture.fail(runFailure);
        }
        MetadataCapture.Result result;
        try {
            result = capture.await(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            capture.fail("interrupted");
            return failed(event, "interrupted while staging the metadata tar");
        }
        String stderr = Redaction.redact(capture.stderrTail(), run.password());
        if (result.failure() != null) {
            // Never complete means never visible, but remove in case the store kept a partial object.
            removeQuietly(layout.stagingBucket(), run.stagingKey());
            String reason = failureReason(image, exitCode, runFailure, result.failure(), stderr, event);
            LOG.warn("metadata backup failed: {}\n--- docker/dtr stderr (last {} bytes, redacted) ---\n{}", reason,
                    stderr.length(), stderr);
            return failed(event, reason);
        }
        long durationMs = (System.nanoTime() - t0) / 1_000_000;
        MetadataTarCheck.Result tar = result.tar();
        ArtifactStaged staged = new ArtifactStaged(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.artifactStaged(event.backupId(), ArtifactKind.METADATA), event.backupId(),
                event.clusterId(), clock.instant(), ArtifactKind.METADATA, run.artifactName(), run.stagingKey(),
                result.bytes(), result.sha256(), tar.entryCount(), tar.listingSha256(), event.dtrVersion(),
                tar.topFolder(), null, durationMs);
        byte[] json = EventCodec.encode(staged);
        try {
            store.put(layout.stagingBucket(), layout.stagedRecordKey(event.clusterId(), event.backupId(),
                    ArtifactKind.METADATA), new ByteArrayInputStream(json), json.length, Map.of(), "application/json");
        } catch (RuntimeException e) {
            removeQuietly(layout.stagingBucket(), run.stagingKey());
            return failed(event, "writing the staging record failed: " + e.getMessage());
        }
        LOG.info("staged {} at {}: {} bytes, {} entries, top folder {}, sha256 {}, {} ms ({} MB/s)",
                run.artifactName(), run.stagingKey(), result.bytes(), tar.entryCount(), tar.topFolder(),
                result.sha256(), durationMs, String.format(java.util.Locale.ROOT, "%.1f",
                result.bytes() / 1e3 / Math.max(durationMs, 1)));
        return new Outcome.Staged(staged);
    }

    private static String failureReason(String image, Integer exitCode, String runFailure, String captureFailure,
            String stderr, ReplicaDiscovered event) {
        StringBuilder reason = new StringBuilder();
        if (runFailure != null) {
            reason.append(runFailure);
        } else if (exitCode != null && exitCode != 0) {
            reason.append(image).append(" backup exited with code ").append(exitCode);
        } else {
            reason.append("the metadata tar from ").append(image).append(" is not usable: ").append(captureFailure);
        }
        String last = lastChars(stderr.strip(), REASON_STDERR_CHARS);
        if (!last.isEmpty()) {
            reason.append("; stderr: ").append(last);
        }
        String hint = hint(stderr, event);
        if (hint != null) {
            reason.append(" -> ").append(hint);
        }
        return reason.toString();
    }

    /** What an operator does about the failures docker/dtr reports most. */
    private static String hint(String stderr, ReplicaDiscovered event) {
        if (stderr.contains("invalid credentials") || stderr.contains("401")) {
            return "check ucp.username and the password in ucp.passwordFile of cluster " + event.clusterId();
        }
        if (stderr.contains("x509") || stderr.contains("UCP CA")) {
            return "check ucp.caFile (UCP's CA) or ucp.url of cluster " + event.clusterId();
        }
        if (stderr.contains("No replica found")) {
            return "replica " + event.replicaId() + " no longer exists: request a new backup so discovery picks a "
                    + "live replica";
        }
        if (stderr.contains("flag provided but not defined")) {
            return "the flags do not match docker/dtr:" + event.dtrVersion() + "; check the requested options";
        }
        return null;
    }

    private static String lastChars(String text, int max) {
        return text.length() <= max ? text : "…" + text.substring(text.length() - max);
    }

    private void removeQuietly(String bucket, String key) {
        try {
            store.remove(bucket, key);
        } catch (RuntimeException e) {
            LOG.warn("cannot remove {}/{}: {}", bucket, key, e.getMessage());
        }
    }

    static Map<String, String> labels(ReplicaDiscovered event) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(DtrContainerRunner.ROLE_LABEL, DtrContainerRunner.ROLE);
        labels.put(DtrContainerRunner.BACKUP_LABEL, event.backupId());
        labels.put(DtrContainerRunner.CLUSTER_LABEL, event.clusterId());
        labels.put(DtrContainerRunner.REPLICA_LABEL, event.replicaId());
        return labels;
    }

    private Prepared.Done refused(ReplicaDiscovered event, String reason) {
        LOG.warn("metadata backup not run: {}", reason);
        return new Prepared.Done(failed(event, reason));
    }

    Outcome.Failed failed(ReplicaDiscovered event, String reason) {
        return new Outcome.Failed(new ArtifactFailed(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.artifactFailed(event.backupId(), ArtifactKind.METADATA, ArtifactPhase.STAGING), event.backupId(),
                event.clusterId(), clock.instant(), ArtifactKind.METADATA, ArtifactPhase.STAGING, reason));
    }
}
