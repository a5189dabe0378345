package io.dtrbackup.common.status;

import io.dtrbackup.contract.events.BackupEvent;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The folds of many backups, routed by backup ID (the status topic's key). Cluster-level events
 * (no backup ID) are ignored. Not thread-safe: confine it to one thread.
 */
public final class StatusBoard {
    private final Map<String, BackupStatus> backups = new LinkedHashMap<>();

    /** Applies an event to its backup's fold; returns that fold, or empty for cluster-level events. */
    public Optional<BackupStatus> apply(BackupEvent event) {
        if (event.backupId() == null) {
            return Optional.empty();
        }
        BackupStatus status = backups.computeIfAbsent(event.backupId(), BackupStatus::new);
        status.apply(event);
        return Optional.of(status);
    }

    public Optional<BackupStatus> get(String backupId) {
        return Optional.ofNullable(backups.get(backupId));
    }

    public Collection<BackupStatus> all() {
        return Collections.unmodifiableCollection(backups.values());
    }

    public void remove(String backupId) {
        backups.remove(backupId);
    }

    public int size() {
        return backups.size();
    }
}
