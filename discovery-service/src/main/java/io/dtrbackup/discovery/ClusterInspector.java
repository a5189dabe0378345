package io.dtrbackup.discovery;

import io.dtrbackup.common.clusters.ClusterSpec;

/** Reads a cluster's DTR containers and volumes. Blocking: call it on a worker thread. */
@FunctionalInterface
public interface ClusterInspector {
    /**
     * @throws DiscoveryException with an operator-facing reason when the endpoint cannot be read
     *         (unreachable, TLS failure, refused)
     */
    ClusterInventory inspect(ClusterSpec cluster) throws DiscoveryException;
}
