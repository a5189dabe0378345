package io.dtrbackup.common.clusters;

/**
 * What one service uses of a cluster entry, given to {@link ClusterRegistry#load(java.nio.file.Path, ClusterNeeds)}
 * so that a service is only refused for files it would actually open. The shape of every entry
 * (ids, endpoints, urls, schedules, durations) is always checked, so all services agree on what the
 * file means; only the existence of secret and certificate files depends on the needs.
 *
 * @param dockerConnection the service talks to the cluster's Docker API: a tcp endpoint's client
 *        bundle (ca.pem, cert.pem, key.pem) must exist
 * @param ucpCredentials the service runs {@code docker/dtr backup}: ucp.passwordFile and ucp.caFile
 *        must exist
 */
public record ClusterNeeds(boolean dockerConnection, boolean ucpCredentials) {
    /** metadata-service and the command line: Docker and UCP. */
    public static final ClusterNeeds DOCKER_AND_UCP = new ClusterNeeds(true, true);
    /** discovery-service and image-service: the Docker API only. */
    public static final ClusterNeeds DOCKER_ONLY = new ClusterNeeds(true, false);
    /** verify-service: the policy (freshness, retention) only, no secrets. */
    public static final ClusterNeeds POLICY_ONLY = new ClusterNeeds(false, false);
}
