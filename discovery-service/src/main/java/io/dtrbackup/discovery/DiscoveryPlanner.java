package io.dtrbackup.discovery;

import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.StorageKind;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The decisions of discovery, without I/O: from a cluster's inventory, the request's options and
 * the last completed backup, either everything ReplicaDiscovered needs or an operator-facing
 * reason why the backup cannot start.
 */
public final class DiscoveryPlanner {
    private DiscoveryPlanner() {
    }

    /** What discovery decided. */
    public sealed interface Plan permits Discovered, Failed {
    }

    public record Discovered(ClusterInventory.Replica replica, String dtrVersion, StorageKind storageKind,
            String volumeName, List<ArtifactKind> expectedArtifacts, String replicaChoice) implements Plan {
    }

    public record Failed(String reason) implements Plan {
    }

    public static Plan plan(ClusterSpec cluster, BackupOptions options, ClusterInventory inventory,
            ClusterBackupRecorded last) {
        if (inventory.replicas().isEmpty()) {
            return new Failed("no DTR containers (dtr-<component>-<12 hex replica ID>, running or stopped) on "
                    + inventory.endpoint() + " for cluster '" + cluster.id() + "': check that docker.endpoint and the "
                    + "client bundle in the cluster registry point at this DTR's UCP (or DTR node), and that DTR is "
                    + "installed");
        }
        // Restore needs the same DTR version: a cluster mid-upgrade cannot give a consistent backup.
        Map<String, Set<String>> versions = new TreeMap<>();
        for (ClusterInventory.Replica r : inventory.replicas()) {
            for (String v : r.versions()) {
                versions.computeIfAbsent(v, k -> new TreeSet<>()).add(r.replicaId());
            }
        }
        if (versions.isEmpty()) {
            return new Failed("the DTR containers of cluster '" + cluster.id() + "' carry no DTR_VERSION in their "
                    + "environment: are these real DTR containers? (replicas: " + ReplicaChooser.describe(inventory) + ")");
        }
        if (versions.size() > 1) {
            return new Failed("the replicas of cluster '" + cluster.id() + "' disagree on DTR_VERSION ("
                    + versions.entrySet().stream().map(e -> e.getKey() + " on " + String.join(", ", e.getValue()))
                            .collect(Collectors.joining("; "))
                    + "): an upgrade is in progress or did not finish; finish it (docker/dtr upgrade) or remove the "
                    + "stale replica (docker/dtr remove), then request the backup again");
        }
        String version = versions.keySet().iterator().next();
        if (!version.matches("\\d+\\.\\d+\\.\\d+")) {
            return new Failed("cluster '" + cluster.id() + "' reports DTR_VERSION '" + version + "', which is not a "
                    + "MAJOR.MINOR.PATCH version the docker/dtr image can be tagged with");
        }
        String optionProblem = optionProblem(options, version);
        if (optionProblem != null) {
            return new Failed(optionProblem);
        }

        ReplicaChooser.Choice choice = ReplicaChooser.choose(cluster.id(), options, inventory, last);
        if (!choice.chosen()) {
            return new Failed(choice.failure());
        }
        ClusterInventory.Replica replica = choice.replica();

        StorageKind storage;
        String volume;
        StorageKind override = cluster.storageOverride();
        if (override != null && !override.isVolumeBacked()) {
            storage = override;
            volume = null;
        } else if (replica.volumeName() != null) {
            storage = replica.nfs() ? StorageKind.NFS : StorageKind.FILESYSTEM;
            volume = replica.volumeName();
            if (override != null && override != storage) {
                return new Failed("the cluster registry says storage " + override.name().toLowerCase() + " for cluster '"
                        + cluster.id() + "', but replica " + replica.replicaId() + " uses volume " + volume
                        + ": fix 'storage:' in the cluster registry (or remove it to detect the storage)");
            }
        } else {
            return new Failed("replica " + replica.replicaId() + " of cluster '" + cluster.id() + "' has no registry "
                    + "volume (dtr-registry-" + replica.replicaId() + " or dtr-registry-nfs-" + replica.replicaId()
                    + "): if its images live on S3, Azure, Swift or GCS set 'storage:' for the cluster in the cluster "
                    + "registry (those are backed up with that system's own tools)");
        }
        List<ArtifactKind> expected = storage.isVolumeBacked() && !options.skipImages()
                ? List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES)
                : List.of(ArtifactKind.METADATA);
        return new Discovered(replica, version, storage, volume, expected, choice.reason());
    }

    /** Flags {@code docker/dtr backup} of this version does not have: fail now rather than in metadata-service. */
    static String optionProblem(BackupOptions options, String version) {
        if (options.ignoreEventsTable() && compare(version, "2.8.0") < 0) {
            return "options.ignoreEventsTable needs DTR 2.8.0 or later (--ignore-events-table); this cluster runs DTR "
                    + version + ": drop the option";
        }
        if (options.ignoreScanData() && compare(version, "2.9.18") < 0) {
            return "options.ignoreScanData needs MSR 2.9.18 or later (--ignore-scan-data); this cluster runs DTR "
                    + version + ": drop the option";
        }
        return null;
    }

    static int compare(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < 3; i++) {
            int c = Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i]));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }
}
