package io.dtrbackup.contract.config;

/** Invalid or missing configuration; the message lists every problem and never a secret. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
