package io.dtrbackup.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.exception.DockerException;
import io.dtrbackup.common.clusters.ClusterSpec;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class DockerClusterInspectorTest {
    private static ClusterSpec at(String endpoint, Path bundle, boolean plain) {
        return new ClusterSpec("prod", new ClusterSpec.DockerEndpoint(endpoint, bundle, plain),
                Fixtures.cluster("prod", null).ucp(), null, null, Duration.ofHours(26), ClusterSpec.Retention.KEEP_ALL);
    }

    @Test
    void aMissingSocketIsReportedAsUnreachable() {
        ClusterSpec spec = at("unix:///nonexistent/discovery-test.sock", null, false);
        assertThatThrownBy(() -> new DockerClusterInspector(Duration.ofSeconds(2)).inspect(spec))
                .isInstanceOf(DiscoveryException.class)
                .hasMessageContaining("cannot reach the Docker endpoint of cluster 'prod' at unix:///nonexistent")
                .hasMessageContaining("docker.endpoint");
    }

    @Test
    void failuresAreExplainedByKind() {
        ClusterSpec tls = at("tcp://ucp.example.com:443", Path.of("/etc/bundles/prod"), false);
        assertThat(DockerClusterInspector.explain(tls, new RuntimeException(new SSLHandshakeException("PKIX path"))))
                .startsWith("TLS handshake with the Docker endpoint").contains("/etc/bundles/prod")
                .contains("fresh UCP client bundle");
        assertThat(DockerClusterInspector.explain(tls, new RuntimeException(new ConnectException("Connection refused"))))
                .startsWith("cannot reach").contains("Connection refused");
        // TLS 1.3: a refused client certificate closes the connection after the client's handshake.
        assertThat(DockerClusterInspector.explain(tls, new RuntimeException(new SocketException("Broken pipe"))))
                .startsWith("the Docker endpoint of cluster 'prod' at tcp://ucp.example.com:443 closed the TLS connection")
                .contains("/etc/bundles/prod").contains("fresh UCP client bundle");
        assertThat(DockerClusterInspector.explain(at("unix:///var/run/x.sock", null, false),
                new RuntimeException(new SocketException("Connection reset")))).startsWith("cannot reach");
        assertThat(DockerClusterInspector.explain(tls, new DockerException("denied", 403)))
                .contains("HTTP 403").contains("administrator");
        assertThat(DockerClusterInspector.explain(tls, new IllegalArgumentException("refusing plain tcp")))
                .contains("refusing plain tcp");
    }
}
