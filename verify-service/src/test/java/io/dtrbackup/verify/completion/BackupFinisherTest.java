package io.dtrbackup.verify.completion;

import io.dtrbackup.verify.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactSkipped;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.contract.manifest.Manifest;
import io.dtrbackup.common.status.BackupOutcome;
import io.dtrbackup.common.status.BackupStatus;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.InMemoryObjectStore;
import io.dtrbackup.testsupport.SecretScan;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Manifest content, completion, failure clean-up and retention, on an in-memory store. */
public class BackupFinisherTest {
    public final InMemoryObjectStore store = new InMemoryObjectStore();
    public final BackupLayout layout = new BackupLayout("staging", "backups");
    final List<BackupEvent> published = new ArrayList<>();
    public final BackupFinisher.Sink sink = (e, first, more) -> published.add(e);

    /** The backup passphrase the fixtures' artifacts are encrypted with. */
    public final String passphrase = SecretScan.secret("finisher-passphrase");

    public BackupStatus verifiedBackup(String cluster, String backup, boolean skipImages, StorageKind storage) throws Exception {
        store.ensureBucket("backups");
        store.ensureBucket("staging");
        BackupStatus s = new BackupStatus(backup);
        List<ArtifactKind> expected = skipImages ? List.of(ArtifactKind.METADATA)
                : List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES);
        s.apply(new ReplicaDiscovered(1, EventIds.replicaDiscovered(backup), backup, cluster,
                Instant.now(), Trigger.SCHEDULE, BackupOptions.DEFAULTS, "a1640e1c15b6", "node-2", "2.9.4", storage,
                storage.isVolumeBacked() ? "dtr-registry-a1640e1c15b6" : null, "sticky", expected,
                "20260101-02_00_00", Instant.now().minusSeconds(60)));
        for (ArtifactKind k : expected) {
            byte[] plain = k == ArtifactKind.METADATA ? Fixtures.metadataTar() : Fixtures.imagesTar(1);
            byte[] cipher = Fixtures.encrypt(plain, passphrase, "x");
            String key = layout.encryptedKey(cluster, backup, BackupLayout.artifactName(k, "2.9.4", "20260101-02_00_00"));
            store.put("backups", key, new ByteArrayInputStream(cipher), cipher.length, Map.of(), "x");
            s.apply(new ArtifactStaged(1, EventIds.artifactStaged(backup, k), backup, cluster,
                    Instant.now(), k, "x.tar", layout.stagingKey(cluster, backup, k), plain.length, Fixtures.sha256(plain),
                    1, Fixtures.sha256(plain), "2.9.4", null, null, 1000));
            s.apply(Fixtures.encrypted(cluster, backup, k, BackupLayout.artifactName(k, "2.9.4", "20260101-02_00_00"),
                    key, "k1", plain, cipher));
            s.apply(new ArtifactVerified(1, EventIds.artifactVerified(backup, k), backup, cluster,
                    Instant.now(), k, key, plain.length, Fixtures.sha256(plain), 1, null, false, 300));
        }
        if (!storage.isVolumeBacked() || skipImages) {
            s.apply(new ArtifactSkipped(1, "skip-" + backup, backup, cluster, Instant.now(), ArtifactKind.IMAGES,
                    "image content on s3", "use S3 versioning"));
        }
        return s;
    }

    @Test
    void completionWritesTheManifestThenPublishesCompletedAndRecorded(@TempDir Path dir) throws Exception {
        BackupStatus s = verifiedBackup("c1", "bk-1", false, StorageKind.FILESYSTEM);
        assertThat(s.outcome()).contains(BackupOutcome.completed());
        store.put("staging", layout.stagedRecordKey("c1", "bk-1", ArtifactKind.METADATA),
                new ByteArrayInputStream(new byte[] {1}), 1, Map.of(), "x");
        // The finisher holds the cluster registry, whose cluster names its UCP password file.
        String ucpPassword = SecretScan.secret("finisher-ucp-password");
        Path passwordFile = Files.writeString(dir.resolve("ucp-password"), ucpPassword + "\n");
        ClusterRegistry registry = ClusterRegistry.load(Files.writeString(dir.resolve("clusters.yaml"), """
                clusters:
                  - id: c1
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp", username: a, passwordFile: "%s", fetchCa: true }
                """.formatted(passwordFile)));
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(
                BackupFinisher.class);
        log.start();
        logger.addAppender(log);
        BackupCompleted done;
        try {
            done = new BackupFinisher(store, layout, registry, sink).complete(s);
        } finally {
            logger.detachAppender(log);
        }

        Manifest m = EventCodec.mapper().readValue(store.bytes("backups", layout.manifestKey("c1", "bk-1")), Manifest.class);
        assertThat(m.formatVersion()).isEqualTo(1);
        assertThat(m.node()).isEqualTo("node-2");
        assertThat(m.trigger()).isEqualTo(Trigger.SCHEDULE);
        assertThat(m.artifacts()).extracting(Manifest.Artifact::kind).containsExactly(ArtifactKind.METADATA, ArtifactKind.IMAGES);
        for (Manifest.Artifact a : m.artifacts()) {
            assertThat(a.ciphertextSha256()).isEqualTo(Fixtures.sha256(store.bytes("backups", a.objectKey())));
            assertThat(a.keyId()).isEqualTo("k1");
            assertThat(a.encryption().integrityProtected()).isTrue();
        }
        assertThat(m.timings().artifacts().get("metadata").stagingMs()).isEqualTo(1000);
        assertThat(m.timings().totalMs()).isGreaterThanOrEqualTo(60_000);
        assertThat(m.notIncluded()).hasSize(2);
        // Neither secret, in any form, in what completion wrote, published or logged.
        String json = new String(store.bytes("backups", layout.manifestKey("c1", "bk-1")), StandardCharsets.UTF_8);
        String metadata = store.stat("backups", layout.manifestKey("c1", "bk-1")).orElseThrow().userMetadata()
                .toString();
        String events = published.stream().map(e -> new String(EventCodec.encode(e), StandardCharsets.UTF_8))
                .collect(Collectors.joining("\n"));
        String logged = log.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.joining("\n"));
        assertThat(logged).contains("manifest written");
        for (var text : Map.of("the manifest", json, "the manifest's metadata", metadata, "the published events",
                events, "the log", logged).entrySet()) {
            assertThat(SecretScan.foundIn(text.getValue(), passphrase, ucpPassword))
                    .as("the passphrase or UCP password (bare, base64 or hex) in %s: %s", text.getKey(), text.getValue())
                    .isEmpty();
        }
        assertThat(published).hasSize(2);
        assertThat(published.get(0)).isEqualTo(done);
        assertThat(published.get(1)).isInstanceOf(ClusterBackupRecorded.class);
        assertThat(store.keys("staging")).isEmpty();

        // a second completion (crash before publishing) reuses the manifest instead of rewriting it
        byte[] before = store.bytes("backups", layout.manifestKey("c1", "bk-1"));
        BackupCompleted again = new BackupFinisher(store, layout, null, sink).complete(s);
        assertThat(store.bytes("backups", layout.manifestKey("c1", "bk-1"))).isEqualTo(before);
        assertThat(again.eventId()).isEqualTo(done.eventId());
    }

    @Test
    void externalStorageSaysImagesAreNotIncluded() throws Exception {
        BackupStatus s = verifiedBackup("c1", "bk-2", true, StorageKind.S3);
        new BackupFinisher(store, layout, null, sink).complete(s);
        Manifest m = EventCodec.mapper().readValue(store.bytes("backups", layout.manifestKey("c1", "bk-2")), Manifest.class);
        assertThat(m.skipped()).extracting(Manifest.Skipped::kind).containsExactly(ArtifactKind.IMAGES);
        assertThat(m.notIncluded()).anyMatch(t -> t.contains("s3 storage"));
    }

    @Test
    void failureRemovesTheBackupsObjectsInBothBuckets() throws Exception {
        BackupStatus s = verifiedBackup("c1", "bk-3", true, StorageKind.FILESYSTEM);
        store.put("staging", layout.stagingKey("c1", "bk-3", ArtifactKind.IMAGES), new ByteArrayInputStream(new byte[3]),
                3, Map.of(), "x");
        BackupFailed f = new BackupFinisher(store, layout, null, sink).fail(s,
                new BackupOutcome(BackupPhase.FAILED, "verify", "MDC failure: x"));
        assertThat(f.phase()).isEqualTo(BackupPhase.FAILED);
        assertThat(store.list("backups", "c1/bk-3/")).isEmpty();
        assertThat(store.list("staging", "c1/bk-3/")).isEmpty();
    }

    @Test
    void retentionKeepsTheNewestNAndNeverTheNewestVerified(@TempDir Path dir) throws Exception {
        Path password = Files.writeString(dir.resolve("pw"), "x");
        Path file = Files.writeString(dir.resolve("clusters.yaml"), """
                clusters:
                  - id: keep2
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp", username: a, passwordFile: "%s", fetchCa: true }
                    retention: { keepLast: 2 }
                  - id: young
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp", username: a, passwordFile: "%s", fetchCa: true }
                    retention: { maxAge: 1s }
                """.formatted(password, password));
        BackupFinisher finisher = new BackupFinisher(store, layout, ClusterRegistry.load(file), sink);
        for (int i = 1; i <= 4; i++) {
            finisher.complete(verifiedBackup("keep2", "bk-k" + i, true, StorageKind.FILESYSTEM));
        }
        assertThat(store.keys("backups").stream().map(BackupLayout::backupIdOf).distinct())
                .containsExactlyInAnyOrder("bk-k3", "bk-k4");
        // an in-flight backup (no manifest) is never touched
        store.put("backups", "keep2/bk-k0/partial.gpg", new ByteArrayInputStream(new byte[1]), 1, Map.of(), "x");
        finisher.applyRetention("keep2");
        assertThat(store.exists("backups", "keep2/bk-k0/partial.gpg")).isTrue();

        finisher.complete(verifiedBackup("young", "bk-y1", true, StorageKind.FILESYSTEM));
        Instant firstDone = Instant.now();
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(firstDone.plusMillis(1100)));
        assertThat(finisher.applyRetention("young")).isEmpty(); // the newest verified stays, however old
        finisher.complete(verifiedBackup("young", "bk-y2", true, StorageKind.FILESYSTEM));
        assertThat(store.exists("backups", layout.manifestKey("young", "bk-y1"))).isFalse();
        assertThat(store.exists("backups", layout.manifestKey("young", "bk-y2"))).isTrue();
    }
}
