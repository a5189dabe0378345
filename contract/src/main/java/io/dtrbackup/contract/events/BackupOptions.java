package io.dtrbackup.contract.events;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a request may ask for. Missing booleans mean false, so a hand-written request only
 * names what it wants.
 *
 * @param replicaId back up this replica (12 hex characters) instead of the sticky choice
 * @param offline pass {@code --offline-backup} (stops the replica during the metadata backup)
 * @param skipImages back up metadata only
 * @param ignoreEventsTable pass {@code --ignore-events-table} (DTR 2.8+)
 * @param ignoreScanData pass {@code --ignore-scan-data} (MSR 2.9.18+)
 * @param force start even when another backup of the cluster is in flight
 * @param allowReplicaFallback if the named or sticky replica is gone or unhealthy, use another
 */
public record BackupOptions(
        @Rules.Matches(value = Checks.REPLICA_ID, required = false) String replicaId,
        boolean offline,
        boolean skipImages,
        boolean ignoreEventsTable,
        boolean ignoreScanData,
        boolean force,
        boolean allowReplicaFallback) {

    public static final BackupOptions DEFAULTS = new BackupOptions(null, false, false, false, false, false, false);

    @JsonCreator
    static BackupOptions fromJson(
            @JsonProperty("replicaId") String replicaId,
            @JsonProperty("offline") Boolean offline,
            @JsonProperty("skipImages") Boolean skipImages,
            @JsonProperty("ignoreEventsTable") Boolean ignoreEventsTable,
            @JsonProperty("ignoreScanData") Boolean ignoreScanData,
            @JsonProperty("force") Boolean force,
            @JsonProperty("allowReplicaFallback") Boolean allowReplicaFallback) {
        return new BackupOptions(replicaId, isTrue(offline), isTrue(skipImages), isTrue(ignoreEventsTable),
                isTrue(ignoreScanData), isTrue(force), isTrue(allowReplicaFallback));
    }

    public BackupOptions {
        if (replicaId != null && !replicaId.matches(Checks.REPLICA_ID)) {
            throw new IllegalArgumentException("options.replicaId must be a DTR replica ID (12 lower-case hex characters), got '"
                    + replicaId + "'");
        }
    }

    private static boolean isTrue(Boolean value) {
        return value != null && value;
    }
}
