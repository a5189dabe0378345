package io.dtrbackup.contract.config;

/**
 * One configuration key: read from the environment as {@code DTR_BACKUP_<key>} or from the
 * config file as {@code <key>}. Secrets are never values: a secret is configured as the path of
 * a file that holds it ({@link #secretFile}), and only the path is ever logged.
 *
 * @param key upper-case name without the prefix, e.g. {@code KAFKA_BOOTSTRAP_SERVERS}
 * @param defaultValue text of the default, or null when there is none
 * @param required start-up fails when a required key has neither a value nor a default
 */
public record ConfigParameter<T>(String key, ConfigType<T> type, String defaultValue, boolean required,
        String doc) {

    public static final String ENV_PREFIX = "DTR_BACKUP_";

    public ConfigParameter {
        if (!key.matches("[A-Z][A-Z0-9_]*")) {
            throw new IllegalArgumentException("config key must be UPPER_SNAKE_CASE: " + key);
        }
    }

    public static <T> ConfigParameter<T> optional(String key, ConfigType<T> type, String defaultValue, String doc) {
        return new ConfigParameter<>(key, type, defaultValue, false, doc);
    }

    public static <T> ConfigParameter<T> required(String key, ConfigType<T> type, String doc) {
        return new ConfigParameter<>(key, type, null, true, doc);
    }

    /** A file that holds a secret (password, passphrase, key). The key should end in {@code _FILE}. */
    public static ConfigParameter<java.nio.file.Path> secretFile(String key, boolean required, String doc) {
        return new ConfigParameter<>(key, ConfigType.EXISTING_PATH, null, required, doc);
    }

    public String envName() {
        return ENV_PREFIX + key;
    }
}
