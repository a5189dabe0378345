package io.dtrbackup.discovery;

import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.StorageKind;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Hand-built clusters and inventories for unit tests. */
final class Fixtures {
    static final String A = "0a0000000000";
    static final String B = "0b0000000000";
    static final String C = "0c0000000000";

    private Fixtures() {
    }

    static ClusterSpec cluster(String id, StorageKind override) {
        return cluster(id, override, null, Duration.ofHours(26));
    }

    static ClusterSpec cluster(String id, StorageKind override, String schedule, Duration freshness) {
        return new ClusterSpec(id, new ClusterSpec.DockerEndpoint("unix:///var/run/docker.sock", null, false),
                new ClusterSpec.UcpSettings("https://ucp", "admin", Path.of("/pw"), Path.of("/ca"), false, false, false),
                override, schedule, freshness, ClusterSpec.Retention.KEEP_ALL);
    }

    /** A replica whose five containers run (or not), on filesystem storage unless nfs. */
    static ClusterInventory.Replica replica(String id, String version, boolean running, boolean nfs) {
        Map<String, ClusterInventory.Container> containers = new LinkedHashMap<>();
        for (String component : List.of("rethinkdb", "registry", "api", "nginx", "jobrunner")) {
            containers.put(component, new ClusterInventory.Container("dtr-" + component + "-" + id, component, running,
                    running ? "running" : "exited", version));
        }
        return new ClusterInventory.Replica(id, "node-" + id.charAt(1), containers,
                (nfs ? "dtr-registry-nfs-" : "dtr-registry-") + id, nfs);
    }

    static ClusterInventory.Replica withStopped(ClusterInventory.Replica r, String component) {
        Map<String, ClusterInventory.Container> containers = new LinkedHashMap<>(r.containers());
        ClusterInventory.Container c = containers.get(component);
        containers.put(component, new ClusterInventory.Container(c.name(), component, false, "exited", c.dtrVersion()));
        return new ClusterInventory.Replica(r.replicaId(), r.node(), containers, r.volumeName(), r.nfs());
    }

    static ClusterInventory inventory(ClusterInventory.Replica... replicas) {
        return new ClusterInventory("unix:///var/run/docker.sock", List.of(replicas));
    }

    static ClusterBackupRecorded recorded(String cluster, String backupId, String replica, Instant completedAt) {
        return new ClusterBackupRecorded(BackupEvent.CURRENT_SCHEMA_VERSION, backupId + ":ClusterBackupRecorded",
                backupId, cluster, completedAt, replica, "2.9.4", completedAt);
    }
}
