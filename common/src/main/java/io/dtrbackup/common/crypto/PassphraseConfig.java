package io.dtrbackup.common.crypto;

import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ConfigType;
import io.dtrbackup.contract.config.ServiceConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * The passphrase settings, declared once for every service that encrypts or decrypts
 * (crypto-service, verify-service): the same keys mean the same files everywhere.
 */
public final class PassphraseConfig {
    /** Key ID of PASSPHRASE_FILE when ACTIVE_KEY_ID is not set. */
    public static final String DEFAULT_FILE_KEY_ID = "default";

    public static final ConfigParameter<Path> PASSPHRASE_FILE = ConfigParameter.secretFile("PASSPHRASE_FILE", false,
            "file holding the backup passphrase (one line; what restores pass to gpg --passphrase-file); "
                    + "its key ID is ACTIVE_KEY_ID, or '" + DEFAULT_FILE_KEY_ID + "'. Set this or PASSPHRASE_DIR");
    public static final ConfigParameter<Path> PASSPHRASE_DIR = ConfigParameter.optional("PASSPHRASE_DIR",
            ConfigType.EXISTING_PATH, null,
            "directory of passphrase files named by key ID (e.g. a mounted Kubernetes secret); new backups use "
                    + "ACTIVE_KEY_ID; keep old key IDs' files as long as backups made with them are kept. "
                    + "Set this or PASSPHRASE_FILE");
    public static final ConfigParameter<String> ACTIVE_KEY_ID = ConfigParameter.optional("ACTIVE_KEY_ID",
            ConfigType.STRING, null,
            "key ID of the passphrase new artifacts are encrypted with (recorded with each artifact), or the key ID "
                    + "of PASSPHRASE_FILE. Required with PASSPHRASE_DIR when it holds more than one file");

    private PassphraseConfig() {
    }

    public static List<ConfigParameter<?>> parameters() {
        return List.of(PASSPHRASE_FILE, PASSPHRASE_DIR, ACTIVE_KEY_ID);
    }

    /** The passphrases; fails (the service refuses to start) when none is configured. */
    public static PassphraseStore passphrases(ServiceConfig config, String service) {
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
        throw new ConfigException("no backup passphrase: set " + PASSPHRASE_FILE.envName() + " (one file) or "
                + PASSPHRASE_DIR.envName() + " + " + ACTIVE_KEY_ID.envName() + "; " + service
                + " refuses to start without one");
    }
}
