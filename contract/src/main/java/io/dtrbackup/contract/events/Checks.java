package io.dtrbackup.contract.events;

import java.time.Instant;
import java.util.regex.Pattern;

/** Validation shared by the event records' constructors: a bad event never exists in memory. */
public final class Checks {
    /** IDs become Kafka keys and object-key components: keep them boring. */
    public static final String ID = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}";
    /** A SHA-256 digest in lower-case hex. */
    public static final String SHA256 = "[0-9a-f]{64}";
    /** A DTR replica ID. */
    public static final String REPLICA_ID = "[0-9a-f]{12}";
    /** A DTR version, e.g. 2.9.4. */
    public static final String DTR_VERSION = "[0-9]+\\.[0-9]+\\.[0-9]+";

    private static final Pattern ID_PATTERN = Pattern.compile(ID);
    private static final Pattern SHA256_PATTERN = Pattern.compile(SHA256);

    private Checks() {
    }

    public static String id(String field, String value) {
        if (value == null || !ID_PATTERN.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must be 1-128 characters of [A-Za-z0-9._-] "
                    + "starting with a letter or digit, got " + quote(value));
        }
        return value;
    }

    public static String text(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
        return value;
    }

    public static <T> T present(String field, T value) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is required");
        }
        return value;
    }

    public static long nonNegative(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + " must be >= 0, got " + value);
        }
        return value;
    }

    public static String sha256(String field, String value) {
        if (value == null || !SHA256_PATTERN.matcher(value).matches()) {
            throw new IllegalArgumentException(field + " must be 64 lower-case hex characters, got " + quote(value));
        }
        return value;
    }

    /** Validates the envelope every event shares. backupId may be null only when allowed. */
    public static void envelope(int schemaVersion, String eventId, String backupId, boolean backupIdRequired,
            String clusterId, Instant occurredAt) {
        if (schemaVersion < 1 || schemaVersion > BackupEvent.CURRENT_SCHEMA_VERSION) {
            throw new IllegalArgumentException("schemaVersion " + schemaVersion + " is not supported (this build reads 1.."
                    + BackupEvent.CURRENT_SCHEMA_VERSION + ")");
        }
        text("eventId", eventId);
        if (backupIdRequired || backupId != null) {
            id("backupId", backupId);
        }
        id("clusterId", clusterId);
        present("occurredAt", occurredAt);
    }

    private static String quote(String value) {
        return value == null ? "nothing" : "'" + (value.length() > 80 ? value.substring(0, 80) + "…" : value) + "'";
    }
}
