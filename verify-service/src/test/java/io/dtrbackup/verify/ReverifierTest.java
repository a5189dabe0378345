package io.dtrbackup.verify;

import io.dtrbackup.verify.completion.BackupFinisher;
import io.dtrbackup.verify.completion.BackupFinisherTest;
import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupReverified;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.VerifyRequested;
import io.dtrbackup.common.metrics.PipelineMeters;
import io.dtrbackup.contract.layout.BackupLayout;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Re-verification of stored backups on an in-memory store: the events it publishes and the verdict it counts. */
class ReverifierTest {
    /** Stored, completed backups: BackupFinisherTest's fixtures. */
    final BackupFinisherTest backups = new BackupFinisherTest();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final PipelineMeters meters = new PipelineMeters(registry);
    final Reverifier reverifier = new Reverifier(backups.store, backups.layout, new ArtifactVerifier(backups.store,
            "backups", id -> id.equals("k1") ? backups.passphrase.toCharArray() : null, List.of(), true), meters);

    void completed(String cluster, String backup) throws Exception {
        new BackupFinisher(backups.store, backups.layout, null, backups.sink)
                .complete(backups.verifiedBackup(cluster, backup, false, StorageKind.FILESYSTEM));
    }

    static VerifyRequested request(String cluster, String backup) {
        return new VerifyRequested(BackupEvent.CURRENT_SCHEMA_VERSION, "req-" + backup, backup, cluster, Instant.now(),
                "test");
    }

    double count(String cluster, String outcome) {
        Counter c = registry.find(PipelineMeters.REVERIFICATIONS).tags("cluster", cluster, "outcome", outcome).counter();
        return c == null ? Double.NaN : c.count();
    }

    @Test
    void anIntactBackupIsReportedPerArtifactThenCountedIntact() throws Exception {
        completed("c1", "bk-1");
        List<BackupEvent> events = reverifier.reverify(request("c1", "bk-1"));
        assertThat(events).hasSize(3);
        assertThat(events.subList(0, 2)).allSatisfy(e -> assertThat(((ArtifactVerified) e).reverification()).isTrue());
        BackupReverified verdict = (BackupReverified) events.get(2);
        assertThat(verdict.intact()).isTrue();
        assertThat(count("c1", "intact")).isEqualTo(1.0);
        assertThat(count("c1", "damaged")).as("no damaged series before a damaged backup").isNaN();
    }

    @Test
    void aChangedObjectOrAMissingManifestIsCountedDamaged() throws Exception {
        completed("c1", "bk-2");
        String images = backups.store.keys("backups").stream()
                .filter(k -> k.startsWith("c1/bk-2/") && k.contains("image")).findFirst().orElseThrow();
        byte[] cipher = backups.store.bytes("backups", images);
        cipher[cipher.length / 2] ^= 1;
        backups.store.put("backups", images, new ByteArrayInputStream(cipher), cipher.length, Map.of(), "x");

        List<BackupEvent> events = reverifier.reverify(request("c1", "bk-2"));
        assertThat(events).hasAtLeastOneElementOfType(ArtifactFailed.class);
        BackupReverified verdict = (BackupReverified) events.get(events.size() - 1);
        assertThat(verdict.intact()).isFalse();
        assertThat(verdict.problems()).singleElement().asString().startsWith("images: ");

        BackupReverified missing = (BackupReverified) reverifier.reverify(request("c1", "bk-none")).get(0);
        assertThat(missing.problems()).singleElement().asString().startsWith("missing: no c1/bk-none/manifest.json");
        assertThat(count("c1", "damaged")).isEqualTo(2.0);
        assertThat(count("c1", "intact")).isNaN();
    }

    @Test
    void knownClustersStartEveryOutcomeCounterAtZero() {
        meters.knownClusters(List.of("c1", "c2"));
        for (String cluster : List.of("c1", "c2")) {
            for (String outcome : PipelineMeters.REVERIFICATION_OUTCOMES) {
                assertThat(count(cluster, outcome)).as(cluster + " " + outcome).isZero();
            }
            for (String outcome : PipelineMeters.BACKUP_OUTCOMES) {
                assertThat(registry.find(PipelineMeters.BACKUPS).tags("cluster", cluster, "outcome", outcome).counter())
                        .as(cluster + " " + outcome).isNotNull().extracting(Counter::count).isEqualTo(0.0);
            }
        }
        meters.backup("c1", "failed", null);
        assertThat(registry.find(PipelineMeters.BACKUPS).tags("cluster", "c1", "outcome", "failed").counter().count())
                .isEqualTo(1.0);
    }
}
