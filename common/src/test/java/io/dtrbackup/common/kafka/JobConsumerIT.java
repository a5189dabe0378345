package io.dtrbackup.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.KafkaExtension;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The job consumer on a real KRaft broker: rebalances, dead letters, retries, commit discipline. */
@ExtendWith(KafkaExtension.class)
class JobConsumerIT {
    private static final int PARTITIONS = 3;

    private final EmbeddedKafka kafka;
    private Vertx vertx;
    private String topicName;
    private Topic topic;
    private KafkaSettings settings;
    private EventPublisher publisher;

    JobConsumerIT(EmbeddedKafka kafka) {
        this.kafka = kafka;
    }

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        topicName = "jobs-" + UUID.randomUUID();
        kafka.createTopic(topicName, PARTITIONS, Map.of());
        kafka.createTopic(Topics.DEAD_LETTER, 1, Map.of());
        topic = new Topic(topicName, Topic.KeyedBy.BACKUP, Set.of(BackupRequested.class), Map.of(), "test jobs");
        settings = KafkaSettings.of(kafka.bootstrapServers());
        publisher = EventPublisher.create(vertx, settings, "job-consumer-it");
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(30, TimeUnit.SECONDS);
    }

    @Test
    void forcedRebalanceWithJobsInFlightLosesNothingAndNeverCommitsPastAnUnfinishedJob() throws Exception {
        String group = "group-" + UUID.randomUUID();
        int records = 30;
        Map<TopicPartition, Set<Long>> finished = new ConcurrentHashMap<>();
        Map<TopicPartition, List<Long>> produced = produce(records, true);
        // Job runs per member: both must get work, and each valid record runs exactly once.
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        java.util.function.Function<String, JobConsumer.Job<BackupRequested>> slowJob = member -> (event, origin) -> {
            runs.computeIfAbsent(member, m -> new AtomicInteger()).incrementAndGet();
            Promise<Void> done = Promise.promise();
            // Long enough that the rebalance happens with jobs in flight on every member.
            vertx.setTimer(150 + (origin.offset() % 3) * 100, t -> {
                finished.computeIfAbsent(new TopicPartition(origin.topic(), origin.partition()),
                        tp -> ConcurrentHashMap.newKeySet()).add(origin.offset());
                done.complete();
            });
            return done.future();
        };

        List<String> violations = new CopyOnWriteArrayList<>();
        try (Admin admin = kafka.admin()) {
            String first = deploy(group, slowJob.apply("first"), 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> total(finished) >= 4);
            String second = deploy(group, slowJob.apply("second"), 2); // forces a rebalance while jobs run
            java.util.concurrent.atomic.AtomicBoolean stoppedFirst = new java.util.concurrent.atomic.AtomicBoolean();
            // Awaitility polls every 20 ms: each poll also checks the committed offsets.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
                checkCommits(admin, group, finished, violations);
                if (total(finished) >= records / 2 && stoppedFirst.compareAndSet(false, true)) {
                    vertx.undeploy(first); // another rebalance, with the first member's jobs draining
                }
                return !violations.isEmpty() || (allFinished(produced, finished) && committedToEnd(admin, group, produced));
            });
            checkCommits(admin, group, finished, violations);
            assertThat(violations).as("committed offsets past unfinished jobs").isEmpty();
            assertThat(allFinished(produced, finished)).as("every valid record processed").isTrue();
            assertThat(committedToEnd(admin, group, produced)).as("offsets committed to the end").isTrue();
            vertx.undeploy(second).await(30, TimeUnit.SECONDS);
        }
        assertThat(runs.getOrDefault("first", new AtomicInteger()).get()).as("records the first member ran; runs: %s",
                runs).isPositive();
        assertThat(runs.getOrDefault("second", new AtomicInteger()).get())
                .as("records the second member ran (it joined while the first had jobs running); runs: %s", runs)
                .isPositive();
        assertThat(runs.values().stream().mapToInt(AtomicInteger::get).sum())
                .as("job runs on both members: each valid record once, none lost, none run again; runs: %s", runs)
                .isEqualTo(records);

        JsonNode letter = awaitDeadLetter();
        assertThat(letter.get("reason").asText()).contains("not valid JSON");
        assertThat(letter.get("value").asText()).isEqualTo("{this is not an event");
        assertThat(letter.get("service").asText()).isEqualTo("job-consumer-it");
    }

    @Test
    void aFailingJobIsRetriedThenDeadLetteredAndTheNextRecordStillRuns() throws Exception {
        String group = "group-" + UUID.randomUUID();
        Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
        Set<String> done = ConcurrentHashMap.newKeySet();
        JobConsumer.Job<BackupRequested> job = (event, origin) -> {
            int attempt = attempts.computeIfAbsent(event.backupId(), id -> new AtomicInteger()).incrementAndGet();
            if (event.backupId().startsWith("bk-always-fails")) {
                return Future.failedFuture(new IllegalStateException("boom " + attempt));
            }
            if (event.backupId().startsWith("bk-flaky") && attempt < 3) {
                return Future.failedFuture(new IllegalStateException("flaky " + attempt));
            }
            done.add(event.backupId());
            return Future.succeededFuture();
        };
        // One partition so the three records are strictly ordered behind each other.
        String single = "jobs-single-" + UUID.randomUUID();
        kafka.createTopic(single, 1, Map.of());
        topic = new Topic(single, Topic.KeyedBy.BACKUP, Set.of(BackupRequested.class), Map.of(), "test jobs");
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (String id : List.of("bk-always-fails", "bk-flaky", "bk-fine")) {
                producer.send(new ProducerRecord<>(single, id, EventCodec.encode(request(id)))).get();
            }
        }
        deploy(group, job, 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> done.containsAll(Set.of("bk-flaky", "bk-fine")));
        assertThat(attempts.get("bk-always-fails").get()).isEqualTo(3);
        assertThat(attempts.get("bk-flaky").get()).isEqualTo(3);
        JsonNode letter = awaitDeadLetter();
        assertThat(letter.get("reason").asText()).contains("job failed 3 times").contains("boom 3");
    }

    private String deploy(String group, JobConsumer.Job<BackupRequested> job, int concurrency) throws Exception {
        Map<String, String> config = settings.consumer(group, "it-" + UUID.randomUUID());
        config.put("session.timeout.ms", "10000");
        config.put("heartbeat.interval.ms", "500");
        JobConsumer.Options options = new JobConsumer.Options(concurrency, 3, Duration.ofMillis(100),
                Duration.ofMillis(300));
        return vertx.deployVerticle(new VerticleBase() {
            JobConsumer<BackupRequested> consumer;

            @Override
            public Future<?> start() {
                consumer = new JobConsumer<>(vertx, "job-consumer-it", topic, BackupRequested.class, config, publisher,
                        options, job);
                return consumer.start();
            }

            @Override
            public Future<?> stop() {
                return consumer.stop(Duration.ofSeconds(20));
            }
        }).await(30, TimeUnit.SECONDS);
    }

    private Map<TopicPartition, List<Long>> produce(int count, boolean withPoison) throws Exception {
        Map<TopicPartition, List<Long>> offsets = new HashMap<>();
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (int i = 0; i < count; i++) {
                BackupRequested event = request("bk-" + i);
                var meta = producer.send(new ProducerRecord<>(topicName, event.backupId(), EventCodec.encode(event)))
                        .get();
                offsets.computeIfAbsent(new TopicPartition(topicName, meta.partition()), tp -> new ArrayList<>())
                        .add(meta.offset());
                if (withPoison && i == count / 3) {
                    var bad = producer.send(new ProducerRecord<>(topicName, "poison",
                            "{this is not an event".getBytes(StandardCharsets.UTF_8))).get();
                    // Encoded negative: a dead-lettered record is done without a job run.
                    TopicPartition tp = new TopicPartition(topicName, bad.partition());
                    offsets.computeIfAbsent(tp, p -> new ArrayList<>()).add(-bad.offset() - 1);
                    poison.computeIfAbsent(tp, p -> ConcurrentHashMap.newKeySet()).add(bad.offset());
                }
            }
        }
        return offsets;
    }

    private static BackupRequested request(String id) {
        return BackupRequested.of(id, "cluster-1", Trigger.MANUAL, "it", BackupOptions.DEFAULTS);
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** Committed offset c on a partition means every valid record below c has finished. */
    private void checkCommits(Admin admin, String group, Map<TopicPartition, Set<Long>> finished,
            List<String> violations) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        for (var entry : committed.entrySet()) {
            if (!entry.getKey().topic().equals(topicName) || entry.getValue() == null) {
                continue;
            }
            Set<Long> done = finished.getOrDefault(entry.getKey(), Set.of());
            for (long offset = 0; offset < entry.getValue().offset(); offset++) {
                if (!done.contains(offset) && !isPoison(entry.getKey(), offset)) {
                    violations.add(entry.getKey() + " committed " + entry.getValue().offset() + " but " + offset
                            + " has not finished");
                    return;
                }
            }
        }
    }

    private final Map<TopicPartition, Set<Long>> poison = new ConcurrentHashMap<>();

    private boolean isPoison(TopicPartition tp, long offset) {
        return poison.getOrDefault(tp, Set.of()).contains(offset);
    }

    private boolean allFinished(Map<TopicPartition, List<Long>> produced, Map<TopicPartition, Set<Long>> finished) {
        for (var entry : produced.entrySet()) {
            for (long offset : entry.getValue()) {
                if (offset >= 0 && !finished.getOrDefault(entry.getKey(), Set.of()).contains(offset)) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean committedToEnd(Admin admin, String group, Map<TopicPartition, List<Long>> produced)
            throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        for (var entry : produced.entrySet()) {
            long end = entry.getValue().stream().mapToLong(o -> o < 0 ? -o - 1 : o).max().orElse(-1) + 1;
            OffsetAndMetadata c = committed.get(entry.getKey());
            if (c == null || c.offset() < end) {
                return false;
            }
        }
        return true;
    }

    private static int total(Map<TopicPartition, Set<Long>> finished) {
        return finished.values().stream().mapToInt(Set::size).sum();
    }

    private JsonNode awaitDeadLetter() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("group.id", "dlq-reader-" + UUID.randomUUID());
        p.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.DEAD_LETTER));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode letter = readTree(record.value());
                    if (letter.get("sourceTopic").asText().equals(topic.name())) {
                        return letter;
                    }
                }
            }
        }
        throw new AssertionError("no dead letter from " + topic.name() + " within 30 s");
    }

    private static JsonNode readTree(String json) {
        try {
            return EventCodec.mapper().readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
