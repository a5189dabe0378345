package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.InMemoryObjectStore;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decisions before any container runs: idempotency, cluster lookup, version gates. No Docker. */
class MetadataStagerTest {
    private static final String CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private static final String PASSWORD = "pw-unit-test-secret";
    private final BackupLayout layout = new BackupLayout("staging", "backups");
    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final AtomicInteger dockerCalls = new AtomicInteger();
    @TempDir
    Path dir;
    private MetadataStager stager;

    @BeforeEach
    void setUp() throws Exception {
        store.ensureBucket("staging");
        store.ensureBucket("backups");
        Files.writeString(dir.resolve("pw"), PASSWORD + "\n");
        Files.writeString(dir.resolve("ca.pem"), CA);
        Files.writeString(dir.resolve("clusters.yaml"), """
                clusters:
                  - id: c1
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp.example.com", username: admin, passwordFile: pw, caFile: ca.pem }
                  - id: insecure
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp.example.com", username: admin, passwordFile: pw, insecureTls: true }
                """);
        stager = new MetadataStager(new MetadataStager.Settings(layout, dir.resolve("clusters.yaml"), "docker/dtr",
                "none", Duration.ofMinutes(1), Duration.ofSeconds(1), 1 << 16, 1 << 10), store, spec -> {
                    dockerCalls.incrementAndGet();
                    throw new IllegalStateException("no Docker in unit tests");
                }, Runnable::run, Clock.systemUTC());
    }

    private static ReplicaDiscovered event(String cluster, String version, BackupOptions options) {
        return new ReplicaDiscovered(BackupEvent.CURRENT_SCHEMA_VERSION, "e1", "bk-1", cluster, Instant.now(),
                Trigger.MANUAL, options, "0123456789ab", null, version, StorageKind.FILESYSTEM, "dtr-registry-0123456789ab",
                "named", List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES), "20250101-02_00_00", Instant.now());
    }

    private static ArtifactStaged staged() {
        return new ArtifactStaged(1, EventIds.artifactStaged("bk-1", ArtifactKind.METADATA), "bk-1",
                "c1", Instant.parse("2025-01-01T02:00:05Z"), ArtifactKind.METADATA,
                "dtr-metadata-2.9.4-backup-20250101-02_00_00.tar", "c1/bk-1/metadata.tar", 10240, "a".repeat(64), 5,
                "b".repeat(64), "2.9.4", "dtr-backup-v2.9.4-online/", null, 1200);
    }

    private void put(String bucket, String key, byte[] data) {
        store.put(bucket, key, new ByteArrayInputStream(data), data.length, Map.of(), null);
    }

    @Test
    void buildsARunFromTheRegistryWithThePasswordOutsideTheArgs() {
        MetadataStager.Prepared prepared = stager.prepare(event("c1", "2.9.4", BackupOptions.DEFAULTS));
        assertThat(prepared).isInstanceOf(MetadataStager.Prepared.Run.class);
        try (MetadataStager.Prepared.Run run = (MetadataStager.Prepared.Run) prepared) {
            assertThat(run.args()).contains("--ucp-ca", CA).contains("--existing-replica-id", "0123456789ab");
            assertThat(String.join(" ", run.args())).doesNotContain(PASSWORD);
            assertThat(new String(run.password())).isEqualTo(PASSWORD);
            assertThat(run.stagingKey()).isEqualTo("c1/bk-1/metadata.tar");
            assertThat(run.artifactName()).isEqualTo("dtr-metadata-2.9.4-backup-20250101-02_00_00.tar");
            run.close();
            assertThat(new String(run.password())).doesNotContain(PASSWORD);
        }
    }

    @Test
    void insecureTlsOnlyWhenTheRegistrySaysSo() {
        try (var run = (MetadataStager.Prepared.Run) stager.prepare(event("insecure", "2.9.4", BackupOptions.DEFAULTS))) {
            assertThat(run.command().insecureTls()).isTrue();
            assertThat(run.args()).contains("--ucp-insecure-tls").doesNotContain("--ucp-ca");
        }
    }

    @Test
    void unknownClusterFails() {
        var outcome = ((MetadataStager.Prepared.Done) stager.prepare(event("nope", "2.9.4", BackupOptions.DEFAULTS)))
                .outcome();
        assertThat(((MetadataStager.Outcome.Failed) outcome).failed().reason()).contains("unknown cluster 'nope'");
    }

    @Test
    void aFlagTheVersionLacksFailsBeforeAnythingRuns() {
        BackupOptions scan = new BackupOptions(null, false, false, false, true, false, false);
        var outcome = ((MetadataStager.Prepared.Done) stager.prepare(event("c1", "2.9.4", scan))).outcome();
        assertThat(((MetadataStager.Outcome.Failed) outcome).failed().reason()).contains("--ignore-scan-data needs MSR 2.9.18");
        assertThat(dockerCalls).hasValue(0);
    }

    @Test
    void aMissingCaFileFails() throws Exception {
        Files.delete(dir.resolve("ca.pem"));
        var outcome = ((MetadataStager.Prepared.Done) stager.prepare(event("c1", "2.9.4", BackupOptions.DEFAULTS)))
                .outcome();
        assertThat(((MetadataStager.Outcome.Failed) outcome).failed().reason()).contains("ca.pem");
    }

    @Test
    void anExistingStagingRecordIsRepublished() {
        put("staging", "c1/bk-1/metadata.tar", new byte[10240]);
        put("staging", layout.stagedRecordKey("c1", "bk-1", ArtifactKind.METADATA), EventCodec.encode(staged()));
        var outcome = ((MetadataStager.Prepared.Done) stager.prepare(event("c1", "2.9.4", BackupOptions.DEFAULTS)))
                .outcome();
        assertThat(((MetadataStager.Outcome.Republish) outcome).staged()).isEqualTo(staged());
    }

    @Test
    void anEncryptedArtifactMeansNothingToDo() {
        String name = BackupLayout.artifactName(ArtifactKind.METADATA, "2.9.4", "20250101-02_00_00");
        put("backups", layout.encryptedRecordKey("c1", "bk-1", name), "{}".getBytes());
        var outcome = ((MetadataStager.Prepared.Done) stager.prepare(event("c1", "2.9.4", BackupOptions.DEFAULTS)))
                .outcome();
        assertThat(outcome).isInstanceOf(MetadataStager.Outcome.AlreadyEncrypted.class);
    }

    @Test
    void aRecordWithoutItsTarIsDiscardedAndTheBackupRunsAgain() {
        String record = layout.stagedRecordKey("c1", "bk-1", ArtifactKind.METADATA);
        put("staging", record, EventCodec.encode(staged()));
        try (var run = (MetadataStager.Prepared.Run) stager.prepare(event("c1", "2.9.4", BackupOptions.DEFAULTS))) {
            assertThat(run).isNotNull();
        }
        assertThat(store.exists("staging", record)).isFalse();
    }
}
