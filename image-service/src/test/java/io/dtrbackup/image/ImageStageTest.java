package io.dtrbackup.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactSkipped;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.events.Trigger;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which events are archived and which are skipped, with what reason. */
class ImageStageTest {
    private static final BackupOptions SKIP = new BackupOptions(null, false, true, false, false, false, false);

    @Test
    void externalStorageIsSkippedWithTheSeedsGuidance() {
        for (StorageKind kind : List.of(StorageKind.S3, StorageKind.AZURE, StorageKind.SWIFT, StorageKind.GCS)) {
            ArtifactSkipped s = ImageStage.skipDecision(event(kind, null, BackupOptions.DEFAULTS,
                    List.of(ArtifactKind.METADATA))).orElseThrow();
            assertThat(s.kind()).isEqualTo(ArtifactKind.IMAGES);
            assertThat(s.reason()).contains("external storage (" + kind.name().toLowerCase() + ")");
            assertThat(s.guidance()).isEqualTo("If you're using a different storage backend, follow the best "
                    + "practices recommended for that system");
            assertThat(s.eventId()).isEqualTo("bk-1:ArtifactSkipped:images");
        }
    }

    @Test
    void skipImagesAndUnexpectedImagesAreSkipped() {
        assertThat(ImageStage.skipDecision(event(StorageKind.FILESYSTEM, "dtr-registry-0123456789ab", SKIP,
                List.of(ArtifactKind.METADATA))).orElseThrow().reason()).contains("options.skipImages");
        assertThat(ImageStage.skipDecision(event(StorageKind.NFS, "dtr-registry-nfs-0123456789ab",
                BackupOptions.DEFAULTS, List.of(ArtifactKind.METADATA))).orElseThrow().reason())
                .contains("did not expect");
    }

    @Test
    void volumeBackedStorageIsArchived() {
        for (StorageKind kind : List.of(StorageKind.FILESYSTEM, StorageKind.NFS)) {
            assertThat(ImageStage.skipDecision(event(kind, "dtr-registry-0123456789ab",
                    BackupOptions.DEFAULTS, List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES)))).isEmpty();
        }
    }

    private static ReplicaDiscovered event(StorageKind kind, String volume, BackupOptions options,
            List<ArtifactKind> expected) {
        Instant now = Instant.parse("2026-11-25T02:00:00Z");
        return new ReplicaDiscovered(BackupEvent.CURRENT_SCHEMA_VERSION, "bk-1:ReplicaDiscovered", "bk-1", "c1", now,
                Trigger.MANUAL, options, "0123456789ab", null, "2.9.4", kind, volume, "test", expected,
                "20261125-02_00_00", now);
    }
}
