package io.dtrbackup.verify;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ConfigType;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.crypto.PassphraseConfig;
import io.dtrbackup.common.crypto.PassphraseStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * verify-service's own configuration; see docs/services/verify-service.md. The passphrase keys
 * are crypto-service's, with the same meaning, so both services are given the same secret mount.
 */
public final class VerifyServiceConfig {
    /** The passphrase keys, shared with the other services that read backups (see PassphraseConfig). */
    public static final String DEFAULT_FILE_KEY_ID = PassphraseConfig.DEFAULT_FILE_KEY_ID;

    public static final ConfigParameter<Path> PASSPHRASE_FILE = PassphraseConfig.PASSPHRASE_FILE;
    public static final ConfigParameter<Path> PASSPHRASE_DIR = PassphraseConfig.PASSPHRASE_DIR;
    public static final ConfigParameter<String> ACTIVE_KEY_ID = PassphraseConfig.ACTIVE_KEY_ID;
    public static final ConfigParameter<Duration> STAGE_DEADLINE = ConfigParameter.optional("STAGE_DEADLINE",
            ConfigType.DURATION, "2h",
            "a backup with no event for this long fails (BackupFailed, stage 'deadline'): no backup stays in progress");
    public static final ConfigParameter<Duration> DEADLINE_CHECK_INTERVAL = ConfigParameter.optional(
            "DEADLINE_CHECK_INTERVAL", ConfigType.DURATION, "1m", "how often in-flight backups are checked against the deadline");
    public static final ConfigParameter<String> REQUIRED_TABLES = ConfigParameter.optional("REQUIRED_TABLES",
            ConfigType.STRING, "properties,repositories,tags",
            "comma-separated RethinkDB tables a metadata backup must hold under <top>/rethink/");
    public static final ConfigParameter<Boolean> FAST_DECRYPT = ConfigParameter.optional("FAST_DECRYPT",
            ConfigType.BOOLEAN, "true",
            "decrypt with the bulk CFB path (falls back to Bouncy Castle by itself for forms it does not read)");

    private VerifyServiceConfig() {
    }

    public static List<ConfigParameter<?>> parameters() {
        List<ConfigParameter<?>> all = new ArrayList<>(CommonConfig.all());
        all.addAll(List.of(PASSPHRASE_FILE, PASSPHRASE_DIR, ACTIVE_KEY_ID, STAGE_DEADLINE, DEADLINE_CHECK_INTERVAL,
                REQUIRED_TABLES, FAST_DECRYPT));
        return List.copyOf(all);
    }

    /** The passphrases; the service refuses to start without one. */
    public static PassphraseStore passphrases(ServiceConfig config) {
        return PassphraseConfig.passphrases(config, "verify-service");
    }

    public static List<String> requiredTables(ServiceConfig config) {
        return Arrays.stream(config.get(REQUIRED_TABLES).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
