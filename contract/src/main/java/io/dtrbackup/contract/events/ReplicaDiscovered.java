package io.dtrbackup.contract.events;

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
@Rules.When(component = "storageKind", in = {"FILESYSTEM", "NFS"}, text = "volumeName")
public record ReplicaDiscovered(
        int schemaVersion, String eventId, String backupId, String clusterId, Instant occurredAt,
        @Rules.Required Trigger trigger, BackupOptions options, @Rules.Matches(Checks.REPLICA_ID) String replicaId,
        String node, @Rules.Matches(Checks.DTR_VERSION) String dtrVersion, @Rules.Required StorageKind storageKind,
        String volumeName, String replicaChoice, @Rules.Contains("METADATA") List<ArtifactKind> expectedArtifacts,
        @Rules.Text String backupTimestamp, @Rules.Required Instant requestedAt) implements BackupEvent {

    public ReplicaDiscovered {
        Checks.envelope(schemaVersion, eventId, backupId, true, clusterId, occurredAt);
        Checks.present("trigger", trigger);
        options = options == null ? BackupOptions.DEFAULTS : options;
        if (replicaId == null || !replicaId.matches(Checks.REPLICA_ID)) {
            throw new IllegalArgumentException("replicaId must be 12 lower-case hex characters, got '" + replicaId + "'");
        }
        if (dtrVersion == null || !dtrVersion.matches(Checks.DTR_VERSION)) {
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
