package io.dtrbackup.testsupport;

/**
 * What {@link DtrSimulator#createReplica} builds.
 *
 * @param dtrVersion e.g. "2.9.4", goes into every container's {@code DTR_VERSION}
 * @param nodeName   optional UCP node name (label {@code io.dtrbackup.sim.node}); null for none
 * @param storage    FILESYSTEM ({@code dtr-registry-<id>}) or NFS ({@code dtr-registry-nfs-<id>})
 * @param tree       content of the registry volume; null leaves the volume empty
 * @param running    whether the containers are left running
 * @param ucp        the UCP the replica belongs to (what {@code docker/dtr backup} must be given)
 */
public record ReplicaSpec(String dtrVersion, String nodeName, StorageKind storage, RegistryTreeSpec tree,
        boolean running, SimulatedUcp ucp) {

    public enum StorageKind { FILESYSTEM, NFS }

    public ReplicaSpec {
        DtrVersion.parse(dtrVersion);
        if (storage == null || ucp == null) {
            throw new IllegalArgumentException("storage and ucp are required");
        }
    }

    /** Running, filesystem storage, a small tree with seed 1, no node name. */
    public static ReplicaSpec of(String dtrVersion, SimulatedUcp ucp) {
        return new ReplicaSpec(dtrVersion, null, StorageKind.FILESYSTEM, RegistryTreeSpec.small(1), true, ucp);
    }

    public ReplicaSpec withNodeName(String node) {
        return new ReplicaSpec(dtrVersion, node, storage, tree, running, ucp);
    }

    public ReplicaSpec withStorage(StorageKind kind) {
        return new ReplicaSpec(dtrVersion, nodeName, kind, tree, running, ucp);
    }

    public ReplicaSpec withTree(RegistryTreeSpec spec) {
        return new ReplicaSpec(dtrVersion, nodeName, storage, spec, running, ucp);
    }

    public ReplicaSpec withRunning(boolean on) {
        return new ReplicaSpec(dtrVersion, nodeName, storage, tree, on, ucp);
    }

    public ReplicaSpec withUcp(SimulatedUcp other) {
        return new ReplicaSpec(dtrVersion, nodeName, storage, tree, running, other);
    }
}
