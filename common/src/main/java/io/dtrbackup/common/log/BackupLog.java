package io.dtrbackup.common.log;

import org.slf4j.MDC;

/**
 * Puts the backup and cluster IDs on every log line written inside a scope (logback pattern
 * {@code %X{backupId}}). Vert.x moves work between threads, so each handler or blocking task
 * that works for a backup opens its own scope.
 */
public final class BackupLog {
    public static final String BACKUP_ID = "backupId";
    public static final String CLUSTER_ID = "clusterId";

    private BackupLog() {
    }

    /** An MDC scope; closing it restores what was there before. */
    public static Scope scope(String backupId, String clusterId) {
        String previousBackup = MDC.get(BACKUP_ID);
        String previousCluster = MDC.get(CLUSTER_ID);
        put(BACKUP_ID, backupId);
        put(CLUSTER_ID, clusterId);
        return () -> {
            put(BACKUP_ID, previousBackup);
            put(CLUSTER_ID, previousCluster);
        };
    }

    private static void put(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }

    /** An MDC scope that closes without checked exceptions. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
