package io.dtrbackup.metadata;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.common.service.ServiceLauncher;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.LoggerFactory;

/** The real testbed for one IT class: a deployed MetadataVerticle, a topic recorder, the S3 store, captured logs. */
final class ItEnvironment implements AutoCloseable {
    final Path dir;
    final Vertx vertx = Vertx.vertx();
    final MetadataVerticle verticle;
    final TopicRecorder topics;
    final ObjectStore store;
    final BackupLayout layout;
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final KafkaProducer<String, byte[]> producer;

    ItEnvironment(EmbeddedKafka kafka, EmbeddedS3 s3, Path dir, String clustersYaml, String bucketSuffix,
            Map<String, String> extraConfig) throws Exception {
        this.dir = dir;
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        Files.writeString(dir.resolve("s3-access"), s3.accessKey());
        Files.writeString(dir.resolve("s3-secret"), s3.secretKey());
        Files.writeString(dir.resolve("clusters.yaml"), clustersYaml);
        layout = new BackupLayout("staging-" + bucketSuffix, "backups-" + bucketSuffix);
        Map<String, String> env = new HashMap<>(Map.of(
                "DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "DTR_BACKUP_S3_ENDPOINT", s3.endpoint(),
                "DTR_BACKUP_S3_ACCESS_KEY_FILE", dir.resolve("s3-access").toString(),
                "DTR_BACKUP_S3_SECRET_KEY_FILE", dir.resolve("s3-secret").toString(),
                "DTR_BACKUP_S3_STAGING_BUCKET", layout.stagingBucket(),
                "DTR_BACKUP_S3_BACKUP_BUCKET", layout.backupBucket(),
                "DTR_BACKUP_CLUSTERS_FILE", dir.resolve("clusters.yaml").toString(),
                "DTR_BACKUP_PROGRESS_INTERVAL", "200ms",
                "DTR_BACKUP_KAFKA_TOPIC_PARTITIONS", "2"));
        env.putAll(DtrSimulator.serviceSettings()); // the test bed's engine: network none
        env.putAll(extraConfig);
        ServiceConfig config = ServiceLauncher.config(env, MetadataServiceConfig.parameters());
        store = MinioObjectStore.fromConfig(config);
        verticle = new MetadataVerticle(config);
        vertx.deployVerticle(verticle).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        topics = new TopicRecorder(kafka.bootstrapServers(), List.of(Topics.REPLICAS.name(), Topics.STAGED.name(),
                Topics.STATUS.name(), Topics.DEAD_LETTER));
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all"),
                new StringSerializer(), new ByteArraySerializer());
    }

    static ReplicaDiscovered event(String clusterId, String replicaId, String version, BackupOptions options) {
        Instant now = Instant.now();
        String backupId = BackupIds.newId(now);
        return new ReplicaDiscovered(BackupEvent.CURRENT_SCHEMA_VERSION, backupId + ":ReplicaDiscovered", backupId,
                clusterId, now, Trigger.MANUAL, options, replicaId, null, version, StorageKind.FILESYSTEM,
                "dtr-registry-" + replicaId, "named in the test", List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES),
                BackupLayout.timestamp(now), now);
    }

    void publish(ReplicaDiscovered event) throws Exception {
        producer.send(new ProducerRecord<>(Topics.REPLICAS.name(), event.backupId(), EventCodec.encode(event)))
                .get(30, TimeUnit.SECONDS);
    }

    String sha256(String bucket, String key) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = store.get(bucket, key)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Every captured log line with its MDC and exception text. */
    List<String> logLines() {
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent e : logs.list) {
            StringBuilder line = new StringBuilder(e.getFormattedMessage()).append(' ').append(e.getMDCPropertyMap());
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                line.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
            }
            lines.add(line.toString());
        }
        return lines;
    }

    @Override
    public void close() throws Exception {
        try {
            topics.close();
            producer.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } finally {
            ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        }
    }

    static void write(Path file, String text) throws IOException {
        Files.writeString(file, text);
    }
}
