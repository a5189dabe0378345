package io.dtrbackup.contract.topics;

import io.dtrbackup.contract.events.BackupEvent;
import java.util.Map;
import java.util.Set;

/**
 * One Kafka topic of the pipeline: its name, what keys its records, which event types it
 * carries and how it is created. Declared once, in {@link Topics}.
 */
public record Topic(String name, KeyedBy keyedBy, Set<Class<? extends BackupEvent>> eventTypes,
        Map<String, String> configs, String description) {

    /** Which entity's order matters on a topic, and so keys its records. */
    public enum KeyedBy {
        /** All requests of one cluster in order: one partition sees them all. */
        CLUSTER,
        /** All events of one backup in order. */
        BACKUP
    }

    public Topic {
        eventTypes = Set.copyOf(eventTypes);
        configs = Map.copyOf(configs);
    }

    public boolean carries(BackupEvent event) {
        return eventTypes.stream().anyMatch(type -> type.isInstance(event));
    }

    /**
     * The record key for an event on this topic. Cluster-level events (no backup ID) are keyed by
     * cluster even on backup-keyed topics.
     */
    public String keyOf(BackupEvent event) {
        if (!carries(event)) {
            throw new IllegalArgumentException(event.type() + " does not belong on topic " + name);
        }
        return keyedBy == KeyedBy.CLUSTER || event.backupId() == null ? event.clusterId() : event.backupId();
    }

    @Override
    public String toString() {
        return name;
    }
}
