package io.dtrbackup.common.clusters;

import io.dtrbackup.contract.events.StorageKind;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One cluster of the registry: where its Docker API is, how to reach UCP, and its backup policy.
 * Secrets are file paths only.
 *
 * @param storageOverride where image content lives when it is not a volume (s3, azure, swift,
 *        gcs), or null to detect filesystem/NFS from the replica's volumes
 * @param schedule a cron expression (UNIX five fields) or null for no scheduled backups
 * @param freshness how old the last verified backup may get before the cluster is overdue (RPO)
 */
public record ClusterSpec(String id, DockerEndpoint docker, UcpSettings ucp, StorageKind storageOverride,
        String schedule, Duration freshness, Retention retention) {

    /** The cluster's Docker API: a unix socket, or tcp with a UCP client bundle (mutual TLS). */
    public record DockerEndpoint(String endpoint, Path clientBundle, boolean allowPlainTcp) {
        public boolean isUnixSocket() {
            return endpoint.startsWith("unix://");
        }
    }

    /**
     * How {@code docker/dtr backup} reaches UCP.
     *
     * @param caFile PEM of UCP's CA, passed as {@code --ucp-ca}
     * @param fetchCa fetch the CA from {@code <url>/ca} at backup time instead of a file
     * @param insecureTls pass {@code --ucp-insecure-tls}; never for production, warned about
     * @param allowPlainHttp the cluster explicitly accepts an {@code http://} url (the UCP password then
     *        crosses the network unencrypted); without it such a url is refused when the file is read
     */
    public record UcpSettings(String url, String username, Path passwordFile, Path caFile, boolean fetchCa,
            boolean insecureTls, boolean allowPlainHttp) {
    }

    /** Keep the newest {@code keepLast} verified backups and/or none older than {@code maxAge}. */
    public record Retention(Integer keepLast, Duration maxAge) {
        public static final Retention KEEP_ALL = new Retention(null, null);
    }
}
