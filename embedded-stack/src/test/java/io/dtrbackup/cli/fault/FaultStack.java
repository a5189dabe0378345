package io.dtrbackup.cli.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.MalformedEventException;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import io.minio.ListObjectsArgs;
import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One testbed shared by the fault scenarios of a class: a KRaft broker and S3Proxy in this JVM, a
 * simulated DTR replica of a few hundred MB on the real Docker engine, the five services as
 * separate processes, a producer for requests and a background reader of the status topic.
 */
final class FaultStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FaultStack.class);
    static final String VERSION = "2.9.4";
    static final String CLUSTER = "fault-1";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static final String STAGING = CommonConfig.S3_STAGING_BUCKET.defaultValue();
    static final String BACKUPS = CommonConfig.S3_BACKUP_BUCKET.defaultValue();
    static final Duration STALE_UPLOAD_AGE = Duration.ofSeconds(30);
    static final Duration STALE_UPLOAD_SWEEP_INTERVAL = Duration.ofSeconds(5);

    final Path dir;
    final EmbeddedKafka kafka;
    final EmbeddedS3 s3;
    final DtrSimulator simulator;
    final SimulatedReplica replica;
    final ServiceProcesses services;
    /** Between discovery-service and the Docker engine: holds discovery mid-inspection on demand. */
    final DockerGate gate;
    final MinioClient minio;
    private final MinioAsyncClient minioAsync;
    /** Secrets new for each run and distinctive, so a scan for them cannot match anything by chance. */
    final String ucpPassword = randomSecret("UcpPw");
    final String passphrase = randomSecret("Phrase");
    /** The token image-service hands the images tar to crypto-service with (a secret like the others). */
    final String handoffToken = randomSecret("Handoff");
    /** The UCP the stand-in docker/dtr accepts (kept to rebuild it with another export wait). */
    final SimulatedUcp ucp;
    final List<BackupEvent> status = new CopyOnWriteArrayList<>();
    /** Every backup ID this run requested, in order. */
    final List<String> requested = new CopyOnWriteArrayList<>();
    private final KafkaProducer<String, byte[]> producer;
    private final Thread reader;
    private volatile boolean closed;

    private FaultStack(String name, Path dir, long largeBlobBytes, int largeBlobs, int exportSeconds,
            Map<String, Map<String, String>> perService) throws Exception {
        this.dir = dir;
        ServiceProcesses.locateJars(); // fail fast, before anything starts
        kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        s3 = EmbeddedS3.start(dir.resolve("s3"));
        simulator = DtrSimulator.start();
        SimulatedUcp random = SimulatedUcp.random();
        ucp = new SimulatedUcp(random.url(), random.username(), ucpPassword, random.caPem());
        // The stand-in docker/dtr waits before it writes, as the real export on the DTR node does: the
        // metadata stage then has a window a kill can land in.
        simulator.installDtrImage(VERSION, ucp, 0, exportSeconds);
        replica = simulator.createReplica(ReplicaSpec.of(VERSION, ucp)
                .withTree(RegistryTreeSpec.withLarge(11, largeBlobs, largeBlobBytes)));

        Path files = Files.createDirectories(dir.resolve("files"));
        Path password = io.dtrbackup.cli.Secrets.write(files.resolve("ucp-password"), ucpPassword);
        Path ca = files.resolve("ucp-ca.pem");
        Files.writeString(ca, ucp.caPem(), StandardCharsets.UTF_8);
        Path passphraseFile = io.dtrbackup.cli.Secrets.write(files.resolve("backup-passphrase"), passphrase);
        Path clusters = clustersFile(files.resolve("clusters.yaml"), DtrSimulator.defaultDockerHost(), password, ca);
        // discovery-service alone reads the cluster through the gate, so a test can hold it mid-inspection.
        gate = DockerGate.start(files.resolve("docker-gate.sock"), DtrSimulator.defaultDockerHost());
        Path gatedClusters = clustersFile(files.resolve("clusters-gated.yaml"), gate.endpoint(), password, ca);
        Path accessKey = io.dtrbackup.cli.Secrets.write(files.resolve("s3-access-key"), s3.accessKey());
        Path secretKey = io.dtrbackup.cli.Secrets.write(files.resolve("s3-secret-key"), s3.secretKey());
        // A killed member's partitions move after the session timeout: short here, so a restart is prompt.
        Path kafkaProps = files.resolve("kafka.properties");
        Files.writeString(kafkaProps, "session.timeout.ms=6000\nheartbeat.interval.ms=1500\n");

        Map<String, String> env = ServiceProcesses.pipelineEnv(kafka, s3, accessKey, secretKey);
        env.put(CommonConfig.KAFKA_PROPERTIES_FILE.envName(), kafkaProps.toString());
        env.put(CommonConfig.WORKER_POOL_SIZE.envName(), "4");
        env.put(CommonConfig.S3_PART_SIZE_MB.envName(), "16");
        // Frequent progress: the kill scenarios wait for the first progress of a stage, then kill.
        env.put(CommonConfig.PROGRESS_INTERVAL.envName(), "200ms");
        env.put(CommonConfig.CLUSTERS_FILE.envName(), clusters.toString());
        env.put("DTR_BACKUP_PASSPHRASE_FILE", passphraseFile.toString());
        env.put("DTR_BACKUP_SCHEDULER_ENABLED", "false");
        // One token file for both sides; replaced by this run's distinctive token.
        io.dtrbackup.cli.Secrets.write(Path.of(env.get("DTR_BACKUP_HANDOFF_TOKEN_FILE")), handoffToken);
        // Incomplete multipart uploads older than this are aborted by every service (at start and every few
        // seconds): far above a live part's age here (a 16 MiB part uploads in well under a second), far below
        // the time the sweep scenario may wait.
        env.put("DTR_BACKUP_STALE_UPLOAD_AGE", STALE_UPLOAD_AGE.toSeconds() + "s");
        env.put("DTR_BACKUP_STALE_UPLOAD_SWEEP_INTERVAL", STALE_UPLOAD_SWEEP_INTERVAL.toSeconds() + "s");
        // Kept after the run (target/fault-logs/<name>/<service>.log); the secrets scan reads them too.
        services = new ServiceProcesses(env, Path.of("target", "fault-logs", name).toAbsolutePath());
        // DEBUG everywhere, the libraries too: the secret scan reads the most a service can write.
        services.withJvmOptions("-Dlogback.configurationFile=" + debugLogback(files));
        services.withEnv("discovery-service", Map.of(CommonConfig.CLUSTERS_FILE.envName(), gatedClusters.toString()));
        perService.forEach(services::withEnv);
        services.startAll();

        minio = MinioClient.builder().endpoint(s3.endpoint()).region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey()).build();
        minioAsync = MinioAsyncClient.builder().endpoint(s3.endpoint()).region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey()).build();
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("acks", "all");
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
        reader = new Thread(this::readStatus, "fault-status-reader");
        reader.setDaemon(true);
        reader.start();
    }

    static FaultStack start(String name, Path dir, long largeBlobBytes, int largeBlobs, int exportSeconds,
            Map<String, Map<String, String>> perService) throws Exception {
        return new FaultStack(name, dir, largeBlobBytes, largeBlobs, exportSeconds, perService);
    }

    private Path clustersFile(Path file, String dockerEndpoint, Path password, Path ca) throws java.io.IOException {
        Files.writeString(file, "clusters:\n"
                + "  - id: " + CLUSTER + "\n"
                + "    docker:\n"
                + "      endpoint: " + dockerEndpoint + "\n"
                + "    ucp:\n"
                + "      url: " + ucp.url() + "\n"
                + "      username: " + ucp.username() + "\n"
                + "      passwordFile: " + password + "\n"
                + "      caFile: " + ca + "\n", StandardCharsets.UTF_8);
        return file;
    }

    /**
     * A prefix plus 20 random base62 characters (about 119 bits: never in any other text); the '+' makes
     * its URL-encoded form differ from itself.
     */
    static String randomSecret(String prefix) {
        StringBuilder b = new StringBuilder(prefix).append('+');
        for (int i = 0; i < 20; i++) {
            b.append(BASE62.charAt(RANDOM.nextInt(BASE62.length())));
        }
        return b.toString();
    }

    /** The DEBUG logback configuration from the test class path, as a file the service JVMs can read. */
    private static Path debugLogback(Path files) throws java.io.IOException {
        Path file = files.resolve("debug-logback.xml");
        try (var in = FaultStack.class.getResourceAsStream("debug-logback.xml")) {
            assertThat(in).as("debug-logback.xml on the test class path").isNotNull();
            Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    private void readStatus() {
        while (!closed) {
            try (KafkaConsumer<String, byte[]> c = consumer()) {
                c.subscribe(List.of(Topics.STATUS.name()));
                while (!closed) {
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                        try {
                            status.add(EventCodec.decode(r.value()));
                        } catch (MalformedEventException e) {
                            LOG.warn("undecodable status record at offset {}: {}", r.offset(), e.getMessage());
                        }
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("status reader: {}; reconnecting", e.toString()); // the broker restart scenario
            }
        }
    }

    KafkaConsumer<String, byte[]> consumer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("group.id", "fault-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        p.put("enable.auto.commit", "true");
        p.put("key.deserializer", StringDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    /** Every record of a topic, from the beginning to its current end. */
    List<ConsumerRecord<String, byte[]>> readAll(String topic) {
        List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = consumer()) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                assertThat(System.nanoTime()).as("reading " + topic + " to its end").isLessThan(deadline);
                c.poll(Duration.ofMillis(200)).forEach(all::add);
            }
        }
        return all;
    }

    BackupRequested request() {
        return request(BackupIds.newId(Instant.now()));
    }

    BackupRequested request(String backupId) {
        if (!requested.contains(backupId)) {
            requested.add(backupId);
        }
        BackupRequested r = BackupRequested.of(backupId, CLUSTER, Trigger.MANUAL, "fault-test",
                new BackupOptions(replica.replicaId(), false, false, false, false, false, false));
        send(Topics.REQUESTS, r);
        return r;
    }

    void send(Topic topic, BackupEvent event) {
        sendRaw(topic.name(), topic.keyOf(event), EventCodec.encode(event));
    }

    void sendRaw(String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new AssertionError("cannot publish to " + topic + ": " + e, e);
        }
    }

    /** The backup's records on a topic, read from the topic itself (not from the status reader). */
    <E extends BackupEvent> List<E> records(Topic topic, Class<E> type, String backupId) {
        List<E> found = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : readAll(topic.name())) {
            try {
                BackupEvent e = EventCodec.decode(r.value());
                if (type.isInstance(e) && backupId.equals(e.backupId())) {
                    found.add(type.cast(e));
                }
            } catch (MalformedEventException poison) {
                // the poison scenario's records: not this backup's
            }
        }
        return found;
    }

    List<BackupEvent> eventsOf(String backupId) {
        return status.stream().filter(e -> backupId.equals(e.backupId())).toList();
    }

    static boolean isTerminal(BackupEvent e) {
        return e instanceof BackupCompleted || e instanceof BackupFailed || e instanceof BackupRejected;
    }

    List<BackupEvent> terminals(String backupId) {
        return eventsOf(backupId).stream().filter(FaultStack::isTerminal).toList();
    }

    /** Waits for the first event of the backup that matches, and returns it. */
    <E extends BackupEvent> E awaitEvent(String backupId, Class<E> type, Predicate<E> match, Duration atMost) {
        return org.awaitility.Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(20)).until(() -> eventsOf(backupId).stream()
                .filter(type::isInstance).map(type::cast).filter(match).findFirst().orElse(null), e -> e != null);
    }

    BackupEvent awaitTerminal(String backupId, Duration atMost) {
        BackupEvent t = org.awaitility.Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(100))
                .until(() -> terminals(backupId).stream().findFirst().orElse(null), e -> e != null);
        LOG.info("backup {} ended: {}", backupId, t);
        return t;
    }

    /** A multipart upload begun and neither completed nor aborted: parts no object listing shows. */
    record Upload(String bucket, String key, String uploadId, Instant initiated) {
    }

    /** Incomplete multipart uploads under a prefix, straight from the store's ListMultipartUploads. */
    List<Upload> incompleteUploads(String bucket, String prefix) {
        List<Upload> found = new ArrayList<>();
        try {
            String keyMarker = null;
            String uploadIdMarker = null;
            while (true) {
                var result = minioAsync.listMultipartUploadsAsync(bucket, s3.region(), null, null, keyMarker, 1000,
                        prefix, uploadIdMarker, null, null).get().result();
                if (result.uploads() != null) {
                    for (var u : result.uploads()) {
                        found.add(new Upload(bucket, u.objectName(), u.uploadId(),
                                u.initiated() == null ? null : u.initiated().toInstant()));
                    }
                }
                if (!result.isTruncated()) {
                    return found;
                }
                keyMarker = result.nextKeyMarker();
                uploadIdMarker = result.nextUploadIdMarker();
            }
        } catch (Exception e) {
            throw new AssertionError("cannot list incomplete uploads of " + bucket + "/" + prefix + ": " + e, e);
        }
    }

    /** Both buckets. */
    List<Upload> incompleteUploads(String prefix) {
        List<Upload> all = new ArrayList<>(incompleteUploads(STAGING, prefix));
        all.addAll(incompleteUploads(BACKUPS, prefix));
        return all;
    }

    /** Object keys under a prefix of a bucket, recursively. */
    List<String> keys(String bucket, String prefix) {
        List<String> keys = new ArrayList<>();
        try {
            for (Result<Item> r : minio.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
                    .recursive(true).build())) {
                keys.add(r.get().objectName());
            }
        } catch (Exception e) {
            throw new AssertionError("cannot list " + bucket + "/" + prefix + ": " + e, e);
        }
        return keys;
    }

    static String prefix(String backupId) {
        return CLUSTER + "/" + backupId + "/";
    }

    /** A histogram of the backup's event types on STATUS, for failure messages. */
    String story(String backupId) {
        Map<String, Integer> n = new LinkedHashMap<>();
        eventsOf(backupId).forEach(e -> n.merge(e.getClass().getSimpleName(), 1, Integer::sum));
        return n + " " + terminals(backupId);
    }

    @Override
    public void close() {
        closed = true;
        // Services before the broker and the store, so each shuts down cleanly.
        services.close();
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        kafka.close();
        s3.close();
        gate.close();
        simulator.close();
    }
}
