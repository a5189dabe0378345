package io.dtrbackup.common.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.core.LocalDirectorySSLConfig;
import io.dtrbackup.common.clusters.ClusterSpec.DockerEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerClientsTest {

    @Test
    void unixSocketNeedsNoTls() {
        var config = DockerClients.config(new DockerEndpoint("unix:///var/run/docker.sock", null, false));
        assertThat(config.getDockerHost().toString()).isEqualTo("unix:///var/run/docker.sock");
        assertThat(config.getSSLConfig()).isNull();
    }

    /**
     * Only the decision: a tcp endpoint with a bundle gets docker-java's TLS configuration from
     * that directory. That the client then speaks mutual TLS to an engine is DockerClientsIT's.
     */
    @Test
    void tcpWithAClientBundleIsConfiguredForTlsFromTheBundle(@TempDir Path bundle) throws Exception {
        for (String f : new String[] {"ca.pem", "cert.pem", "key.pem"}) {
            Files.writeString(bundle.resolve(f), "pem");
        }
        var config = DockerClients.config(new DockerEndpoint("tcp://ucp.example.com:443", bundle, false));
        assertThat(config.getDockerHost().toString()).isEqualTo("tcp://ucp.example.com:443");
        assertThat(config.getSSLConfig()).isInstanceOfSatisfying(LocalDirectorySSLConfig.class,
                ssl -> assertThat(ssl.getDockerCertPath()).isEqualTo(bundle.toString()));
    }

    @Test
    void plainTcpIsRefusedUnlessAllowed() {
        assertThatThrownBy(() -> DockerClients.config(new DockerEndpoint("tcp://ucp.example.com:2375", null, false)))
                .hasMessageContaining("refusing plain tcp");
        var config = DockerClients.config(new DockerEndpoint("tcp://127.0.0.1:2375", null, true));
        assertThat(config.getSSLConfig()).isNull();
    }
}
