package io.dtrbackup.discovery;

import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which replica to back up, the same way every time (the seed: "always create backups from the
 * same DTR replica"): the one the request names; else the one of the cluster's last completed
 * backup (sticky); else the lowest replica ID among healthy replicas. A named or sticky replica
 * that is gone or unhealthy is reported, never silently replaced, unless the request allows a
 * fallback to the lowest healthy one.
 */
public final class ReplicaChooser {
    private ReplicaChooser() {
    }

    /** Either a replica with the reason it was chosen, or why none could be. */
    public record Choice(ClusterInventory.Replica replica, String reason, String failure) {
        static Choice of(ClusterInventory.Replica replica, String reason) {
            return new Choice(replica, reason, null);
        }

        static Choice failed(String failure) {
            return new Choice(null, null, failure);
        }

        public boolean chosen() {
            return replica != null;
        }
    }

    public static Choice choose(String clusterId, BackupOptions options, ClusterInventory inventory,
            ClusterBackupRecorded last) {
        List<ClusterInventory.Replica> healthy = inventory.replicas().stream()
                .filter(ClusterInventory.Replica::healthy).toList(); // sorted by ID already
        if (options.replicaId() != null) {
            return wanted(options.replicaId(), "named in the request (options.replicaId)",
                    "replica " + options.replicaId() + " named in the request", options, inventory, healthy,
                    "start its containers, name another replica in options.replicaId, or set "
                            + "options.allowReplicaFallback");
        }
        if (last != null) {
            String lastText = "the last completed backup " + last.backupId() + " (" + last.completedAt() + ")";
            return wanted(last.replicaId(), "sticky: the replica of " + lastText,
                    "replica " + last.replicaId() + " used by " + lastText, options, inventory, healthy,
                    "restore it (the seed asks to back up from the same replica every time), or name another "
                            + "replica in options.replicaId, or set options.allowReplicaFallback to move to another one");
        }
        if (healthy.isEmpty()) {
            return Choice.failed("no healthy DTR replica in cluster '" + clusterId + "' on " + inventory.endpoint()
                    + ": " + describe(inventory) + "; start the replica's dtr-rethinkdb and dtr-registry containers "
                    + "and request the backup again");
        }
        return Choice.of(healthy.get(0), "deterministic: lowest replica ID of " + healthy.size() + " healthy "
                + (healthy.size() == 1 ? "replica" : "replicas") + " (no replica named, no completed backup on record)");
    }

    private static Choice wanted(String replicaId, String reason, String subject, BackupOptions options,
            ClusterInventory inventory, List<ClusterInventory.Replica> healthy, String advice) {
        Optional<ClusterInventory.Replica> found = inventory.replicas().stream()
                .filter(r -> r.replicaId().equals(replicaId)).findFirst();
        if (found.isPresent() && found.get().healthy()) {
            return Choice.of(found.get(), reason);
        }
        String problem = found.isEmpty()
                ? "is not in the cluster (replicas found: " + describe(inventory) + ")"
                : "is not healthy (" + String.join(", ", found.get().problems()) + ")";
        if (options.allowReplicaFallback() && !healthy.isEmpty()) {
            return Choice.of(healthy.get(0), "fallback: " + subject + " " + problem
                    + "; options.allowReplicaFallback chose the lowest healthy replica ID");
        }
        if (options.allowReplicaFallback()) {
            return Choice.failed(subject + " " + problem + ", and no other replica is healthy to fall back to; start "
                    + "the replica's dtr-rethinkdb and dtr-registry containers and request the backup again");
        }
        return Choice.failed(subject + " " + problem + ": " + advice);
    }

    static String describe(ClusterInventory inventory) {
        if (inventory.replicas().isEmpty()) {
            return "none";
        }
        return inventory.replicas().stream().map(ClusterInventory.Replica::describe).collect(Collectors.joining("; "));
    }
}
