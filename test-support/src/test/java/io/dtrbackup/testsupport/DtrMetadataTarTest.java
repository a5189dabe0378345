package io.dtrbackup.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

class DtrMetadataTarTest {

    @Test
    void onlineBackupOf29HasOnlineFolderAndAllTables() throws IOException {
        byte[] tar = DtrSimulator.expectedMetadataTar("2.9.4", true, false, false);
        assertThat(tar.length % 512).isZero();
        List<String> names = names(tar);
        assertThat(names.get(0)).isEqualTo("dtr-backup-v2.9.4-online/");
        assertThat(names.get(1)).isEqualTo("dtr-backup-v2.9.4-online/rethink/");
        for (String table : DtrMetadataTar.TABLES) {
            assertThat(names).contains("dtr-backup-v2.9.4-online/rethink/" + table + "/");
        }
        assertThat(names).contains("dtr-backup-v2.9.4-online/rethink/properties/0");
    }

    @Test
    void foldersFollowVersionAndMode() throws IOException {
        assertThat(names(DtrSimulator.expectedMetadataTar("2.9.4", false, false, false)).get(0)).isEqualTo("dtr-backup-v2.9.4/");
        assertThat(names(DtrSimulator.expectedMetadataTar("2.7.5", true, false, false)).get(0)).isEqualTo("dtr-backup-v2.7.5/");
    }

    @Test
    void ignoreFlagsDropTables() throws IOException {
        List<String> names = names(DtrSimulator.expectedMetadataTar("2.9.18", true, true, true));
        assertThat(names).noneMatch(n -> n.contains("/events/") || n.contains("/scanned_"));
        assertThat(names).anyMatch(n -> n.contains("/tags/"));
    }

    @Test
    void deterministicAndPaddable() throws IOException {
        assertThat(DtrSimulator.expectedMetadataTar("2.9.4", true, false, false))
                .isEqualTo(DtrSimulator.expectedMetadataTar("2.9.4", true, false, false));
        byte[] padded = DtrMetadataTar.bytes("2.9.4", true, false, false, 3_500_000);
        assertThat(padded.length).isGreaterThan(3_500_000);
        assertThat(DtrMetadataTar.sha256("2.9.4", true, false, false, 3_500_000))
                .isEqualTo(sha(padded));
        assertThat(names(padded).stream().filter(n -> n.contains("/events/")).count()).isGreaterThan(4);
    }

    @Test
    void versionRules() {
        assertThat(DtrVersion.parse("2.7.5").supportsIgnoreEventsTable()).isFalse();
        assertThat(DtrVersion.parse("2.8.0").supportsIgnoreEventsTable()).isTrue();
        assertThat(DtrVersion.parse("2.9.17").supportsIgnoreScanData()).isFalse();
        assertThat(DtrVersion.parse("2.9.18").supportsIgnoreScanData()).isTrue();
        assertThat(DtrVersion.parse("3.1.0-tp1").supportsIgnoreScanData()).isTrue();
        assertThatThrownBy(() -> DtrVersion.parse("latest")).isInstanceOf(IllegalArgumentException.class);
    }

    private static String sha(byte[] b) {
        return java.util.HexFormat.of().formatHex(RegistryTreeGenerator.sha256().digest(b));
    }

    static List<String> names(byte[] tar) throws IOException {
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                names.add(e.getName());
            }
        }
        return names;
    }
}
