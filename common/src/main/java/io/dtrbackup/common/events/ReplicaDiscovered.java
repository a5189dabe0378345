package io.dtrbackup.common.events;

import java.time.Instant;
import java.util.List;

/**
 * The replica chosen for a backup and everything the backing-up stages need. No secrets: the
 * stages look credentials up in the cluster registry by {@code clusterId}.
 *
 * @param replicaChoice why this replica (named in the request, sticky from the last backup, ...)
 * @param volumeName the registry volume, or null when images live on external storage
 * @param expectedArtifacts the artifacts this backup must produce to complete
 * @param backupTimestamp the {@code YYYYmmdd-HH_MM_SS} stamp in the artifact file names
 */
public record ReplicaDiscovered(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        Trigger trigger, BackupOptions options, String replicaId, String node, String dtrVersion,
        StorageKind storageKind, String volumeName, String replicaChoice, List<ArtifactKind> expectedArtifacts,
        String backupTimestamp, Instant requestedAt) implements BackupEvent {

    public ReplicaDiscovered {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("trigger", trigger);
        options = options == null ? BackupOptions.DEFAULTS : options;
        if (replicaId == null || !replicaId.matches("[0-9a-f]{12}")) {
            throw new IllegalArgumentException("replicaId must be 12 lower-case hex characters, got '" + replicaId + "'");
        }
        if (dtrVersion == null || !dtrVersion.matches("\\d+\\.\\d+\\.\\d+")) {
            throw new IllegalArgumentException("dtrVersion must look like 2.9.4, got '" + dtrVersion + "'");
        }
        Checks.present("storageKind", storageKind);
        if (storageKind.isVolumeBacked()) {
            Checks.text("volumeName", volumeName);
        }
        expectedArtifacts = List.copyOf(Checks.present("expectedArtifacts", expectedArtifacts));
        if (!expectedArtifacts.contains(ArtifactKind.METADATA)) {
            throw new IllegalArgumentException("expectedArtifacts must contain METADATA");
        }
        Checks.text("backupTimestamp", backupTimestamp);
        Checks.present("requestedAt", requestedAt);
    }

    public boolean expects(ArtifactKind kind) {
        return expectedArtifacts.contains(kind);
    }
}
