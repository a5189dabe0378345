package io.dtrbackup.image;

import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the image-service ITs share: the service's environment (clusters file on the local
 * engine, S3 key files, a staging bucket of its own), a producer for ReplicaDiscovered and a
 * plain consumer of the status topic.
 */
final class ServiceHarness implements AutoCloseable {
    final EmbeddedKafka kafka;
    final EmbeddedS3 s3;
    final Path dir;
    final String clusterId = "it-" + HexFormat.of().formatHex(randomBytes(4));
    final String stagingBucket = "staging-" + HexFormat.of().formatHex(randomBytes(4));
    final BackupLayout layout;
    final MinioObjectStore store;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> status;
    private final Map<String, List<BackupEvent>> events = new LinkedHashMap<>();

    ServiceHarness(EmbeddedKafka kafka, EmbeddedS3 s3) throws Exception {
        this.kafka = kafka;
        this.s3 = s3;
        this.dir = Files.createTempDirectory("image-service-it-");
        Files.writeString(dir.resolve("access"), s3.accessKey());
        Files.writeString(dir.resolve("secret"), s3.secretKey());
        Files.writeString(dir.resolve("ucp-password"), "not-used-by-image-service");
        Files.writeString(dir.resolve("ucp-ca.pem"), "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
        Files.writeString(dir.resolve("clusters.yaml"), "clusters:\n"
                + "  - id: " + clusterId + "\n"
                + "    docker:\n"
                + "      endpoint: unix:///var/run/docker.sock\n"
                + "    ucp:\n"
                + "      url: https://ucp.example.invalid\n"
                + "      username: admin\n"
                + "      passwordFile: ucp-password\n"
                + "      caFile: ucp-ca.pem\n");
        layout = new BackupLayout(stagingBucket, "backup-" + stagingBucket);
        store = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(), 64L << 20, 2);
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        Properties c = new Properties();
        c.put("bootstrap.servers", kafka.bootstrapServers());
        c.put("group.id", "image-it-" + HexFormat.of().formatHex(randomBytes(4)));
        c.put("auto.offset.reset", "earliest");
        status = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        status.subscribe(List.of(Topics.STATUS.name()));
    }

    /** The service's environment, as ServiceLauncher would read it. */
    Map<String, String> env() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("DTR_BACKUP_S3_ENDPOINT", s3.endpoint());
        env.put("DTR_BACKUP_S3_REGION", s3.region());
        env.put("DTR_BACKUP_S3_ACCESS_KEY_FILE", dir.resolve("access").toString());
        env.put("DTR_BACKUP_S3_SECRET_KEY_FILE", dir.resolve("secret").toString());
        env.put("DTR_BACKUP_S3_STAGING_BUCKET", layout.stagingBucket());
        env.put("DTR_BACKUP_S3_BACKUP_BUCKET", layout.backupBucket());
        env.put("DTR_BACKUP_CLUSTERS_FILE", dir.resolve("clusters.yaml").toString());
        env.put("DTR_BACKUP_PROGRESS_INTERVAL", "200ms");
        env.put("DTR_BACKUP_HTTP_PORT", "-1");
        return env;
    }

    ReplicaDiscovered replica(String replicaId, StorageKind storage, String volume, BackupOptions options) {
        Instant now = Instant.now();
        String backupId = BackupIds.newId(now);
        List<ArtifactKind> expected = storage.isVolumeBacked() && !options.skipImages()
                ? List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES) : List.of(ArtifactKind.METADATA);
        return new ReplicaDiscovered(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.replicaDiscovered(backupId), backupId, clusterId, now, Trigger.MANUAL,
                options, replicaId, null, "2.9.4", storage, volume, "named in the test", expected,
                BackupLayout.timestamp(now), now);
    }

    void send(ReplicaDiscovered event) throws Exception {
        producer.send(new ProducerRecord<>(Topics.REPLICAS.name(), event.backupId(), EventCodec.encode(event))).get();
    }

    /** Waits until the status topic holds an event of the backup matching {@code condition}; returns them all. */
    List<BackupEvent> awaitStatus(String backupId, Duration timeout, Predicate<List<BackupEvent>> condition) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            poll();
            return condition.test(eventsOf(backupId));
        });
        return eventsOf(backupId);
    }

    static Predicate<List<BackupEvent>> has(Class<? extends BackupEvent> type, int count) {
        return list -> list.stream().filter(type::isInstance).count() >= count;
    }

    static <E extends BackupEvent> List<E> only(List<BackupEvent> events, Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private synchronized List<BackupEvent> eventsOf(String backupId) {
        return List.copyOf(events.getOrDefault(backupId, List.of()));
    }

    private synchronized void poll() throws Exception {
        for (ConsumerRecord<String, byte[]> r : status.poll(Duration.ofMillis(200))) {
            BackupEvent e = EventCodec.decode(r.value());
            events.computeIfAbsent(e.backupId(), k -> new ArrayList<>()).add(e);
        }
    }

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    @Override
    public void close() {
        producer.close();
        status.close();
    }
}
