package io.dtrbackup.cli.fault;

import static io.dtrbackup.cli.fault.FaultStack.BACKUPS;
import static io.dtrbackup.cli.fault.FaultStack.CLUSTER;
import static io.dtrbackup.cli.fault.FaultStack.STAGING;
import static io.dtrbackup.cli.fault.FaultStack.prefix;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.BackupReverified;
import io.dtrbackup.contract.events.DeadLetter;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.VerifyRequested;
import io.dtrbackup.contract.topics.Topic;
import io.dtrbackup.contract.topics.Topics;
import com.github.dockerjava.api.model.Container;
import io.dtrbackup.testsupport.SecretScan;
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
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
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
    /** How long a killed service stays down while the test watches that nothing moves without it. */
    static final Duration DOWN = Duration.ofSeconds(5);
    /** verify-service's stage deadline and check interval here (see start()). */
    static final Duration STAGE_DEADLINE = Duration.ofSeconds(60);
    static final Duration DEADLINE_CHECK = Duration.ofSeconds(5);
    /** The stand-in docker/dtr waits this long before it writes: the metadata stage's window. */
    static final int EXPORT_SECONDS = 6;
    /** A stale upload is gone by then: older than the age, plus two sweeps, plus slack. */
    static final Duration SWEPT_WITHIN = FaultStack.STALE_UPLOAD_AGE.plus(FaultStack.STALE_UPLOAD_SWEEP_INTERVAL.multipliedBy(2))
            .plusSeconds(15);

    @TempDir
    static Path dir;

    FaultStack stack;
    /** Completed backups, for the damage scenario. */
    final List<String> completed = new ArrayList<>();
    /** Valid events for an unknown cluster sent as requests (the poison scenario): requested backups too. */
    final List<String> ghostRequests = new ArrayList<>();
    /** The multipart upload the crypto-service kill left open, for the sweep scenario. */
    FaultStack.Upload orphan;
    /** When that kill happened: the upload's last part came before it. */
    Instant orphanedAt;
    /** Backups that ran after the orphan was left, while the sweep was due to remove it. */
    final List<String> afterOrphan = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        long t0 = System.nanoTime();
        // Two 96 MiB blobs beside the small ones: each stage streams for a second or more.
        // verify-service fails a backup that has had no event for a minute: a stall cannot stay in progress.
        stack = FaultStack.start("PipelineFaultIT", dir, 96L * 1024 * 1024, 2, EXPORT_SECONDS, Map.of("verify-service",
                Map.of("DTR_BACKUP_STAGE_DEADLINE", STAGE_DEADLINE.toSeconds() + "s",
                        "DTR_BACKUP_DEADLINE_CHECK_INTERVAL", DEADLINE_CHECK.toSeconds() + "s")));
        LOG.info("fault testbed ready in {} s", (System.nanoTime() - t0) / 1_000_000_000);
    }

    @AfterAll
    void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    // ------------------------------------------------------------------ SIGKILL mid-backup
    // Each kill must land inside its stage: the stage's output record for the backup is absent from its
    // output topic when the service is dead, and the stage provably had work left. A kill that missed the
    // window fails the test (the artifact or the wait must grow), it never passes vacuously.

    @Test
    @Order(1)
    void discoveryKilledWhileReadingTheCluster() throws Exception {
        String id;
        stack.gate.hold(); // the cluster's engine stops answering discovery-service for now
        try {
            id = stack.request().backupId();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() ->
                    phases(stack.eventsOf(id)).contains(BackupPhase.DISCOVERING) && stack.gate.waiting() > 0);
            // discovery-service took the request (DISCOVERING) and waits for the engine's answer: mid-stage.
            killAndHold("discovery-service", id, "ReplicaDiscovered on " + Topics.REPLICAS.name(),
                    () -> stack.records(Topics.REPLICAS, ReplicaDiscovered.class, id));
        } finally {
            stack.gate.release();
        }
        restartAndComplete("discovery-service", id);
        assertThat(stack.records(Topics.REPLICAS, ReplicaDiscovered.class, id)).as("ReplicaDiscovered of " + id)
                .hasSize(1);
        assertOneCleanSet(id);
        completed.add(id);
    }

    @Test
    @Order(2)
    void metadataKilledWhileDockerDtrBackupRuns() throws Exception {
        String id = stack.request().backupId();
        // The stand-in docker/dtr waits EXPORT_SECONDS before it writes: find its container running.
        String container = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> runningBackupContainer(id), c -> c != null);
        killAndHold("metadata-service", id, "metadata ArtifactStaged on " + Topics.STAGED.name(),
                () -> stack.records(Topics.STAGED, ArtifactStaged.class, id).stream()
                        .filter(e -> e.kind() == ArtifactKind.METADATA).toList(), () -> {
                    // Still running after the kill, so docker/dtr had not finished when metadata-service died.
                    var state = stack.simulator.docker().inspectContainerCmd(container).exec().getState();
                    assertThat(state.getRunning()).as("docker/dtr backup container " + container + " had finished "
                            + "before the kill: the kill missed the metadata stage; it needs a longer export wait")
                            .isTrue();
                });
        restartAndComplete("metadata-service", id);
        // The killed attempt's container (it carries the UCP password in its env) is removed by the next attempt.
        assertThat(backupContainers(id)).as("docker/dtr containers of " + id + " left behind").isEmpty();
        assertOneCleanSet(id);
        completed.add(id);
    }

    @Test
    @Order(3)
    void imageKilledWhileStreamingTheVolume() throws Exception {
        String id = stack.request().backupId();
        midStream(id, ArtifactPhase.STAGING);
        killAndHold("image-service", id, "images ArtifactStaged on " + Topics.STAGED.name(),
                () -> stack.records(Topics.STAGED, ArtifactStaged.class, id).stream()
                        .filter(e -> e.kind() == ArtifactKind.IMAGES).toList());
        long before = progressPublished(id, ArtifactPhase.STAGING);
        restartAndComplete("image-service", id);
        long total = stack.records(Topics.STAGED, ArtifactStaged.class, id).stream()
                .filter(e -> e.kind() == ArtifactKind.IMAGES).findFirst().orElseThrow().sizeBytes();
        assertWorkLeft("image-service", ArtifactPhase.STAGING, before, total);
        assertOneCleanSet(id);
        completed.add(id);
    }

    @Test
    @Order(4)
    void cryptoKilledWhileEncrypting() throws Exception {
        String id = stack.request().backupId();
        // The ciphertext's multipart upload begins once its first part (16 MiB) is read: kill after two.
        midStream(id, ArtifactPhase.ENCRYPTING, 40L << 20);
        killAndHold("crypto-service", id, "images ArtifactEncrypted on " + Topics.ENCRYPTED.name(),
                () -> stack.records(Topics.ENCRYPTED, ArtifactEncrypted.class, id).stream()
                        .filter(e -> e.kind() == ArtifactKind.IMAGES).toList(), () -> {
                    // SIGKILL: no abort. The ciphertext's multipart upload stays open, which no object listing shows.
                    List<FaultStack.Upload> open = stack.incompleteUploads(BACKUPS, prefix(id));
                    assertThat(open).as("the crypto-service kill left no incomplete multipart upload under "
                            + prefix(id) + ": it did not land mid-upload").hasSize(1);
                    orphan = open.get(0);
                    orphanedAt = Instant.now();
                });
        long before = progressPublished(id, ArtifactPhase.ENCRYPTING);
        restartAndComplete("crypto-service", id);
        long total = stack.records(Topics.ENCRYPTED, ArtifactEncrypted.class, id).stream()
                .filter(e -> e.kind() == ArtifactKind.IMAGES).findFirst().orElseThrow().plaintextSize();
        assertWorkLeft("crypto-service", ArtifactPhase.ENCRYPTING, before, total);
        // Nothing else left behind; the killed upload itself waits for the sweep (order 6).
        assertOneCleanSet(id, Set.of(orphan.uploadId()));
        completed.add(id);
    }

    @Test
    @Order(5)
    void verifyKilledWhileVerifying() throws Exception {
        String id = stack.request().backupId();
        afterOrphan.add(id);
        midStream(id, ArtifactPhase.VERIFYING);
        Supplier<List<ArtifactVerified>> verified = () -> stack.records(Topics.STATUS, ArtifactVerified.class, id)
                .stream().filter(e -> e.kind() == ArtifactKind.IMAGES).toList();
        killAndHold("verify-service", id, "images ArtifactVerified on " + Topics.STATUS.name(), verified);
        long before = progressPublished(id, ArtifactPhase.VERIFYING);
        restartAndComplete("verify-service", id);
        assertWorkLeft("verify-service", ArtifactPhase.VERIFYING, before, verified.get().get(0).plaintextSize());
        assertOneCleanSet(id);
        completed.add(id);
    }

    @Test
    @Order(6)
    void theUploadAKillLeftIsSweptWhileLaterBackupsComplete() {
        assertThat(orphan).as("the crypto-service kill (order 4) recorded its open upload").isNotNull();
        // Live uploads run meanwhile (every service sweeps every few seconds): they must not be touched.
        String live = stack.request().backupId();
        afterOrphan.add(live);
        // The sweep takes an upload with no new part for the stale age as abandoned; its last part preceded the kill.
        Instant bound = orphanedAt.plus(SWEPT_WITHIN);
        await().atMost(Duration.between(Instant.now(), bound).plusSeconds(1)).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(stack.incompleteUploads(BACKUPS, orphan.key()))
                        .as("the upload " + orphan + " left by the kill, " + SWEPT_WITHIN + " after the kill")
                        .noneMatch(u -> u.uploadId().equals(orphan.uploadId())));
        LOG.info("orphaned upload {} swept {} s after the kill", orphan.uploadId(),
                Duration.between(orphanedAt, Instant.now()).toSeconds());
        BackupEvent end = stack.awaitTerminal(live, BACKUP_TIMEOUT);
        assertThat(end).as(stack.story(live)).isInstanceOf(BackupCompleted.class);
        assertOneCleanSet(live);
        for (String id : afterOrphan) {
            assertThat(stack.terminals(id)).as("backup " + id + " while the sweeps ran: " + stack.story(id))
                    .hasSize(1).allMatch(e -> e instanceof BackupCompleted);
        }
        completed.add(live);
    }

    private void midStream(String id, ArtifactPhase stage) {
        midStream(id, stage, 1);
    }

    private void midStream(String id, ArtifactPhase stage, long atLeast) {
        BackupProgress p = stack.awaitEvent(id, BackupProgress.class,
                e -> e.kind() == ArtifactKind.IMAGES && e.stage() == stage && e.bytesDone() >= atLeast,
                Duration.ofSeconds(60));
        LOG.info("{} of images at {} bytes of {}", stage, p.bytesDone(), p.bytesTotal());
        if (p.bytesTotal() != null) {
            assertThat(p.bytesDone()).as("mid-stream").isLessThan(p.bytesTotal());
        }
    }

    /**
     * Kills the service, proves its stage's output for the backup is absent (read from the output topic
     * itself), then keeps it down for {@link #DOWN}: neither that output nor any terminal event may appear.
     */
    /** A check made right after the kill, before the service has been down for long. */
    interface AtKill {
        void check() throws Exception;
    }

    private void killAndHold(String service, String id, String output, Supplier<? extends List<?>> outputRecords)
            throws Exception {
        killAndHold(service, id, output, outputRecords, () -> { });
    }

    private void killAndHold(String service, String id, String output, Supplier<? extends List<?>> outputRecords,
            AtKill atKill) throws Exception {
        assertThat(stack.terminals(id)).as("the kill must land before the backup ends: " + stack.story(id)).isEmpty();
        stack.services.kill(service);
        try {
            assertThat(outputRecords.get()).as(service + " was killed after its stage published " + output + " for "
                    + id + ": the kill missed the stage's window; it needs a bigger artifact").isEmpty();
            atKill.check();
            await().during(DOWN).atMost(DOWN.plusSeconds(15)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(stack.terminals(id)).as("a terminal event while " + service + " is down: " + stack.story(id))
                        .isEmpty();
                assertThat(outputRecords.get()).as(output + " appeared while " + service + " is down").isEmpty();
            });
        } catch (Exception | AssertionError e) {
            // The scenarios after this one need the whole pipeline, and this backup ended (one per cluster at a time).
            stack.services.restart(service);
            try {
                stack.awaitTerminal(id, BACKUP_TIMEOUT);
            } catch (RuntimeException notEnded) {
                e.addSuppressed(notEnded);
            }
            throw e;
        }
    }

    private void restartAndComplete(String service, String id) throws Exception {
        stack.services.restart(service);
        BackupEvent end = stack.awaitTerminal(id, BACKUP_TIMEOUT);
        assertThat(end).as(stack.story(id)).isInstanceOf(BackupCompleted.class);
    }

    /** The highest images progress of the stage the killed service had published (read from the status topic). */
    private long progressPublished(String id, ArtifactPhase stage) {
        return stack.records(Topics.STATUS, BackupProgress.class, id).stream()
                .filter(p -> p.kind() == ArtifactKind.IMAGES && p.stage() == stage)
                .mapToLong(BackupProgress::bytesDone).max().orElse(0);
    }

    /** The stage's last progress before the kill is below the artifact's size known after the restart. */
    private static void assertWorkLeft(String service, ArtifactPhase stage, long before, long total) {
        LOG.info("{} killed at {} of {} bytes ({})", service, before, total, stage);
        assertThat(before).as(service + " had published " + stage + " progress " + before + " of " + total
                + " bytes before the kill: the stage had finished streaming, the kill missed its window; it needs a "
                + "bigger artifact").isLessThan(total);
    }

    private String runningBackupContainer(String id) {
        return stack.simulator.docker().listContainersCmd().withLabelFilter(backupLabels(id)).exec().stream()
                .filter(c -> id.equals(c.getLabels().get("io.dtrbackup.backup-id")) && "running".equals(c.getState()))
                .map(Container::getId).findFirst().orElse(null);
    }

    private List<Container> backupContainers(String id) {
        return stack.simulator.docker().listContainersCmd().withShowAll(true).withLabelFilter(backupLabels(id)).exec()
                .stream().filter(c -> id.equals(c.getLabels().get("io.dtrbackup.backup-id"))).toList();
    }

    private static Map<String, String> backupLabels(String id) {
        return Map.of("io.dtrbackup.role", "metadata-backup", "io.dtrbackup.backup-id", id);
    }

    private static List<BackupPhase> phases(List<? extends BackupEvent> events) {
        return events.stream().filter(e -> e instanceof BackupPhaseChanged).map(e -> ((BackupPhaseChanged) e).phase())
                .toList();
    }

    private void assertOneCleanSet(String id) {
        assertOneCleanSet(id, Set.of());
    }

    /**
     * Exactly one object per artifact, nothing left in staging, no incomplete multipart upload under the
     * backup's prefix in either bucket (but {@code tolerated}), exactly one terminal event.
     */
    private void assertOneCleanSet(String id, Set<String> tolerated) {
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
        assertNoIncompleteUploads(id, tolerated, Duration.ZERO);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(stack.terminals(id)).as(stack.story(id)).hasSize(1));
    }

    /** No incomplete multipart upload under the backup's prefix (waiting up to {@code within} for the sweep). */
    private void assertNoIncompleteUploads(String id, Set<String> tolerated, Duration within) {
        await().pollDelay(Duration.ZERO).atMost(within.plusSeconds(1)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(stack.incompleteUploads(prefix(id))).as("incomplete multipart uploads under " + prefix(id))
                        .allMatch(u -> tolerated.contains(u.uploadId())));
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
        // Records, not distinct IDs: every ID here is deterministic, so a second run would repeat the same ones.
        assertThat(stack.records(Topics.REPLICAS, ReplicaDiscovered.class, id))
                .as("ReplicaDiscovered records of " + id + " on " + Topics.REPLICAS.name() + ": one discovery").hasSize(1);
        Map<BackupPhase, Long> phases = stack.records(Topics.STATUS, BackupPhaseChanged.class, id).stream()
                .collect(Collectors.groupingBy(BackupPhaseChanged::phase, Collectors.counting()));
        assertThat(phases).as("BackupPhaseChanged records per phase of " + id + ": each phase once")
                .containsKeys(BackupPhase.DISCOVERING, BackupPhase.BACKING_UP, BackupPhase.ENCRYPTING)
                .allSatisfy((phase, n) -> assertThat(n).as(phase.name()).isEqualTo(1L));
        for (ArtifactKind kind : List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES)) {
            assertThat(stack.records(Topics.STAGED, ArtifactStaged.class, id)).as("ArtifactStaged records of " + kind)
                    .filteredOn(e -> e.kind() == kind).hasSize(1);
            assertThat(stack.records(Topics.ENCRYPTED, ArtifactEncrypted.class, id))
                    .as("ArtifactEncrypted records of " + kind).filteredOn(e -> e.kind() == kind).hasSize(1);
        }
        completed.add(id);
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
        assertThat(stack.incompleteUploads(prefix(second))).as("incomplete uploads of the rejected " + second).isEmpty();
        assertThat(stack.records(Topics.REPLICAS, ReplicaDiscovered.class, second)).as(stack.story(second)).isEmpty();
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
            if (topic == Topics.REQUESTS) {
                ghostRequests.add(ghost);
            }
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
            return io.dtrbackup.contract.events.BackupRequested.of(model, CLUSTER,
                    io.dtrbackup.contract.events.Trigger.MANUAL, "fault-test", null);
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
    void aBrokerRestartMidBackupIsRetriedThroughAndTheBackupCompletes() {
        // A broker away for a few seconds is a transient fault every Kafka client retries through: the
        // backup must complete, once, with a clean set (a failure here would be a lost event or a stuck stage).
        String id = stack.request().backupId();
        midStream(id, ArtifactPhase.STAGING);
        stack.kafka.restart();
        BackupEvent end = stack.awaitTerminal(id, Duration.ofMinutes(3));
        LOG.info("after the broker restart: {} ({})", end, stack.story(id));
        assertThat(end).as("after a broker restart: " + stack.story(id)).isInstanceOf(BackupCompleted.class);
        assertOneCleanSet(id);
        completed.add(id);
    }

    @Test
    @Order(41)
    void anS3OutageMidImageUploadFailsTheImagesWhileStagingLeavesNoPartialObjectAndTheNextBackupSucceeds()
            throws Exception {
        String id = stack.request().backupId();
        midStream(id, ArtifactPhase.STAGING);
        stack.s3.stop();
        long down = System.nanoTime();
        ArtifactFailed images;
        try {
            images = stack.awaitEvent(id, ArtifactFailed.class, f -> f.kind() == ArtifactKind.IMAGES,
                    Duration.ofSeconds(90));
        } finally {
            // Only the image upload meets the outage: metadata's docker/dtr is still in its export wait.
            stack.s3.restart();
        }
        LOG.info("S3 outage: {} after {} s", images, (System.nanoTime() - down) / 1_000_000_000);
        // With the hand-off, crypto-service's ciphertext upload fails first and it refuses the stream;
        // image-service then stages the tar instead, which fails against the same store: so the images
        // fail while STAGING, reported by image-service (the hand-off's failure is not an artifact outcome).
        assertThat(images.phase()).as("where the outage failed the images: " + images).isEqualTo(ArtifactPhase.STAGING);
        assertThat(images.reason()).as("the reason names the object store: " + images)
                .contains(stack.s3.endpoint()).contains("check the object store");
        BackupEvent end = stack.awaitTerminal(id, Duration.ofMinutes(3));
        LOG.info("S3 outage: {} ({})", end, stack.story(id));
        assertThat(end).as(stack.story(id)).isInstanceOf(BackupFailed.class);
        BackupFailed failed = (BackupFailed) end;
        assertThat(failed.phase()).as("metadata verified after the outage, images failed: " + failed)
                .isEqualTo(BackupPhase.PARTIALLY_FAILED);
        assertThat(failed.failedStage()).as(failed.toString()).isEqualTo("images");
        assertThat(failed.reason()).as("BackupFailed carries the images' reason").contains(images.reason());
        assertThat(stack.eventsOf(id)).as("no verification failure: " + stack.story(id))
                .noneMatch(e -> e instanceof ArtifactFailed f && f.phase() == ArtifactPhase.VERIFYING);
        // No partial object: neither a staged image tar nor any image ciphertext of this backup ...
        assertThat(stack.keys(STAGING, prefix(id))).as("staging after the outage").noneMatch(k -> k.contains("images"));
        assertThat(stack.keys(BACKUPS, prefix(id))).as("backup bucket after the outage")
                .noneMatch(k -> k.contains("dtr-image-backup"));
        // ... and no parts: an abort the outage prevented is swept once the upload is stale.
        assertNoIncompleteUploads(id, Set.of(), SWEPT_WITHIN);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(stack.terminals(id)).as(stack.story(id)).hasSize(1));

        String next = stack.request().backupId();
        BackupEvent ok = stack.awaitTerminal(next, BACKUP_TIMEOUT);
        assertThat(ok).as(stack.story(next)).isInstanceOf(BackupCompleted.class);
        assertOneCleanSet(next);
    }

    // ------------------------------------------------------------------ after the stage deadline

    @Test
    @Order(50)
    void afterTheStageDeadlineEveryRequestedBackupHasExactlyOneTerminalEvent() throws Exception {
        // A stall would be ended by verify-service's deadline with a second terminal event, a minute later:
        // wait until the deadline and one check have passed since the run's last backup event, then count.
        List<String> requested = new ArrayList<>(stack.requested);
        requested.addAll(ghostRequests);
        Instant last = stack.status.stream().filter(e -> requested.contains(e.backupId())).map(BackupEvent::occurredAt)
                .max(Instant::compareTo).orElseThrow();
        Instant after = last.plus(STAGE_DEADLINE).plus(DEADLINE_CHECK.multipliedBy(2));
        Duration wait = Duration.between(Instant.now(), after);
        LOG.info("waiting {} s for the stage deadline to pass since the last event at {}", wait.toSeconds(), last);
        if (!wait.isNegative()) {
            await().pollDelay(wait).atMost(wait.plusSeconds(10)).until(() -> Instant.now().isAfter(after));
        }
        Map<String, List<BackupEvent>> terminals = new java.util.LinkedHashMap<>();
        int records = 0;
        for (ConsumerRecord<String, byte[]> r : stack.readAll(Topics.STATUS.name())) {
            records++;
            BackupEvent e = EventCodec.decode(r.value());
            if (FaultStack.isTerminal(e)) {
                terminals.computeIfAbsent(e.backupId(), k -> new ArrayList<>()).add(e);
            }
        }
        LOG.info("{} status records; {} backups requested, {} with a terminal event", records, requested.size(),
                terminals.size());
        assertThat(requested).as("backups requested by the run").hasSizeGreaterThan(10);
        for (String id : requested) {
            assertThat(terminals.getOrDefault(id, List.of())).as("terminal events of " + id + " after the deadline: "
                    + stack.story(id)).hasSize(1);
        }
        // Nor any other backup of the run (the poison scenario's) with more than one.
        terminals.forEach((id, list) -> assertThat(list).as("terminal events of " + id).hasSize(1));
    }

    // ------------------------------------------------------------------ secrets

    @Test
    @Order(60)
    void noSecretInAnyFormAppearsInAnyTopicDebugLogObjectOrContainer() throws Exception {
        Map<String, String> secrets = Map.of("UCP password", stack.ucpPassword, "backup passphrase",
                stack.passphrase, "S3 secret key", stack.s3.secretKey(), "hand-off token", stack.handoffToken);
        Map<String, String> forms = SecretScan.forms(secrets);
        List<String> found = new ArrayList<>();
        int records = 0;
        List<String> topics = stack.kafka.admin().listTopics().names().get().stream()
                .filter(n -> n.startsWith("dtr-backup.")).sorted().toList();
        assertThat(topics).contains(Topics.STATUS.name(), Topics.DEAD_LETTER, Topics.REQUESTS.name());
        for (String topic : topics) {
            for (ConsumerRecord<String, byte[]> r : stack.readAll(topic)) {
                records++;
                String text = (r.key() == null ? "" : r.key()) + "\n" + new String(r.value(), StandardCharsets.ISO_8859_1);
                scan(forms, text, topic + "@" + r.partition() + ":" + r.offset(), found);
            }
        }
        long logBytes = 0;
        long logLines = 0;
        for (Path log : stack.services.logs()) {
            logBytes += Files.size(log);
            boolean kafkaDebug = false;
            boolean backupLine = false;
            try (var lines = Files.newBufferedReader(log, StandardCharsets.ISO_8859_1)) {
                String line;
                long n = 0;
                while ((line = lines.readLine()) != null) {
                    n++;
                    kafkaDebug |= line.contains(" DEBUG ") && line.contains("o.a.k.");
                    backupLine |= line.contains("backup=bk-");
                    scan(forms, line, log.getFileName() + ":" + n, found);
                }
                logLines += n;
            }
            // The scan read what DEBUG writes, the Kafka clients' too, and real backup work.
            assertThat(kafkaDebug).as(log + " has the Kafka clients' DEBUG lines").isTrue();
            assertThat(backupLine).as(log + " is a real log").isTrue();
        }
        // docker-java's and httpclient5's DEBUG lines were written: commands sent to Docker, HTTP exchanges.
        assertThat(Files.readString(stack.services.get("discovery-service").log(), StandardCharsets.ISO_8859_1))
                .as("docker-java's DEBUG lines in discovery-service's log").contains("DEBUG [").contains("c.g.d.");
        assertThat(Files.readString(stack.services.get("metadata-service").log(), StandardCharsets.ISO_8859_1))
                .as("httpclient5's DEBUG lines in metadata-service's log").contains("o.a.h.");
        int objects = 0;
        for (String bucket : List.of(STAGING, BACKUPS)) {
            for (String key : stack.keys(bucket, "")) {
                objects++;
                var stat = stack.minio.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
                scan(forms, key + stat.userMetadata().toString() + stat.headers().toString(), bucket + "/" + key
                        + " metadata", found);
                if (key.endsWith(".json")) {
                    try (var in = stack.minio.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
                        scan(forms, new String(in.readAllBytes(), StandardCharsets.ISO_8859_1), bucket + "/" + key, found);
                    }
                }
            }
        }
        // Every container on the engine, running or exited: what it was created with.
        int containers = 0;
        var docker = stack.simulator.docker();
        for (Container c : docker.listContainersCmd().withShowAll(true).exec()) {
            var inspect = docker.inspectContainerCmd(c.getId()).exec();
            containers++;
            var config = inspect.getConfig();
            String text = String.join("\n", inspect.getName(), String.valueOf(inspect.getPath()),
                    String.valueOf(inspect.getArgs() == null ? null : List.of(inspect.getArgs())),
                    String.valueOf(config == null || config.getEnv() == null ? null : List.of(config.getEnv())),
                    String.valueOf(config == null || config.getCmd() == null ? null : List.of(config.getCmd())),
                    String.valueOf(config == null || config.getEntrypoint() == null ? null : List.of(config.getEntrypoint())),
                    String.valueOf(config == null ? null : config.getLabels()), String.valueOf(c.getLabels()));
            scan(forms, text, "container " + inspect.getName() + " (" + c.getImage() + ")", found);
        }
        LOG.info("secret scan: {} forms of {} secrets; {} records in {} topics, {} logs ({} MB, {} lines), {} objects, "
                + "{} containers", forms.size(), secrets.size(), records, topics.size(), stack.services.logs().size(),
                logBytes >> 20, logLines, objects, containers);
        assertThat(found.size()).as("secrets found, the first of them: "
                + found.subList(0, Math.min(found.size(), 20))).isZero();
        assertThat(records).isGreaterThan(100);
        assertThat(objects).isGreaterThan(20);
        assertThat(containers).as("containers inspected (the replica's at least)").isGreaterThanOrEqualTo(5);
    }

    private static void scan(Map<String, String> forms, String text, String where, List<String> found) {
        forms.forEach((name, value) -> {
            if (text.contains(value) && found.size() < 10_000) {
                found.add(name + " in " + where);
            }
        });
    }
}
