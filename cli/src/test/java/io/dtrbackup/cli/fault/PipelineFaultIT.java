package io.dtrbackup.cli.fault;

import static io.dtrbackup.cli.fault.FaultStack.BACKUPS;
import static io.dtrbackup.cli.fault.FaultStack.CLUSTER;
import static io.dtrbackup.cli.fault.FaultStack.STAGING;
import static io.dtrbackup.cli.fault.FaultStack.prefix;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.common.events.ArtifactEncrypted;
import io.dtrbackup.common.events.ArtifactFailed;
import io.dtrbackup.common.events.ArtifactKind;
import io.dtrbackup.common.events.ArtifactPhase;
import io.dtrbackup.common.events.ArtifactStaged;
import io.dtrbackup.common.events.BackupCompleted;
import io.dtrbackup.common.events.BackupEvent;
import io.dtrbackup.common.events.BackupFailed;
import io.dtrbackup.common.events.BackupIds;
import io.dtrbackup.common.events.BackupProgress;
import io.dtrbackup.common.events.BackupRejected;
import io.dtrbackup.common.events.BackupReverified;
import io.dtrbackup.common.events.DeadLetter;
import io.dtrbackup.common.events.EventCodec;
import io.dtrbackup.common.events.EventIds;
import io.dtrbackup.common.events.ReplicaDiscovered;
import io.dtrbackup.common.events.VerifyRequested;
import io.dtrbackup.common.topics.Topic;
import io.dtrbackup.common.topics.Topics;
import io.minio.GetObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Faults the pipeline must absorb, on one shared testbed (real KRaft broker, S3Proxy, the five
 * services as separate processes, a simulated replica of about 200 MB on the real Docker engine):
 * each service killed with SIGKILL mid-backup and restarted, the same request twice and two at
 * once, poison records on every input topic, damaged stored backups found by re-verification, and
 * at the end a scan of everything the run wrote for the secrets it was given.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineFaultIT {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineFaultIT.class);
    static final Duration BACKUP_TIMEOUT = Duration.ofMinutes(3);
    static final String GHOST = "ghost-cluster";

    @TempDir
    static Path dir;

    FaultStack stack;
    /** Completed backups, for the damage scenario. */
    final List<String> completed = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        long t0 = System.nanoTime();
        // Two 96 MiB blobs beside the small ones: each stage streams for a second or more.
        // verify-service fails a backup that has had no event for a minute: a stall cannot stay in progress.
        stack = FaultStack.start("PipelineFaultIT", dir, 96L * 1024 * 1024, 2, Map.of("verify-service",
                Map.of("DTR_BACKUP_STAGE_DEADLINE", "60s", "DTR_BACKUP_DEADLINE_CHECK_INTERVAL", "5s")));
        LOG.info("fault testbed ready in {} s", (System.nanoTime() - t0) / 1_000_000_000);
    }

    @AfterAll
    void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    // ------------------------------------------------------------------ SIGKILL mid-backup

    @Test
    @Order(1)
    void discoveryKilledAsItTakesTheRequest() throws Exception {
        killMidBackup("discovery-service", id -> await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(5)).until(() -> logMentions("discovery-service", id)
                        || !stack.eventsOf(id).isEmpty()));
    }

    @Test
    @Order(2)
    void metadataKilledWhenTheReplicaIsDiscovered() throws Exception {
        killMidBackup("metadata-service", id -> stack.awaitEvent(id, ReplicaDiscovered.class, e -> true,
                Duration.ofSeconds(30)));
    }

    @Test
    @Order(3)
    void imageKilledWhileStreamingTheVolume() throws Exception {
        killMidBackup("image-service", id -> midStream(id, ArtifactPhase.STAGING));
    }

    @Test
    @Order(4)
    void cryptoKilledWhileEncrypting() throws Exception {
        killMidBackup("crypto-service", id -> midStream(id, ArtifactPhase.ENCRYPTING));
    }

    @Test
    @Order(5)
    void verifyKilledWhileVerifying() throws Exception {
        killMidBackup("verify-service", id -> midStream(id, ArtifactPhase.VERIFYING));
    }

    private void midStream(String id, ArtifactPhase stage) {
        BackupProgress p = stack.awaitEvent(id, BackupProgress.class,
                e -> e.kind() == ArtifactKind.IMAGES && e.stage() == stage && e.bytesDone() > 0, Duration.ofSeconds(60));
        LOG.info("{} of images at {} bytes of {}", stage, p.bytesDone(), p.bytesTotal());
        if (p.bytesTotal() != null) {
            assertThat(p.bytesDone()).as("mid-stream").isLessThan(p.bytesTotal());
        }
    }

    private void killMidBackup(String service, Consumer<String> killPoint) throws Exception {
        String id = stack.request().backupId();
        killPoint.accept(id);
        assertThat(stack.terminals(id)).as("the kill must land before the backup ends").isEmpty();
        stack.services.kill(service);
        // The stage of the killed service has not finished (its output event is absent).
        assertThat(stack.terminals(id)).as("nothing ends while " + service + " is down").isEmpty();
        stack.services.restart(service);
        BackupEvent end = stack.awaitTerminal(id, BACKUP_TIMEOUT);
        assertThat(end).as(stack.story(id)).isInstanceOf(BackupCompleted.class);
        assertOneCleanSet(id);
        completed.add(id);
    }

    /** Exactly one object per artifact, nothing left in staging, exactly one terminal event. */
    private void assertOneCleanSet(String id) {
        List<String> keys = stack.keys(BACKUPS, prefix(id));
        assertThat(keys.stream().filter(k -> k.endsWith(".tar.gpg")).toList()).as(keys.toString())
                .hasSize(2).anyMatch(k -> k.startsWith(prefix(id) + "dtr-metadata-"))
                .anyMatch(k -> k.startsWith(prefix(id) + "dtr-image-backup-"));
        // Only the artifacts, their encryption and verification records and the manifest: no stray copy.
        assertThat(keys).as("backup bucket under " + prefix(id)).hasSize(7).allMatch(k -> k.endsWith(".tar.gpg")
                || k.endsWith(".tar.gpg.json") || k.matches(".*/verification-(metadata|images)\\.json")
                || k.endsWith("/manifest.json"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(stack.keys(STAGING, prefix(id)))
                .as("staging leftovers of " + id).isEmpty());
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(stack.terminals(id)).as(stack.story(id)).hasSize(1));
    }

    private boolean logMentions(String service, String id) {
        try {
            return Files.readString(stack.services.get(service).log(), StandardCharsets.UTF_8).contains("backup=" + id);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ duplicates

    @Test
    @Order(10)
    void theSameRequestTwiceRunsOneBackup() throws Exception {
        String id = BackupIds.newId(Instant.now());
        stack.request(id);
        stack.request(id);
        BackupEvent end = stack.awaitTerminal(id, BACKUP_TIMEOUT);
        assertThat(end).as(stack.story(id)).isInstanceOf(BackupCompleted.class);
        assertOneCleanSet(id);
        assertThat(stack.eventsOf(id).stream().filter(e -> e instanceof ReplicaDiscovered).map(BackupEvent::eventId)
                .distinct()).as("one discovery: " + stack.story(id)).hasSize(1);
    }

    @Test
    @Order(11)
    void twoRequestsForOneClusterAtOnceRunOneBackup() {
        String first = stack.request().backupId();
        String second = stack.request().backupId();
        BackupEvent a = stack.awaitTerminal(first, BACKUP_TIMEOUT);
        BackupEvent b = stack.awaitTerminal(second, BACKUP_TIMEOUT);
        assertThat(a).as(stack.story(first)).isInstanceOf(BackupCompleted.class);
        assertThat(b).as(stack.story(second)).isInstanceOf(BackupRejected.class);
        assertThat(((BackupRejected) b).reason()).contains(first);
        assertOneCleanSet(first);
        assertThat(stack.keys(BACKUPS, prefix(second))).isEmpty();
        assertThat(stack.keys(STAGING, prefix(second))).isEmpty();
        assertThat(stack.eventsOf(second)).as(stack.story(second)).noneMatch(e -> e instanceof ReplicaDiscovered);
    }

    // ------------------------------------------------------------------ poison

    @Test
    @Order(20)
    void poisonOnEveryInputTopicIsDeadLetteredOrFailedAndAGoodBackupStillCompletes() throws Exception {
        String model = completed.get(0);
        List<Topic> inputs = List.of(Topics.REQUESTS, Topics.REPLICAS, Topics.STAGED, Topics.ENCRYPTED,
                Topics.VERIFY_REQUESTS);
        List<String> ghosts = new ArrayList<>();
        for (Topic topic : inputs) {
            stack.sendRaw(topic.name(), "poison-malformed-" + topic.name(), "{\"type\": \"BackupRequ".getBytes());
            BackupEvent real = modelFor(topic, model);
            String json = EventCodec.encodeToString(real);
            String unknownType = json.replace("\"type\":\"" + real.getClass().getSimpleName() + "\"",
                    "\"type\":\"NoSuchEventType\"");
            assertThat(unknownType).isNotEqualTo(json);
            stack.sendRaw(topic.name(), "poison-unknown-" + topic.name(), unknownType.getBytes(StandardCharsets.UTF_8));
            // A valid event for a cluster nobody knows: the model's IDs swapped for new ones.
            String ghost = BackupIds.newId(Instant.now());
            ghosts.add(ghost);
            String valid = json.replace(model, ghost).replace("\"" + CLUSTER + "\"", "\"" + GHOST + "\"")
                    .replace(CLUSTER + "/", GHOST + "/");
            BackupEvent decoded = EventCodec.decode(valid.getBytes(StandardCharsets.UTF_8));
            assertThat(decoded.clusterId()).isEqualTo(GHOST);
            stack.send(topic, decoded);
        }

        // Malformed and unknown-type records: dead-lettered by each consuming service with the problem.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            List<DeadLetter> letters = deadLetters();
            for (Topic topic : inputs) {
                assertThat(letters).as("malformed record on " + topic.name() + ": " + letters)
                        .anyMatch(l -> l.sourceTopic().equals(topic.name())
                                && l.key().equals("poison-malformed-" + topic.name())
                                && l.reason().contains("not valid JSON"));
                assertThat(letters).as("unknown type on " + topic.name() + ": " + letters)
                        .anyMatch(l -> l.sourceTopic().equals(topic.name())
                                && l.key().equals("poison-unknown-" + topic.name())
                                && l.reason().contains("NoSuchEventType"));
            }
            // Both consumers of the replicas topic (metadata-service, image-service) dead-letter it.
            assertThat(letters.stream().filter(l -> l.key().equals("poison-malformed-" + Topics.REPLICAS.name()))
                    .map(DeadLetter::service).distinct()).containsExactlyInAnyOrder("metadata-service", "image-service");
        });

        // Valid events for an unknown cluster: each ends failed, with a reason.
        for (int i = 0; i < inputs.size(); i++) {
            Topic topic = inputs.get(i);
            String ghost = ghosts.get(i);
            if (topic == Topics.VERIFY_REQUESTS) {
                BackupReverified r = stack.awaitEvent(ghost, BackupReverified.class, e -> true, Duration.ofSeconds(60));
                assertThat(r.intact()).isFalse();
                assertThat(r.problems()).anyMatch(p -> p.startsWith("missing"));
                continue;
            }
            BackupEvent failure = await().atMost(Duration.ofSeconds(60)).until(() -> stack.eventsOf(ghost).stream()
                    .filter(e -> e instanceof BackupFailed || e instanceof ArtifactFailed || e instanceof BackupRejected)
                    .findFirst().orElse(null), e -> e != null);
            String reason = failure instanceof BackupFailed f ? f.reason()
                    : failure instanceof ArtifactFailed f ? f.reason() : ((BackupRejected) failure).reason();
            LOG.info("unknown cluster on {}: {}", topic.name(), failure);
            assertThat(reason).as(topic.name() + ": " + failure).isNotBlank();
            // verify-service records its failed verification; no artifact is stored for the unknown cluster.
            assertThat(stack.keys(BACKUPS, GHOST + "/")).as("nothing but verification records for the unknown cluster")
                    .allMatch(k -> k.matches(GHOST + "/bk-[^/]+/verification-(metadata|images)\\.json"));
        }

        // The pipeline goes on: a good backup after the poison completes.
        String good = stack.request().backupId();
        BackupEvent end = stack.awaitTerminal(good, BACKUP_TIMEOUT);
        assertThat(end).as(stack.story(good)).isInstanceOf(BackupCompleted.class);
        assertOneCleanSet(good);
        completed.add(good);
    }

    private BackupEvent modelFor(Topic topic, String model) {
        if (topic == Topics.REQUESTS) {
            return io.dtrbackup.common.events.BackupRequested.of(model, CLUSTER,
                    io.dtrbackup.common.events.Trigger.MANUAL, "fault-test", null);
        }
        if (topic == Topics.VERIFY_REQUESTS) {
            return new VerifyRequested(BackupEvent.CURRENT_SCHEMA_VERSION, EventIds.random(), model, CLUSTER,
                    Instant.now(), "fault-test");
        }
        Class<? extends BackupEvent> type = topic == Topics.REPLICAS ? ReplicaDiscovered.class
                : topic == Topics.STAGED ? ArtifactStaged.class : ArtifactEncrypted.class;
        return stack.eventsOf(model).stream().filter(type::isInstance).findFirst().orElseThrow();
    }

    private List<DeadLetter> deadLetters() throws Exception {
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : stack.readAll(Topics.DEAD_LETTER)) {
            letters.add(EventCodec.mapper().readValue(r.value(), DeadLetter.class));
        }
        return letters;
    }

    // ------------------------------------------------------------------ damage found by re-verification

    @Test
    @Order(30)
    void reverificationReportsAFlippedByteATruncatedObjectAndADeletedArtifact() throws Exception {
        assertThat(completed).hasSizeGreaterThanOrEqualTo(4);
        String flipped = completed.get(0);
        String truncated = completed.get(1);
        String deleted = completed.get(2);
        String intact = completed.get(3);
        Path flippedFile = storedFile(flipped, "dtr-image-backup-");
        try (RandomAccessFile f = new RandomAccessFile(flippedFile.toFile(), "rw")) {
            long at = f.length() / 2;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x01);
        }
        Path truncatedFile = storedFile(truncated, "dtr-image-backup-");
        try (RandomAccessFile f = new RandomAccessFile(truncatedFile.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        String deletedKey = stack.keys(BACKUPS, prefix(deleted)).stream()
                .filter(k -> k.contains("/dtr-metadata-") && k.endsWith(".tar.gpg")).findFirst().orElseThrow();
        stack.minio.removeObject(RemoveObjectArgs.builder().bucket(BACKUPS).object(deletedKey).build());

        for (String id : List.of(flipped, truncated, deleted, intact)) {
            stack.send(Topics.VERIFY_REQUESTS, new VerifyRequested(BackupEvent.CURRENT_SCHEMA_VERSION,
                    EventIds.random(), id, CLUSTER, Instant.now(), "fault-test"));
        }
        BackupReverified f = stack.awaitEvent(flipped, BackupReverified.class, e -> true, BACKUP_TIMEOUT);
        BackupReverified t = stack.awaitEvent(truncated, BackupReverified.class, e -> true, BACKUP_TIMEOUT);
        BackupReverified d = stack.awaitEvent(deleted, BackupReverified.class, e -> true, BACKUP_TIMEOUT);
        BackupReverified ok = stack.awaitEvent(intact, BackupReverified.class, e -> true, BACKUP_TIMEOUT);
        LOG.info("flipped: {}\ntruncated: {}\ndeleted: {}", f.problems(), t.problems(), d.problems());
        assertThat(ok.intact()).as(ok.problems().toString()).isTrue();
        assertThat(f.intact()).isFalse();
        assertThat(f.problems()).hasSize(1).allMatch(p -> p.startsWith("images: ")
                && p.matches("images: (MDC failure|ciphertext digest mismatch|malformed|damaged tar|plaintext digest mismatch).*"));
        assertThat(t.intact()).isFalse();
        assertThat(t.problems()).hasSize(1).allMatch(p -> p.startsWith("images: truncated"));
        assertThat(d.intact()).isFalse();
        assertThat(d.problems()).hasSize(1).allMatch(p -> p.startsWith("metadata: missing") && p.contains(deletedKey));
    }

    private Path storedFile(String id, String namePrefix) throws Exception {
        String key = stack.keys(BACKUPS, prefix(id)).stream()
                .filter(k -> k.startsWith(prefix(id) + namePrefix) && k.endsWith(".tar.gpg")).findFirst().orElseThrow();
        Path file = stack.s3.dir().resolve(BACKUPS).resolve(key);
        assertThat(file).as("S3Proxy's file for " + key).isRegularFile();
        return file;
    }

    // ------------------------------------------------------------------ broker and store outages

    @Test
    @Order(40)
    void aBrokerRestartMidBackupEndsCompletedOrFailedWithAReason() {
        String id = stack.request().backupId();
        midStream(id, ArtifactPhase.STAGING);
        stack.kafka.restart();
        BackupEvent end = stack.awaitTerminal(id, Duration.ofMinutes(3));
        LOG.info("after the broker restart: {} ({})", end, stack.story(id));
        assertThat(end).as(stack.story(id)).isInstanceOfAny(BackupCompleted.class, BackupFailed.class);
        if (end instanceof BackupFailed f) {
            assertThat(f.reason()).isNotBlank();
        } else {
            assertOneCleanSet(id);
        }
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(stack.terminals(id)).as(stack.story(id)).hasSize(1));
    }

    @Test
    @Order(41)
    void anS3OutageMidUploadFailsWithAReasonLeavesNoPartialObjectAndTheNextBackupSucceeds() throws Exception {
        String id = stack.request().backupId();
        midStream(id, ArtifactPhase.STAGING);
        stack.s3.stop();
        long down = System.nanoTime();
        BackupEvent end;
        try {
            end = stack.awaitTerminal(id, Duration.ofMinutes(3));
        } finally {
            stack.s3.restart();
        }
        LOG.info("S3 outage: {} after {} s ({})", end, (System.nanoTime() - down) / 1_000_000_000, stack.story(id));
        assertThat(end).as(stack.story(id)).isInstanceOf(BackupFailed.class);
        assertThat(((BackupFailed) end).reason()).isNotBlank();
        assertThat(stack.eventsOf(id)).as(stack.story(id)).anyMatch(e -> e instanceof ArtifactFailed f
                && f.kind() == ArtifactKind.IMAGES && !f.reason().isBlank());
        // No partial object: neither a staged image tar nor any ciphertext of this backup.
        assertThat(stack.keys(STAGING, prefix(id))).as("staging after the outage").noneMatch(k -> k.contains("images"));
        assertThat(stack.keys(BACKUPS, prefix(id))).as("backup bucket after the outage")
                .noneMatch(k -> k.endsWith(".tar.gpg"));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(stack.terminals(id)).as(stack.story(id)).hasSize(1));

        String next = stack.request().backupId();
        BackupEvent ok = stack.awaitTerminal(next, BACKUP_TIMEOUT);
        assertThat(ok).as(stack.story(next)).isInstanceOf(BackupCompleted.class);
        assertOneCleanSet(next);
    }

    // ------------------------------------------------------------------ secrets

    @Test
    @Order(60)
    void noSecretAppearsInAnyTopicLogObjectMetadataOrJsonObject() throws Exception {
        Map<String, String> secrets = Map.of("UCP password", FaultStack.UCP_PASSWORD, "backup passphrase",
                FaultStack.PASSPHRASE, "S3 secret key", stack.s3.secretKey(), "hand-off token", stack.handoffToken);
        List<String> found = new ArrayList<>();
        int records = 0;
        List<String> topics = stack.kafka.admin().listTopics().names().get().stream()
                .filter(n -> n.startsWith("dtr-backup.")).sorted().toList();
        assertThat(topics).contains(Topics.STATUS.name(), Topics.DEAD_LETTER, Topics.REQUESTS.name());
        for (String topic : topics) {
            for (ConsumerRecord<String, byte[]> r : stack.readAll(topic)) {
                records++;
                String text = (r.key() == null ? "" : r.key()) + "\n" + new String(r.value(), StandardCharsets.UTF_8);
                scan(secrets, text, topic + "@" + r.partition() + ":" + r.offset(), found);
            }
        }
        for (Path log : stack.services.logs()) {
            String text = Files.readString(log, StandardCharsets.ISO_8859_1);
            assertThat(text).as(log + " is a real log").contains("backup=");
            scan(secrets, text, log.toString(), found);
        }
        int objects = 0;
        for (String bucket : List.of(STAGING, BACKUPS)) {
            for (String key : stack.keys(bucket, "")) {
                objects++;
                var stat = stack.minio.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
                scan(secrets, stat.userMetadata().toString() + stat.headers().toString(), bucket + "/" + key
                        + " metadata", found);
                if (key.endsWith(".json")) {
                    try (var in = stack.minio.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
                        scan(secrets, new String(in.readAllBytes(), StandardCharsets.UTF_8), bucket + "/" + key, found);
                    }
                }
            }
        }
        LOG.info("secret scan: {} records in {} topics, {} logs, {} objects", records, topics.size(),
                stack.services.logs().size(), objects);
        assertThat(records).isGreaterThan(100);
        assertThat(objects).isGreaterThan(20);
        assertThat(found).as("secrets found").isEmpty();
    }

    private static void scan(Map<String, String> secrets, String text, String where, List<String> found) {
        secrets.forEach((name, value) -> {
            if (text.contains(value)) {
                found.add(name + " in " + where);
            }
        });
    }
}
