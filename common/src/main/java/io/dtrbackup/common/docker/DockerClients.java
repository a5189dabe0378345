package io.dtrbackup.common.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.dtrbackup.common.clusters.ClusterSpec;
import java.time.Duration;

/**
 * docker-java clients for a cluster's Docker endpoint: a unix socket, or tcp with mutual TLS from
 * a UCP client bundle. Plain tcp is refused unless the cluster registry explicitly allows it.
 */
public final class DockerClients {
    private DockerClients() {
    }

    public static DockerClient forEndpoint(ClusterSpec.DockerEndpoint endpoint) {
        return build(config(endpoint));
    }

    /** The client configuration; separate so tests can check the decisions without an engine. */
    public static DockerClientConfig config(ClusterSpec.DockerEndpoint endpoint) {
        String host = endpoint.endpoint();
        DefaultDockerClientConfig.Builder builder = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host)
                .withDockerConfig(null);
        if (host.startsWith("unix://")) {
            builder.withDockerTlsVerify(false);
        } else if (host.startsWith("tcp://")) {
            if (endpoint.clientBundle() != null) {
                builder.withDockerTlsVerify(true).withDockerCertPath(endpoint.clientBundle().toString());
            } else if (endpoint.allowPlainTcp()) {
                builder.withDockerTlsVerify(false);
            } else {
                throw new IllegalArgumentException("refusing plain tcp Docker endpoint " + host + ": give a UCP client "
                        + "bundle (mutual TLS) or set allowPlainTcp in the cluster registry");
            }
        } else {
            throw new IllegalArgumentException("unsupported Docker endpoint " + host + " (unix:// or tcp://)");
        }
        return builder.build();
    }

    /** The httpclient5 transport: the transport that runs clean beside Testcontainers (docs/testbed.md). */
    private static DockerClient build(DockerClientConfig config) {
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(32)
                .connectionTimeout(Duration.ofSeconds(10))
                // Streams (attach, archives) may stay quiet for long; no response timeout.
                .responseTimeout(Duration.ZERO)
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

}
