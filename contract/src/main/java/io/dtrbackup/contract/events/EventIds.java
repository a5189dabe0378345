package io.dtrbackup.contract.events;

import java.util.UUID;

/**
 * Event IDs. A stage that may be redelivered uses a deterministic ID built from the backup,
 * the event type and the artifact, so a consumer can recognise the duplicate; progress and
 * other repeatable events get random IDs.
 */
public final class EventIds {
    private EventIds() {
    }

    public static String deterministic(String backupId, String type, Object... parts) {
        StringBuilder id = new StringBuilder(backupId).append(':').append(type);
        for (Object part : parts) {
            id.append(':').append(part instanceof Enum<?> e ? e.name().toLowerCase(java.util.Locale.ROOT) : part);
        }
        return id.toString();
    }

    public static String random() {
        return UUID.randomUUID().toString();
    }
}
