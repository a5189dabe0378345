package io.dtrbackup.crypto;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.EventIds;
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
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * crypto-service: for each ArtifactStaged, encrypts the staged tar with OpenPGP (what
 * {@code gpg -d} reads) into the backup bucket, writes the encryption record, deletes the staging
 * copy and publishes ArtifactEncrypted on ENCRYPTED and STATUS (or ArtifactFailed on STATUS).
 * Refuses to start without a passphrase.
 */
public final class CryptoVerticle extends PipelineVerticle {
    public static final String SERVICE_NAME = "crypto-service";
    private static final Logger LOG = LoggerFactory.getLogger(CryptoVerticle.class);
    private static final int RECENT_BACKUPS = 1000;

    private final ObjectStore injectedStore;
    private final PassphraseStore passphrases;
    private final OpenPgpEncryptor encryptor;
    private ExecutorService encryptThreads;
    private ArtifactEncryption encryption;
    private HandoffServer handoff;
    private Context serviceContext;
    /** Backups this instance announced ENCRYPTING for; after a restart a duplicate phase event is fine. */
    private final Set<String> announced = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > RECENT_BACKUPS;
        }
    });

    public CryptoVerticle(ServiceConfig config) {
        this(config, null);
    }

    /**
     * With a given object store (tests); null builds the MinIO client from the config. Reads the
     * passphrases here, so a service without one fails to deploy.
     */
    public CryptoVerticle(ServiceConfig config, ObjectStore store) {
        super(SERVICE_NAME, config);
        this.injectedStore = store;
        this.passphrases = CryptoServiceConfig.passphrases(config);
        this.encryptor = new OpenPgpEncryptor(CryptoServiceConfig.encryption(config));
    }

    @Override
    protected Future<?> startService() {
        BackupLayout layout = new BackupLayout(config.get(CommonConfig.S3_STAGING_BUCKET),
                config.get(CommonConfig.S3_BACKUP_BUCKET));
        serviceContext = vertx.getOrCreateContext();
        encryptThreads = Executors.newCachedThreadPool(threads());
        ArtifactEncryption.Settings settings = new ArtifactEncryption.Settings(layout,
                config.get(CryptoServiceConfig.PIPE_BUFFER_MB) * 1024 * 1024,
                config.get(CryptoServiceConfig.ARTIFACT_ATTEMPTS), Duration.ofSeconds(1));
        LOG.info("{}: active key ID {}, {} passphrase(s) known, encryption {}", SERVICE_NAME,
                passphrases.activeKeyId(), passphrases.keyIds().size(), encryptor.parameters());
        return blocking(() -> {
            ObjectStore store = injectedStore != null ? injectedStore : MinioObjectStore.fromConfig(config);
            store.ensureBucket(layout.stagingBucket());
            store.ensureBucket(layout.backupBucket());
            // crypto-service writes the backup objects, multipart: a SIGKILL mid-object leaves an upload there.
            sweepStaleUploads(store, List.of(layout.backupBucket()));
            return new ArtifactEncryption(settings, store, passphrases, encryptor, encryptThreads, Clock.systemUTC());
        }).compose(e -> {
            encryption = e;
            return startHandoff();
        }).compose(v -> consume(Topics.STAGED, ArtifactStaged.class, this::handle));
    }

    private Future<Void> startHandoff() {
        int port = config.get(CryptoServiceConfig.HANDOFF_PORT);
        if (port < 0) {
            return Future.succeededFuture();
        }
        if (config.get(CryptoServiceConfig.HANDOFF_TOKEN_FILE) == null) {
            return Future.failedFuture(new ConfigException(CryptoServiceConfig.HANDOFF_PORT.envName() + " is set but "
                    + CryptoServiceConfig.HANDOFF_TOKEN_FILE.envName() + " is not: the hand-off endpoint needs a token"));
        }
        return blocking(() -> {
            char[] token = ServiceConfig.readSecret(config.get(CryptoServiceConfig.HANDOFF_TOKEN_FILE));
            try {
                handoff = HandoffServer.start(config.get(CryptoServiceConfig.HANDOFF_HOST), port,
                        config.get(CryptoServiceConfig.HANDOFF_SLOTS), token, encryption, this::handoffStarted);
            } finally {
                java.util.Arrays.fill(token, '\0');
            }
            return null;
        });
    }

    /** A producer started streaming an artifact: the same phase and progress events as for a staged one. */
    private ProgressReporter handoffStarted(String backupId, String clusterId, ArtifactKind kind) {
        serviceContext.runOnContext(v -> announce(backupId, clusterId, kind));
        return new ProgressReporter(serviceContext, publisher, backupId, clusterId, kind, ArtifactPhase.ENCRYPTING,
                config.get(CommonConfig.PROGRESS_INTERVAL));
    }

    /** The hand-off endpoint's port, or -1 when it is off. */
    public int handoffPort() {
        return handoff == null ? -1 : handoff.port();
    }

    @Override
    protected Future<?> stopService() {
        if (handoff != null) {
            handoff.close();
        }
        if (encryptThreads != null) {
            encryptThreads.shutdownNow();
        }
        return Future.succeededFuture();
    }

    private Future<Void> handle(ArtifactStaged event, JobConsumer.RecordOrigin origin) {
        Context context = vertx.getOrCreateContext();
        long startedAt = System.nanoTime();
        try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
            LOG.info("ArtifactStaged {} {} ({} bytes) from {}-{}@{}", event.kind().id(), event.artifactName(),
                    event.sizeBytes(), origin.topic(), origin.partition(), origin.offset());
        }
        return announce(event).compose(v -> blocking(() -> {
            try (var scope = BackupLog.scope(event.backupId(), event.clusterId())) {
                ProgressReporter progress = new ProgressReporter(context, publisher, event, event.kind(),
                        ArtifactPhase.ENCRYPTING, config.get(CommonConfig.PROGRESS_INTERVAL));
                progress.bytesTotal(event.sizeBytes());
                ArtifactEncryption.Outcome outcome = encryption.encrypt(event, progress);
                if (outcome instanceof ArtifactEncryption.Outcome.Encrypted done && !done.alreadyDone()
                        && !done.handedOff()) {
                    progress.finish(done.event().plaintextSize());
                }
                return outcome;
            }
        })).compose(outcome -> publish(event, outcome).onSuccess(v -> measure(event, outcome, startedAt)));
    }

    /** Stage meters (see PipelineMeters), once the outcome event is written; a re-published result is not counted. */
    private void measure(ArtifactStaged event, ArtifactEncryption.Outcome outcome, long startedAt) {
        if (outcome instanceof ArtifactEncryption.Outcome.Encrypted done) {
            if (!done.alreadyDone()) {
                pipelineMeters().stage("encrypt", event.kind(), "encrypted", Duration.ofMillis(done.event().durationMs()),
                        done.event().ciphertextSize());
            }
        } else {
            pipelineMeters().stage("encrypt", event.kind(), "failed", Duration.ofNanos(System.nanoTime() - startedAt), 0);
        }
    }

    private Future<Void> announce(ArtifactStaged event) {
        return announce(event.backupId(), event.clusterId(), event.kind());
    }

    /** On the service's context (the set is not thread-safe). */
    private Future<Void> announce(String backupId, String clusterId, ArtifactKind kind) {
        if (!announced.add(backupId)) {
            return Future.succeededFuture();
        }
        BackupPhaseChanged phase = new BackupPhaseChanged(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.phaseChanged(backupId, BackupPhase.ENCRYPTING), backupId, clusterId,
                Instant.now(), BackupPhase.ENCRYPTING, "encrypting " + kind.id(), null);
        return publisher.publish(phase, Topics.STATUS);
    }

    private Future<Void> publish(ArtifactStaged event, ArtifactEncryption.Outcome outcome) {
        if (outcome instanceof ArtifactEncryption.Outcome.Encrypted done) {
            return publisher.publish(done.event(), Topics.ENCRYPTED, Topics.STATUS);
        }
        ArtifactEncryption.Outcome.Failed failed = (ArtifactEncryption.Outcome.Failed) outcome;
        ArtifactFailed event2 = new ArtifactFailed(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.artifactFailed(event.backupId(), event.kind(), ArtifactPhase.ENCRYPTING), event.backupId(),
                event.clusterId(), Instant.now(), event.kind(), ArtifactPhase.ENCRYPTING, failed.reason());
        return publisher.publish(event2, Topics.STATUS);
    }

    private static ThreadFactory threads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, SERVICE_NAME + "-encrypt-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
