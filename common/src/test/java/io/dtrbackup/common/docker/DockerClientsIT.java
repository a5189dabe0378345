package io.dtrbackup.common.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Info;
import io.dtrbackup.common.clusters.ClusterSpec.DockerEndpoint;
import io.dtrbackup.testsupport.MutualTlsDockerProxy;
import io.dtrbackup.testsupport.PrivateDockerEngine;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docker-java client that discovery- and metadata-service build from a cluster's endpoint,
 * over tcp with mutual TLS: a proxy that demands a client certificate (as UCP does in front of
 * its engines) forwards to the real engine's unix socket.
 */
class DockerClientsIT {

    @Test
    void aClientBundleReachesTheEngineOverMutualTlsAndAForeignCertificateIsRefused(@TempDir Path tmp)
            throws Exception {
        PrivateDockerEngine engine = PrivateDockerEngine.shared();
        try (MutualTlsDockerProxy proxy = MutualTlsDockerProxy.start(engine.dockerHost());
                DockerClient direct = DockerClients.forEndpoint(new DockerEndpoint(engine.dockerHost(), null, false))) {
            Path bundle = proxy.writeClientBundle(tmp.resolve("bundle"));
            try (DockerClient tls = DockerClients.forEndpoint(new DockerEndpoint(proxy.endpoint(), bundle, false))) {
                Info viaTls = tls.infoCmd().exec();
                // The same engine as on its socket: the proxy only adds TLS.
                assertThat(viaTls.getId()).isNotBlank().isEqualTo(direct.infoCmd().exec().getId());
                assertThat(tls.versionCmd().exec().getApiVersion()).isNotBlank();
            }
            assertThat(proxy.connectionsServed()).as("connections the mutual-TLS proxy served").isPositive();
            assertThat(proxy.handshakesRefused()).isZero();

            int served = proxy.connectionsServed();
            Path stranger = proxy.writeStrangerBundle(tmp.resolve("stranger"));
            try (DockerClient refused = DockerClients.forEndpoint(new DockerEndpoint(proxy.endpoint(), stranger, false))) {
                // Under TLS 1.3 the client's handshake ends before the engine checks its certificate:
                // the refusal reaches the client as a closed connection, not always as an SSL alert.
                assertThatThrownBy(() -> refused.pingCmd().exec()).as("a client certificate another CA signed")
                        .isInstanceOf(RuntimeException.class);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(proxy.handshakesRefused())
                    .as("handshakes the proxy refused").isPositive());
            assertThat(proxy.connectionsServed()).isEqualTo(served);
        }
    }
}
