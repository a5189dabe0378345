package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.events.BackupOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

class DtrBackupCommandTest {
    private static final String CA = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    private static final BackupOptions NONE = BackupOptions.DEFAULTS;

    private static BackupOptions options(boolean offline, boolean ignoreEvents, boolean ignoreScan) {
        return new BackupOptions(null, offline, false, ignoreEvents, ignoreScan, false, false);
    }

    @Test
    void buildsTheSeedsCommandWithTheCaAndNoPassword() throws Exception {
        List<String> args = new DtrBackupCommand("https://ucp.example.com", "admin", CA, false, "a1640e1c15b6", "2.9.4",
                NONE).args();
        assertThat(args).containsExactly("backup", "--ucp-url", "https://ucp.example.com", "--ucp-username", "admin",
                "--ucp-ca", CA, "--existing-replica-id", "a1640e1c15b6");
        assertThat(String.join(" ", args)).doesNotContain("password").doesNotContain("insecure");
    }

    @Test
    void insecureTlsReplacesTheCaFlag() throws Exception {
        List<String> args = new DtrBackupCommand("https://u", "admin", null, true, "a1640e1c15b6", "2.9.4", NONE).args();
        assertThat(args).contains("--ucp-insecure-tls").doesNotContain("--ucp-ca");
    }

    @Test
    void noCaAndNotInsecureIsRefused() {
        assertThatThrownBy(() -> new DtrBackupCommand("https://u", "admin", null, false, "a1640e1c15b6", "2.9.4", NONE)
                .args()).isInstanceOf(DtrBackupCommand.Refused.class).hasMessageContaining("caFile");
    }

    @Test
    void optionalFlagsFollowTheRequest() throws Exception {
        List<String> args = new DtrBackupCommand("https://u", "admin", CA, false, "a1640e1c15b6", "2.9.18",
                options(true, true, true)).args();
        assertThat(args).endsWith("--offline-backup", "--ignore-events-table", "--ignore-scan-data");
    }

    @Test
    void ignoreEventsTableNeedsDtr28() throws Exception {
        assertThatThrownBy(() -> new DtrBackupCommand("https://u", "a", CA, false, "a1640e1c15b6", "2.7.9",
                options(false, true, false)).args()).isInstanceOf(DtrBackupCommand.Refused.class)
                .hasMessageContaining("--ignore-events-table needs DTR 2.8.0").hasMessageContaining("2.7.9");
        assertThat(new DtrBackupCommand("https://u", "a", CA, false, "a1640e1c15b6", "2.8.0",
                options(false, true, false)).args()).contains("--ignore-events-table");
    }

    @Test
    void ignoreScanDataNeedsMsr2918() throws Exception {
        assertThatThrownBy(() -> new DtrBackupCommand("https://u", "a", CA, false, "a1640e1c15b6", "2.9.17",
                options(false, false, true)).args()).isInstanceOf(DtrBackupCommand.Refused.class)
                .hasMessageContaining("--ignore-scan-data needs MSR 2.9.18");
        assertThatThrownBy(() -> new DtrBackupCommand("https://u", "a", CA, false, "a1640e1c15b6", "2.8.5",
                options(false, false, true)).args()).isInstanceOf(DtrBackupCommand.Refused.class);
        assertThat(new DtrBackupCommand("https://u", "a", CA, false, "a1640e1c15b6", "3.0.0",
                options(false, false, true)).args()).contains("--ignore-scan-data");
    }

    @Test
    void versionComparison() {
        assertThat(DtrBackupCommand.atLeast("2.9.18", DtrBackupCommand.IGNORE_SCAN_SINCE)).isTrue();
        assertThat(DtrBackupCommand.atLeast("2.10.0", DtrBackupCommand.IGNORE_SCAN_SINCE)).isTrue();
        assertThat(DtrBackupCommand.atLeast("2.9.9", DtrBackupCommand.IGNORE_SCAN_SINCE)).isFalse();
        assertThat(DtrBackupCommand.atLeast("garbage", DtrBackupCommand.IGNORE_SCAN_SINCE)).isFalse();
    }

    @Test
    void describeShortensTheCa() throws Exception {
        List<String> args = new DtrBackupCommand("https://u", "admin", CA, false, "a1640e1c15b6", "2.9.4", NONE).args();
        assertThat(DtrBackupCommand.describe(args)).contains("<CA PEM, " + CA.length() + " chars>").doesNotContain("AAAA");
    }
}
