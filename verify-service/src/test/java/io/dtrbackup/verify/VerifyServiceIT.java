package io.dtrbackup.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupReverified;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.contract.events.VerifyRequested;
import io.dtrbackup.contract.manifest.Manifest;
import io.dtrbackup.common.service.ServiceLauncher;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.S3Extension;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * verify-service on the real testbed (embedded Kafka broker, S3Proxy): artifacts encrypted as
 * crypto-service does, uploaded with the MinIO SDK, events published by hand, outcomes read from
 * the topics and the bucket.
 */
@ExtendWith({KafkaExtension.class, S3Extension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VerifyServiceIT {
    static final String PASS = "the right passphrase";
    static final String OTHER = "another passphrase";
    static final String RETAINED = "retained";

    EmbeddedKafka kafka;
    EmbeddedS3 s3;
    Vertx vertx;
    ObjectStore store;
    BackupLayout layout;
    KafkaProducer<String, byte[]> producer;
    final ConcurrentLinkedQueue<BackupEvent> status = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<BackupEvent> clusterState = new ConcurrentLinkedQueue<>();
    volatile boolean reading = true;
    Thread reader;
    VerifyVerticle verticle;
    io.dtrbackup.contract.config.ServiceConfig config;
    Path work;
    Path tmp;

    @BeforeAll
    void start(EmbeddedKafka kafka, EmbeddedS3 s3) throws Exception {
        this.kafka = kafka;
        this.s3 = s3;
        tmp = Path.of(System.getProperty("java.io.tmpdir"));
        work = Files.createDirectories(Path.of("target", "verify-it-" + UUID.randomUUID()));
        Path access = Files.writeString(work.resolve("access"), s3.accessKey());
        Path secret = Files.writeString(work.resolve("secret"), s3.secretKey());
        Path keys = Files.createDirectories(work.resolve("keys"));
        Files.writeString(keys.resolve("k1"), PASS + "\n");
        Files.writeString(keys.resolve("k2"), OTHER + "\n");
        Path ucpPassword = Files.writeString(work.resolve("ucp-password"), "secret\n");
        Path clusters = Files.writeString(work.resolve("clusters.yaml"), """
                clusters:
                  - id: %s
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp.example.com", username: admin, passwordFile: "%s", fetchCa: true }
                    retention: { keepLast: 2 }
                """.formatted(RETAINED, ucpPassword.toAbsolutePath()));
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> env = new HashMap<>();
        env.put("DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("DTR_BACKUP_S3_ENDPOINT", s3.endpoint());
        env.put("DTR_BACKUP_S3_REGION", s3.region());
        env.put("DTR_BACKUP_S3_ACCESS_KEY_FILE", access.toString());
        env.put("DTR_BACKUP_S3_SECRET_KEY_FILE", secret.toString());
        env.put("DTR_BACKUP_S3_BACKUP_BUCKET", "verify-it-" + suffix);
        env.put("DTR_BACKUP_S3_STAGING_BUCKET", "verify-it-staging-" + suffix);
        env.put("DTR_BACKUP_PASSPHRASE_DIR", keys.toString());
        env.put("DTR_BACKUP_ACTIVE_KEY_ID", "k1");
        env.put("DTR_BACKUP_CLUSTERS_FILE", clusters.toString());
        env.put("DTR_BACKUP_STAGE_DEADLINE", "20s");
        env.put("DTR_BACKUP_DEADLINE_CHECK_INTERVAL", "1s");
        env.put("DTR_BACKUP_PROGRESS_INTERVAL", "1h");
        config = ServiceLauncher.config(env, VerifyServiceConfig.parameters());
        store = MinioObjectStore.fromConfig(config);
        layout = new BackupLayout("verify-it-staging-" + suffix, "verify-it-" + suffix);
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all"),
                new StringSerializer(), new ByteArraySerializer());
        startReader();
        vertx = Vertx.vertx();
        verticle = new VerifyVerticle(config);
        vertx.deployVerticle(verticle).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(60)).until(verticle::completionReady);
    }

    @AfterAll
    void stop() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        reading = false;
        if (reader != null) {
            reader.join(10_000);
        }
        if (producer != null) {
            producer.close();
        }
    }

    private void startReader() {
        reader = new Thread(() -> {
            try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers",
                    kafka.bootstrapServers(), "group.id", "verify-it-" + UUID.randomUUID(), "auto.offset.reset",
                    "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
                c.subscribe(List.of(Topics.STATUS.name(), Topics.CLUSTER_STATE.name()));
                while (reading) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        try {
                            BackupEvent e = EventCodec.decode(r.value());
                            (r.topic().equals(Topics.STATUS.name()) ? status : clusterState).add(e);
                        } catch (Exception ignored) {
                            // other tests' records
                        }
                    }
                }
            }
        }, "status-reader");
        reader.setDaemon(true);
        reader.start();
    }

    // ---------------------------------------------------------------- fixtures

    record Art(ArtifactKind kind, byte[] plain, byte[] cipher, ArtifactEncrypted event) {
    }

    String newBackup() {
        return BackupIds.newId(Instant.now());
    }

    Art art(String cluster, String backup, ArtifactKind kind, byte[] plain, String keyId, String passphrase)
            throws IOException {
        String stamp = "20260101-02_00_00";
        String name = BackupLayout.artifactName(kind, Fixtures.VERSION, stamp);
        byte[] cipher = Fixtures.encrypt(plain, passphrase, name);
        return new Art(kind, plain, cipher, Fixtures.encrypted(cluster, backup, kind, name,
                layout.encryptedKey(cluster, backup, name), keyId, plain, cipher));
    }

    Art metadata(String cluster, String backup) throws IOException {
        return art(cluster, backup, ArtifactKind.METADATA, Fixtures.metadataTar(), "k1", PASS);
    }

    Art images(String cluster, String backup) throws IOException {
        return art(cluster, backup, ArtifactKind.IMAGES, Fixtures.imagesTar(backup.hashCode()), "k1", PASS);
    }

    void upload(Art a, byte[] bytes) {
        store.put(layout.backupBucket(), a.event().objectKey(), new ByteArrayInputStream(bytes), bytes.length, Map.of(),
                "application/pgp-encrypted");
    }

    void discovered(String cluster, String backup, ArtifactKind... expected) throws Exception {
        ReplicaDiscovered rd = new ReplicaDiscovered(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.replicaDiscovered(backup), backup, cluster, Instant.now(), Trigger.MANUAL,
                BackupOptions.DEFAULTS, "a1640e1c15b6", "node-1", Fixtures.VERSION, StorageKind.FILESYSTEM,
                "dtr-registry-a1640e1c15b6", "named in the request", List.of(expected), "20260101-02_00_00",
                Instant.now().minusSeconds(5));
        send(Topics.STATUS, rd);
    }

    void encryptedEvent(Art a) throws Exception {
        send(Topics.ENCRYPTED, a.event());
        send(Topics.STATUS, a.event());
    }

    void send(Topic topic, BackupEvent e) throws Exception {
        producer.send(new ProducerRecord<>(topic.name(), topic.keyOf(e), EventCodec.encode(e))).get(30, TimeUnit.SECONDS);
    }

    <E extends BackupEvent> E awaitEvent(String backup, Class<E> type) {
        return await().atMost(Duration.ofSeconds(90)).until(() -> find(backup, type), l -> !l.isEmpty()).get(0);
    }

    <E extends BackupEvent> List<E> find(String backup, Class<E> type) {
        return status.stream().filter(e -> backup.equals(e.backupId()) && type.isInstance(e)).map(type::cast).toList();
    }

    BackupEvent terminal(String backup) {
        return await().atMost(Duration.ofSeconds(90)).until(() -> status.stream()
                .filter(e -> backup.equals(e.backupId()) && (e instanceof BackupCompleted || e instanceof BackupFailed))
                .findFirst().orElse(null), e -> e != null);
    }

    byte[] object(String key) throws IOException {
        try (InputStream in = store.get(layout.backupBucket(), key)) {
            return in.readAllBytes();
        }
    }

    /** Watches java.io.tmpdir (this run's own folder), where an unnamed temp file goes, minus the broker's and S3's data. */
    CreationWatch watchTmp() throws IOException {
        return CreationWatch.start(tmp, Set.of(s3.dir(), kafka.dataDir()));
    }

    // ---------------------------------------------------------------- tests

    @Test
    void aBackupWithBothArtifactsCompletesOnlyAfterBothAreVerified_withAManifestMatchingTheObjects() throws Exception {
        String cluster = "prod-eu-1";
        String backup = newBackup();
        Art meta = metadata(cluster, backup);
        Art img = images(cluster, backup);
        upload(meta, meta.cipher());
        upload(img, img.cipher());
        CreationWatch tmpWatch = watchTmp();

        discovered(cluster, backup, ArtifactKind.METADATA, ArtifactKind.IMAGES);
        encryptedEvent(meta);
        ArtifactVerified metaOk = awaitEvent(backup, ArtifactVerified.class);
        assertThat(metaOk.kind()).isEqualTo(ArtifactKind.METADATA);
        assertThat(metaOk.plaintextSha256()).isEqualTo(Fixtures.sha256(meta.plain()));
        // images still outstanding: no manifest, no terminal event
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() ->
                !store.exists(layout.backupBucket(), layout.manifestKey(cluster, backup))
                        && find(backup, BackupCompleted.class).isEmpty());

        encryptedEvent(img);
        BackupEvent end = terminal(backup);
        assertThat(end).isInstanceOf(BackupCompleted.class);
        BackupCompleted done = (BackupCompleted) end;
        assertThat(done.manifestKey()).isEqualTo(layout.manifestKey(cluster, backup));
        assertThat(done.objectKeys()).containsExactlyInAnyOrder(meta.event().objectKey(), img.event().objectKey());

        Manifest manifest = EventCodec.mapper().readValue(object(done.manifestKey()), Manifest.class);
        assertThat(manifest.replicaId()).isEqualTo("a1640e1c15b6");
        assertThat(manifest.node()).isEqualTo("node-1");
        assertThat(manifest.dtrVersion()).isEqualTo(Fixtures.VERSION);
        assertThat(manifest.trigger()).isEqualTo(Trigger.MANUAL);
        assertThat(manifest.notIncluded()).anyMatch(s -> s.contains("UCP")).anyMatch(s -> s.contains("vulnerability"));
        assertThat(manifest.timings().artifacts()).containsKeys("metadata", "images");
        assertThat(manifest.artifacts()).hasSize(2);
        for (Manifest.Artifact a : manifest.artifacts()) {
            byte[] stored = object(a.objectKey());
            assertThat(a.ciphertextSha256()).isEqualTo(Fixtures.sha256(stored));
            assertThat(a.ciphertextSize()).isEqualTo(stored.length);
            assertThat(a.keyId()).isEqualTo("k1");
            assertThat(a.encryption().cipher()).isEqualTo("AES-256");
            Art source = a.kind() == ArtifactKind.METADATA ? meta : img;
            assertThat(a.plaintextSha256()).isEqualTo(Fixtures.sha256(source.plain()));
            VerificationResult r = EventCodec.mapper().readValue(object(a.verificationKey()), VerificationResult.class);
            assertThat(r.verified()).isTrue();
            assertThat(r.method()).isEqualTo("fast-cfb");
        }
        assertThat(find(backup, ArtifactVerified.class).stream().filter(v -> v.kind() == ArtifactKind.IMAGES)
                .findFirst().orElseThrow().blobsChecked()).isEqualTo(Fixtures.blobs(img.plain())).isPositive();
        await().atMost(Duration.ofSeconds(30)).until(() -> clusterState.stream()
                .anyMatch(e -> e instanceof ClusterBackupRecorded r && backup.equals(r.backupId())));
        // no plaintext file was written while verifying, not even one deleted again (java.io.tmpdir is
        // this run's own folder; the watch sees every create and write in it)
        try (tmpWatch) {
            assertThat(tmpWatch.changes()).as("files created or written under java.io.tmpdir while verifying")
                    .isEmpty();
        }
        // completes once: a redelivered artifact event does not end it again
        encryptedEvent(img);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() ->
                find(backup, BackupCompleted.class).size() == 1 && find(backup, BackupFailed.class).isEmpty());
    }

    void assertFails(String backup, ArtifactKind kind, String reasonStart, BackupPhase phase) {
        ArtifactFailed failed = await().atMost(Duration.ofSeconds(90))
                .until(() -> find(backup, ArtifactFailed.class), l -> !l.isEmpty()).get(0);
        assertThat(failed.kind()).isEqualTo(kind);
        assertThat(failed.phase()).isEqualTo(ArtifactPhase.VERIFYING);
        assertThat(failed.reason()).startsWith(reasonStart);
        BackupEvent end = terminal(backup);
        assertThat(end).isInstanceOfSatisfying(BackupFailed.class, f -> {
            assertThat(f.phase()).isEqualTo(phase);
            assertThat(f.reason()).contains(reasonStart);
        });
        assertThat(find(backup, BackupCompleted.class)).isEmpty();
    }

    @Test
    void aFlippedByteIsAnMdcFailure_andTheFailedBackupsObjectsAreRemoved() throws Exception {
        String cluster = "prod-eu-1";
        String backup = newBackup();
        Art meta = metadata(cluster, backup);
        byte[] bad = meta.cipher().clone();
        bad[bad.length / 2] ^= 0x04;
        upload(meta, bad);
        discovered(cluster, backup, ArtifactKind.METADATA);
        encryptedEvent(meta);
        assertFails(backup, ArtifactKind.METADATA, "MDC failure", BackupPhase.FAILED);
        await().atMost(Duration.ofSeconds(30)).until(() ->
                store.list(layout.backupBucket(), BackupLayout.backupPrefix(cluster, backup)).isEmpty());
    }

    @Test
    void aTruncatedObjectFailsAsTruncated() throws Exception {
        String cluster = "prod-eu-1";
        String backup = newBackup();
        Art meta = metadata(cluster, backup);
        upload(meta, Arrays.copyOf(meta.cipher(), meta.cipher().length - 1000));
        discovered(cluster, backup, ArtifactKind.METADATA);
        encryptedEvent(meta);
        assertFails(backup, ArtifactKind.METADATA, "truncated", BackupPhase.FAILED);
    }

    @Test
    void aMissingArtifactFailsAsMissing() throws Exception {
        String cluster = "prod-eu-1";
        String backup = newBackup();
        Art meta = metadata(cluster, backup);
        discovered(cluster, backup, ArtifactKind.METADATA);
        encryptedEvent(meta);
        assertFails(backup, ArtifactKind.METADATA, "missing", BackupPhase.FAILED);
    }

    @Test
    void aWrongKeyFailsAsWrongKey() throws Exception {
        String cluster = "prod-eu-1";
        String backup = newBackup();
        Art meta = art(cluster, backup, ArtifactKind.METADATA, Fixtures.metadataTar(), "k2", PASS); // k2 holds OTHER
        upload(meta, meta.cipher());
        discovered(cluster, backup, ArtifactKind.METADATA);
        encryptedEvent(meta);
        assertFails(backup, ArtifactKind.METADATA, "wrong key", BackupPhase.FAILED);
    }

    @Test
    void aBlobWhoseContentNoLongerMatchesItsDigestIsNamed_andTheBackupPartiallyFails() throws Exception {
        String cluster = "prod-eu-1";
        String backup = newBackup();
        Art meta = metadata(cluster, backup);
        byte[] tar = Fixtures.imagesTar(99);
        String blob = Fixtures.rotFirstBlob(tar);
        Art img = art(cluster, backup, ArtifactKind.IMAGES, tar, "k1", PASS);
        upload(meta, meta.cipher());
        upload(img, img.cipher());
        discovered(cluster, backup, ArtifactKind.METADATA, ArtifactKind.IMAGES);
        encryptedEvent(meta);
        encryptedEvent(img);
        assertFails(backup, ArtifactKind.IMAGES, "blob digest mismatch", BackupPhase.PARTIALLY_FAILED);
        assertThat(find(backup, ArtifactFailed.class).get(0).reason()).contains(blob);
        assertThat(find(backup, ArtifactVerified.class)).extracting(ArtifactVerified::kind)
                .containsExactly(ArtifactKind.METADATA);
    }

    @Test
    void retentionKeepsTheNewestTwoVerifiedBackups() throws Exception {
        List<String> backups = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String backup = newBackup();
            backups.add(backup);
            Art meta = metadata(RETAINED, backup);
            upload(meta, meta.cipher());
            discovered(RETAINED, backup, ArtifactKind.METADATA);
            encryptedEvent(meta);
            assertThat(terminal(backup)).isInstanceOf(BackupCompleted.class);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(store.list(layout.backupBucket(), BackupLayout.backupPrefix(RETAINED, backups.get(0)))).isEmpty();
            assertThat(store.exists(layout.backupBucket(), layout.manifestKey(RETAINED, backups.get(1)))).isTrue();
            assertThat(store.exists(layout.backupBucket(), layout.manifestKey(RETAINED, backups.get(2)))).isTrue();
        });
    }

    @Test
    void reverificationReportsAnIntactAndThenADamagedBackup() throws Exception {
        String cluster = "prod-us-2";
        String backup = newBackup();
        Art meta = metadata(cluster, backup);
        upload(meta, meta.cipher());
        discovered(cluster, backup, ArtifactKind.METADATA);
        encryptedEvent(meta);
        assertThat(terminal(backup)).isInstanceOf(BackupCompleted.class);

        send(Topics.VERIFY_REQUESTS, new VerifyRequested(1, "req-1-" + backup, backup, cluster, Instant.now(), "it"));
        BackupReverified first = awaitEvent(backup, BackupReverified.class);
        assertThat(first.intact()).isTrue();
        assertThat(first.problems()).isEmpty();
        assertThat(find(backup, ArtifactVerified.class)).anyMatch(ArtifactVerified::reverification);

        byte[] rotten = meta.cipher().clone();
        rotten[rotten.length / 3] ^= 0x40;
        upload(meta, rotten);
        send(Topics.VERIFY_REQUESTS, new VerifyRequested(1, "req-2-" + backup, backup, cluster, Instant.now(), "it"));
        BackupReverified second = await().atMost(Duration.ofSeconds(90))
                .until(() -> find(backup, BackupReverified.class), l -> l.size() == 2).get(1);
        assertThat(second.intact()).isFalse();
        assertThat(second.problems()).singleElement().asString().startsWith("metadata: MDC failure");
        assertThat(find(backup, ArtifactFailed.class)).singleElement()
                .satisfies(f -> assertThat(f.reason()).startsWith("MDC failure"));
        // the completed backup stays completed
        assertThat(find(backup, BackupFailed.class)).isEmpty();
    }

    @Test
    void aRestartMidBackupRebuildsTheFoldFromTheStatusTopicAndTheBackupStillCompletes() throws Exception {
        String cluster = "prod-eu-1";
        String backup = newBackup();
        Art meta = metadata(cluster, backup);
        Art img = images(cluster, backup);
        upload(meta, meta.cipher());
        upload(img, img.cipher());
        discovered(cluster, backup, ArtifactKind.METADATA, ArtifactKind.IMAGES);
        encryptedEvent(meta);
        awaitEvent(backup, ArtifactVerified.class);

        // stop verify-service; the new instance only knows this backup from the status topic
        vertx.undeploy(verticle.deploymentID()).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        verticle = new VerifyVerticle(config);
        vertx.deployVerticle(verticle).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(60)).until(verticle::completionReady);

        encryptedEvent(img);
        assertThat(terminal(backup)).isInstanceOf(BackupCompleted.class);
        Manifest manifest = EventCodec.mapper().readValue(object(layout.manifestKey(cluster, backup)), Manifest.class);
        assertThat(manifest.artifacts()).extracting(Manifest.Artifact::kind)
                .containsExactlyInAnyOrder(ArtifactKind.METADATA, ArtifactKind.IMAGES);
        assertThat(find(backup, BackupCompleted.class)).hasSize(1);
    }

    @Test
    void aBackupWhoseStagesStopReportingFailsAtTheDeadline() throws Exception {
        String backup = newBackup();
        discovered("prod-eu-1", backup, ArtifactKind.METADATA, ArtifactKind.IMAGES);
        BackupEvent end = terminal(backup);
        assertThat(end).isInstanceOfSatisfying(BackupFailed.class, f -> {
            assertThat(f.failedStage()).isEqualTo("deadline");
            assertThat(f.reason()).contains("metadata-service").contains("image-service");
        });
    }
}
