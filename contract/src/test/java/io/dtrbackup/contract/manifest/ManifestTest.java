package io.dtrbackup.contract.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.Trigger;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one manifest format: what verify-service writes is what the CLI and re-verification read. */
class ManifestTest {

    private static Manifest read(String json) throws IOException {
        return Manifest.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void whatIsWrittenReadsBackEqual() throws IOException {
        Manifest m = new Manifest(Manifest.FORMAT_VERSION, "bk-1", "c1", "r1", "node-1", "2.9.4", Trigger.MANUAL, null,
                null, "dtr-registry-r1", "only", "20261125-02_00_00", Instant.parse("2026-11-25T02:00:00Z"),
                Instant.parse("2026-11-25T02:07:12.250Z"), new Manifest.Timings(432250, 800L, Map.of()),
                List.of(new Manifest.Artifact(ArtifactKind.METADATA, "dtr-metadata.tar", "c1/bk-1/dtr-metadata.tar.gpg",
                        "c1/bk-1/dtr-metadata.tar.gpg.verified.json", 61082, "ab", 60928, "cd", 12, "ef", null, null,
                        "key-1", null, 1, Instant.parse("2026-11-25T02:07:12Z"))),
                List.of(new Manifest.Skipped(ArtifactKind.IMAGES, "on S3 storage", "back it up there")),
                List.of("Users: UCP"), List.of("gpg -d dtr-metadata.tar.gpg > dtr-metadata.tar"));

        assertThat(Manifest.read(new ByteArrayInputStream(m.toJson()))).isEqualTo(m);
    }

    @Test
    void aNewerWritersFieldsAndAnOlderWritersGapsStillRead() throws IOException {
        Manifest m = read("""
                {"formatVersion": 2, "backupId": "bk-1", "clusterId": "c1", "someFutureField": {"x": 1},
                 "artifacts": [{"kind": "IMAGES", "objectKey": "c1/bk-1/i.tar.gpg", "plaintextSize": 5, "newer": true}]}
                """);

        assertThat(m.formatVersion()).isEqualTo(2);
        assertThat(m.artifacts()).singleElement().satisfies(a -> {
            assertThat(a.kind()).isEqualTo(ArtifactKind.IMAGES);
            assertThat(a.plaintextSize()).isEqualTo(5);
            assertThat(a.ciphertextSize()).isZero();
        });
        assertThat(m.completedAt()).isNull();
    }

    @Test
    void aDocumentThatIsNoManifestIsAnIoError() {
        assertThatThrownBy(() -> read("[1, 2]")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> read("")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> read("{\"artifacts\": {\"kind\": 3}}")).isInstanceOf(IOException.class);
    }
}
