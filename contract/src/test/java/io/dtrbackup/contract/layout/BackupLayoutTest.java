package io.dtrbackup.contract.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.events.ArtifactKind;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BackupLayoutTest {
    final BackupLayout layout = new BackupLayout("staging", "backups");

    @Test
    void fileNamesFollowTheSeed() {
        String stamp = BackupLayout.timestamp(Instant.parse("2026-11-25T02:03:04Z"));
        assertThat(stamp).isEqualTo("20261125-02_03_04");
        assertThat(BackupLayout.artifactName(ArtifactKind.METADATA, "2.9.4", stamp))
                .isEqualTo("dtr-metadata-2.9.4-backup-20261125-02_03_04.tar");
        assertThat(BackupLayout.artifactName(ArtifactKind.IMAGES, "2.9.4", stamp))
                .isEqualTo("dtr-image-backup-20261125-02_03_04.tar");
    }

    @Test
    void keysLiveUnderClusterAndBackup() {
        assertThat(layout.stagingKey("c1", "bk-1", ArtifactKind.IMAGES)).isEqualTo("c1/bk-1/images.tar");
        assertThat(layout.encryptedKey("c1", "bk-1", "dtr-image-backup-20261125-02_03_04.tar"))
                .isEqualTo("c1/bk-1/dtr-image-backup-20261125-02_03_04.tar.gpg");
        assertThat(layout.manifestKey("c1", "bk-1")).isEqualTo("c1/bk-1/manifest.json");
        assertThat(BackupLayout.backupIdOf("c1/bk-1/manifest.json")).isEqualTo("bk-1");
    }

    @Test
    void refusesUnsafeIdsAndSharedBuckets() {
        assertThatThrownBy(() -> layout.stagingKey("../c1", "bk-1", ArtifactKind.IMAGES))
                .hasMessageContaining("clusterId");
        assertThatThrownBy(() -> new BackupLayout("same", "same")).hasMessageContaining("plaintext never");
    }
}
