package io.dtrbackup.verify;

import io.dtrbackup.common.config.CommonConfig;
import io.dtrbackup.common.config.ConfigException;
import io.dtrbackup.common.config.ConfigParameter;
import io.dtrbackup.common.config.ConfigType;
import io.dtrbackup.common.config.ServiceConfig;
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
    /** Key ID of PASSPHRASE_FILE when ACTIVE_KEY_ID is not set (as crypto-service). */
    public static final String DEFAULT_FILE_KEY_ID = "default";

    public static final ConfigParameter<Path> PASSPHRASE_FILE = ConfigParameter.secretFile("PASSPHRASE_FILE", false,
            "file holding the backup passphrase (as crypto-service); its key ID is ACTIVE_KEY_ID, or '"
                    + DEFAULT_FILE_KEY_ID + "'. Set this or PASSPHRASE_DIR");
    public static final ConfigParameter<Path> PASSPHRASE_DIR = ConfigParameter.optional("PASSPHRASE_DIR",
            ConfigType.EXISTING_PATH, null,
            "directory of passphrase files named by key ID (as crypto-service); keep old key IDs' files as long as "
                    + "backups made with them are kept. Re-read when an artifact names an unknown key ID");
    public static final ConfigParameter<String> ACTIVE_KEY_ID = ConfigParameter.optional("ACTIVE_KEY_ID",
            ConfigType.STRING, null, "key ID of PASSPHRASE_FILE, or the active one of PASSPHRASE_DIR (as crypto-service)");
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
        Path file = config.get(PASSPHRASE_FILE);
        Path dir = config.get(PASSPHRASE_DIR);
        String active = config.get(ACTIVE_KEY_ID);
        if (file != null && dir != null) {
            throw new ConfigException("set only one of " + PASSPHRASE_FILE.envName() + " and " + PASSPHRASE_DIR.envName());
        }
        if (file != null) {
            return PassphraseStore.fromFile(file, active == null ? DEFAULT_FILE_KEY_ID : active);
        }
        if (dir != null) {
            return PassphraseStore.fromDirectory(dir, active);
        }
        throw new ConfigException("no backup passphrase: set " + PASSPHRASE_FILE.envName() + " or "
                + PASSPHRASE_DIR.envName() + " (the same as crypto-service); verify-service cannot verify without it");
    }

    public static List<String> requiredTables(ServiceConfig config) {
        return Arrays.stream(config.get(REQUIRED_TABLES).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
