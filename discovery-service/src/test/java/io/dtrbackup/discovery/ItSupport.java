package io.dtrbackup.discovery;

import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.common.kafka.EventPublisher;
import io.dtrbackup.common.service.ServiceLauncher;
import io.dtrbackup.contract.topics.Topic;
import io.vertx.core.Future;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Small helpers shared by the integration tests. */
final class ItSupport {
    private ItSupport() {
    }

    static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
    }

    static ServiceConfig config(String bootstrap, Path clusters, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of(
                "DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS", bootstrap,
                "DTR_BACKUP_CLUSTERS_FILE", clusters.toString(),
                "DTR_BACKUP_DOCKER_TIMEOUT", "10s"));
        env.putAll(extra);
        return ServiceLauncher.config(env, DiscoveryServiceConfig.parameters());
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "key.serializer",
                StringSerializer.class.getName(), "value.serializer", ByteArraySerializer.class.getName()));
    }

    static void send(KafkaProducer<String, byte[]> producer, Topic topic, BackupEvent event) throws Exception {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic.name(), topic.keyOf(event),
                EventCodec.encode(event));
        record.headers().add(EventPublisher.TYPE_HEADER, event.type().getBytes());
        producer.send(record).get(30, TimeUnit.SECONDS);
    }

    static BackupRequested request(String backupId, String cluster, BackupOptions options) {
        return new BackupRequested(BackupEvent.CURRENT_SCHEMA_VERSION,
                EventIds.backupRequested(backupId), backupId, cluster,
                Instant.parse("2026-11-25T02:00:07Z"), Trigger.MANUAL, "it", options);
    }

    static BackupOptions named(String replicaId, boolean fallback) {
        return new BackupOptions(replicaId, false, false, false, false, false, fallback);
    }

    /** The UCP files the cluster registry insists on (discovery never reads them). */
    static void ucpFiles(Path dir) throws Exception {
        Files.writeString(dir.resolve("ucp-password"), "not-used\n");
        Files.writeString(dir.resolve("ucp-ca.pem"), "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
    }

    static String cluster(String id, String endpoint, String extra) {
        return cluster(id, endpoint, null, extra);
    }

    /** A cluster registry entry; tcp endpoints without a client bundle get allowPlainTcp. */
    static String cluster(String id, String endpoint, Path clientBundle, String extra) {
        return "  - id: " + id + "\n"
                + "    docker:\n"
                + "      endpoint: " + endpoint + "\n"
                + (clientBundle != null ? "      clientBundle: " + clientBundle + "\n"
                        : endpoint.startsWith("tcp://") ? "      allowPlainTcp: true\n" : "")
                + "    ucp:\n"
                + "      url: https://ucp.example.invalid\n"
                + "      username: admin\n"
                + "      passwordFile: ucp-password\n"
                + "      caFile: ucp-ca.pem\n"
                + (extra == null ? "" : extra);
    }

    /** A clock that stands still until {@link #run}, then runs {@code speed} times faster than real time. */
    static final class FastClock extends Clock {
        private final Instant base;
        private final double speed;
        private volatile long startNanos = -1;

        FastClock(Instant base, double speed) {
            this.base = base;
            this.speed = speed;
        }

        void run() {
            startNanos = System.nanoTime();
        }

        @Override
        public Instant instant() {
            long start = startNanos;
            return start < 0 ? base : base.plusNanos((long) ((System.nanoTime() - start) * speed));
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
