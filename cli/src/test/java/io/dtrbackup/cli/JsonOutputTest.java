package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupOverdue;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code --output json} documents: the field names are the contract with scripts, so each
 * document is compared, byte for byte, with a golden file under
 * {@code src/test/resources/io/dtrbackup/cli/json/} (the examples docs/operations.md shows). A change
 * of a golden file is a change of the contract: a new field is fine within a schema version, a
 * renamed or removed one needs the next version.
 */
class JsonOutputTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    static final String BACKUP = "bk-20261125T020000Z-3fa1c2d4";

    static ManifestView manifest(String json) throws IOException {
        JsonNode node = JSON.readTree(json);
        return ManifestView.parse(node.get("clusterId").asText() + "/" + node.get("backupId").asText() + "/manifest.json",
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    /** A manifest as verify-service writes it (docs/services/verify-service.md), trimmed to what the CLI reads. */
    static ManifestView completed() throws IOException {
        return manifest("""
                {"formatVersion": 1, "backupId": "bk-20261125T020000Z-3fa1c2d4", "clusterId": "prod-eu-1",
                 "replicaId": "a1640e1c15b6", "node": "node-1", "dtrVersion": "2.9.4", "trigger": "SCHEDULE",
                 "requestedAt": "2026-11-25T02:00:00Z", "completedAt": "2026-11-25T02:07:12.250Z",
                 "artifacts": [
                   {"kind": "METADATA", "artifactName": "dtr-metadata-2.9.4-backup-20261125-02_00_00.tar",
                    "objectKey": "prod-eu-1/bk-20261125T020000Z-3fa1c2d4/dtr-metadata-2.9.4-backup-20261125-02_00_00.tar.gpg",
                    "ciphertextSize": 61082, "plaintextSize": 60928,
                    "plaintextSha256": "9f2c1d0e8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e6d", "keyId": "k1"},
                   {"kind": "IMAGES", "artifactName": "dtr-image-backup-20261125-02_00_00.tar",
                    "objectKey": "prod-eu-1/bk-20261125T020000Z-3fa1c2d4/dtr-image-backup-20261125-02_00_00.snapshot.tar.gpg",
                    "ciphertextSize": 1048900, "plaintextSize": 1048576,
                    "plaintextSha256": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", "keyId": "k1",
                    "blobCount": 1834}],
                 "skipped": [],
                 "notIncluded": ["Users, organizations and teams: they live in UCP, not in DTR; back them up with a UCP backup."]}
                """);
    }

    /** Image content on external storage: the images artifact was skipped, with a reason. */
    static ManifestView metadataOnly() throws IOException {
        return manifest("""
                {"formatVersion": 1, "backupId": "bk-20261124T020000Z-77aa01bc", "clusterId": "prod-us-2",
                 "replicaId": "0b1c2d3e4f5a", "dtrVersion": "2.8.13", "trigger": "MANUAL",
                 "completedAt": "2026-11-24T02:03:00Z",
                 "artifacts": [
                   {"kind": "METADATA", "artifactName": "dtr-metadata-2.8.13-backup-20261124-02_00_00.tar",
                    "objectKey": "prod-us-2/bk-20261124T020000Z-77aa01bc/dtr-metadata-2.8.13-backup-20261124-02_00_00.tar.gpg",
                    "ciphertextSize": 50200, "plaintextSize": 50000,
                    "plaintextSha256": "1111111111111111111111111111111111111111111111111111111111111111", "keyId": "k1"}],
                 "skipped": [{"kind": "IMAGES", "reason": "image content is on S3 storage: back it up with that system's own practice"}],
                 "notIncluded": []}
                """);
    }

    /** Compares with the golden file; on a difference the actual document is left in target/json-actual/ to diff. */
    static void assertGolden(String name, String actual) throws IOException {
        String expected;
        try (InputStream in = JsonOutputTest.class.getResourceAsStream("json/" + name)) {
            expected = in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        if (!actual.equals(expected)) {
            Path file = Path.of("target", "json-actual", name);
            Files.createDirectories(file.getParent());
            Files.writeString(file, actual + "\n");
        }
        assertThat(actual).as("json/%s (the actual document is in target/json-actual/%s)", name, name).isEqualTo(expected);
    }

    @Test
    void listIsTheGoldenDocument() throws Exception {
        String json = JsonOutput.write(JsonOutput.ListOutput.of("dtr-backup", null, List.of(completed(), metadataOnly()),
                List.of("prod-eu-1/bk-20261101T020000Z-00000000/manifest.json: not JSON")));
        assertGolden("list.json", json);
    }

    @Test
    void showIsTheGoldenDocument() throws Exception {
        String json = JsonOutput.write(JsonOutput.ShowOutput.of("dtr-backup", "https://s3.example.net", completed()));
        assertGolden("show.json", json);
    }

    static ClusterBackupRecorded recorded(String cluster, String backup, Duration ago) {
        Instant at = NOW.minus(ago);
        return new ClusterBackupRecorded(BackupEvent.CURRENT_SCHEMA_VERSION, backup + ":rec", backup, cluster, at,
                "a1640e1c15b6", "2.9.4", at);
    }

    @Test
    void clustersIsTheGoldenDocument() throws Exception {
        Map<String, Duration> windows = new LinkedHashMap<>();
        windows.put("prod-eu-1", Duration.ofHours(26));
        windows.put("prod-us-2", Duration.ofHours(10));
        windows.put("staging-1", Duration.ofDays(1));
        var rows = FreshnessBoard.rows(windows, List.of(recorded("prod-eu-1", BACKUP, Duration.ofHours(9).plusMinutes(52).plusSeconds(48)),
                recorded("prod-us-2", "bk-20261124T020000Z-77aa01bc", Duration.ofHours(34)),
                recorded("old-1", "bk-20261120T020000Z-0000aaaa", Duration.ofDays(5))), NOW);
        String json = JsonOutput.write(JsonOutput.ClustersOutput.of(rows, NOW));
        assertGolden("clusters.json", json);
        assertThat(JsonOutput.ClustersOutput.of(rows.subList(0, 1), NOW).allWithinWindow()).isTrue();
    }

    @Test
    void watchOnceIsTheGoldenDocument() throws Exception {
        WatchModel model = new WatchModel(null, Duration.ofSeconds(5));
        // A backup that completed ...
        List.of(Events.discovered(1), Events.verified(300, ArtifactKind.METADATA), Events.verified(420, ArtifactKind.IMAGES),
                Events.completed(432)).forEach(model::apply);
        // ... one still encrypting its images ...
        String running = "bk-20261125T113000Z-5e6f7a8b";
        var d = Events.discovered(0);
        model.apply(new io.dtrbackup.contract.events.ReplicaDiscovered(d.schemaVersion(), "d2", running, "prod-us-2",
                NOW.minusSeconds(1800), d.trigger(), d.options(), "0b1c2d3e4f5a", null, "2.8.13", d.storageKind(),
                "dtr-registry-0b1c2d3e4f5a", "sticky", List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES),
                "20261125-11_30_00", NOW.minusSeconds(1800)));
        model.apply(new io.dtrbackup.contract.events.ArtifactVerified(d.schemaVersion(), "v2", running, "prod-us-2",
                NOW.minusSeconds(1500), ArtifactKind.METADATA, "prod-us-2/" + running + "/m.tar.gpg", 50000, Events.SHA, 60,
                null, false, 900));
        model.apply(new BackupProgress(d.schemaVersion(), "p2", running, "prod-us-2", NOW.minusSeconds(2), ArtifactKind.IMAGES,
                ArtifactPhase.ENCRYPTING, 734_003_200L, 2_147_483_648L, null, 48_500_000.0));
        // ... and a cluster the pipeline reported overdue.
        model.apply(new BackupOverdue(d.schemaVersion(), "o1", null, "staging-1", NOW.minusSeconds(600),
                "bk-20261123T020000Z-0c0c0c0c", Instant.parse("2026-11-23T02:05:00Z"), Duration.ofDays(1)));

        String json = JsonOutput.write(JsonOutput.WatchSnapshot.of(model, NOW, Duration.ofHours(12)));
        assertGolden("watch.json", json);
    }

    @Test
    void nullsAreWrittenAndNeverLeftOut() throws Exception {
        JsonNode never = JSON.readTree(JsonOutput.write(JsonOutput.ClustersOutput.of(FreshnessBoard.rows(
                Map.of("new-1", Duration.ofHours(26)), List.of(), NOW), NOW))).get("clusters").get(0);
        assertThat(never.get("status").asText()).isEqualTo("NEVER");
        for (String field : List.of("lastBackupId", "lastVerifiedAt", "replicaId", "dtrVersion", "age", "ageSeconds", "ageFraction")) {
            assertThat(never.has(field)).as("field %s present", field).isTrue();
            assertThat(never.get(field).isNull()).as("field %s null", field).isTrue();
        }
    }

    @Test
    void aManifestTimeThatIsNoInstantBecomesNullNotAGuess() {
        assertThat(JsonOutput.instant("2026-11-25T02:07:12+01:00")).isEqualTo(Instant.parse("2026-11-25T01:07:12Z"));
        assertThat(JsonOutput.instant("yesterday")).isNull();
        assertThat(JsonOutput.instant(null)).isNull();
    }
}
