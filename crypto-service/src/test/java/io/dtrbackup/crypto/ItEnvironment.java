package io.dtrbackup.crypto;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The real testbed for crypto-service ITs: config, a producer, topic readers, the S3 client. */
final class ItEnvironment implements AutoCloseable {
    final EmbeddedKafka kafka;
    final EmbeddedS3 s3;
    final Path dir;
    final String passphrase;
    final Path passphraseFile;
    final String stagingBucket;
    final String backupBucket;
    final MinioObjectStore store;
    private final KafkaProducer<String, byte[]> producer;
    private final List<Reader> readers = new ArrayList<>();
    private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
            new ch.qos.logback.core.read.ListAppender<>();

    ItEnvironment(EmbeddedKafka kafka, EmbeddedS3 s3, Path dir, String bucketPrefix) throws IOException {
        this.kafka = kafka;
        this.s3 = s3;
        this.dir = dir;
        // Random per run, so finding it anywhere is a real leak, never a coincidence.
        this.passphrase = "pp-" + UUID.randomUUID();
        this.passphraseFile = Files.writeString(dir.resolve("passphrase"), passphrase + "\n", StandardCharsets.UTF_8);
        this.stagingBucket = bucketPrefix + "-staging";
        this.backupBucket = bucketPrefix + "-backup";
        this.store = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(), 16L << 20, 3);
        store.ensureBucket(stagingBucket);
        store.ensureBucket(backupBucket);
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("acks", "all");
        producer = new KafkaProducer<>(p);
    }

    /** DTR_BACKUP_* for the service: Kafka, S3 (keys in files), buckets, the passphrase file. */
    Map<String, String> env() throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("DTR_BACKUP_S3_ENDPOINT", s3.endpoint());
        env.put("DTR_BACKUP_S3_REGION", s3.region());
        env.put("DTR_BACKUP_S3_ACCESS_KEY_FILE", Files.writeString(dir.resolve("s3-access"), s3.accessKey()).toString());
        env.put("DTR_BACKUP_S3_SECRET_KEY_FILE", Files.writeString(dir.resolve("s3-secret"), s3.secretKey()).toString());
        env.put("DTR_BACKUP_S3_STAGING_BUCKET", stagingBucket);
        env.put("DTR_BACKUP_S3_BACKUP_BUCKET", backupBucket);
        env.put("DTR_BACKUP_KAFKA_TOPIC_PARTITIONS", "2");
        env.put("DTR_BACKUP_PASSPHRASE_FILE", passphraseFile.toString());
        env.put("DTR_BACKUP_ACTIVE_KEY_ID", "2026-q1");
        env.put("DTR_BACKUP_PROGRESS_INTERVAL", "100ms");
        return env;
    }

    void publish(Topic topic, BackupEvent event) {
        try {
            producer.send(new ProducerRecord<>(topic.name(), topic.keyOf(event), EventCodec.encode(event)))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish to " + topic, e);
        }
    }

    /** Reads a topic from the beginning on a background thread, keeping raw values and decoded events. */
    Reader read(Topic topic) {
        Reader r = new Reader(topic);
        readers.add(r);
        return r;
    }

    final class Reader implements AutoCloseable {
        final List<BackupEvent> events = new CopyOnWriteArrayList<>();
        final List<String> raw = new CopyOnWriteArrayList<>();
        private volatile boolean running = true;
        private final Thread thread;

        Reader(Topic topic) {
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka.bootstrapServers());
            p.put("group.id", "crypto-it-" + UUID.randomUUID());
            p.put("auto.offset.reset", "earliest");
            p.put("key.deserializer", StringDeserializer.class.getName());
            p.put("value.deserializer", ByteArrayDeserializer.class.getName());
            thread = new Thread(() -> {
                try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
                    consumer.subscribe(List.of(topic.name()));
                    while (running) {
                        for (ConsumerRecord<String, byte[]> rec : consumer.poll(Duration.ofMillis(200))) {
                            raw.add(new String(rec.value(), StandardCharsets.UTF_8));
                            try {
                                events.add(EventCodec.decode(rec.value()));
                            } catch (Exception e) {
                                // not an event: kept in raw for the leak checks
                            }
                        }
                    }
                }
            }, "it-reader-" + topic.name());
            thread.setDaemon(true);
            thread.start();
        }

        <E extends BackupEvent> List<E> of(Class<E> type, String backupId) {
            return events.stream().filter(type::isInstance).map(type::cast)
                    .filter(e -> backupId.equals(e.backupId())).toList();
        }

        @Override
        public void close() {
            running = false;
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Captures every log line of this JVM from now until {@link #close}, for the leak checks. */
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> captureLogs() {
        logs.start();
        rootLogger().addAppender(logs);
        return logs;
    }

    /**
     * None of {@code secrets} in any record read from a topic, in any captured log line or exception
     * message, in the user metadata of the backup's objects or in its JSON records.
     */
    void assertNoneLeaked(String clusterId, String backupId, String... secrets) {
        for (String secret : secrets) {
            for (Reader r : readers) {
                org.assertj.core.api.Assertions.assertThat(r.raw).noneMatch(v -> v.contains(secret));
            }
            org.assertj.core.api.Assertions.assertThat(logs.list).isNotEmpty().noneMatch(l ->
                    l.getFormattedMessage().contains(secret) || (l.getThrowableProxy() != null
                            && l.getThrowableProxy().getMessage() != null
                            && l.getThrowableProxy().getMessage().contains(secret)));
            for (ObjectInfo o : store.list(backupBucket, BackupLayout.backupPrefix(clusterId, backupId))) {
                org.assertj.core.api.Assertions.assertThat(store.stat(backupBucket, o.key()).orElseThrow()
                        .userMetadata().values()).noneMatch(v -> v.contains(secret));
                if (o.key().endsWith(".json")) {
                    org.assertj.core.api.Assertions.assertThat(new String(readAll(store.get(backupBucket, o.key())),
                            StandardCharsets.UTF_8)).doesNotContain(secret);
                }
            }
        }
    }

    /**
     * Nothing of the backup is in the bucket: no object, and no incomplete multipart upload either
     * (listing objects never shows the parts of an upload that was neither completed nor aborted).
     */
    void assertNothingStored(String bucket, String clusterId, String backupId) {
        String prefix = BackupLayout.backupPrefix(clusterId, backupId);
        org.assertj.core.api.Assertions.assertThat(store.list(bucket, prefix)).as("objects under " + bucket + "/" + prefix)
                .isEmpty();
        org.assertj.core.api.Assertions.assertThat(store.incompleteUploads(bucket, prefix))
                .as("incomplete multipart uploads under " + bucket + "/" + prefix).isEmpty();
    }

    private static ch.qos.logback.classic.Logger rootLogger() {
        return (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }

    @Override
    public void close() {
        rootLogger().detachAppender(logs);
        readers.forEach(Reader::close);
        producer.close();
    }

    static byte[] readAll(java.io.InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
