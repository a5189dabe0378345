package io.dtrbackup.image.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.common.docker.DockerApiException;
import io.dtrbackup.common.docker.DockerEngine;
import io.dtrbackup.image.archive.VolumeArchiver;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.MutualTlsDockerProxy;
import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tcp + mutual TLS path against the real engine: a TLS-terminating proxy that demands a client
 * certificate (as UCP does in front of its engines) forwards to the engine's unix socket; the
 * service's client finds the volume and reads the archive through it with a client bundle.
 */
@ExtendWith(DockerExtension.class)
class DockerTlsProxyIT {

    @Test
    void archivesAVolumeThroughMutualTls(DtrSimulator sim, @TempDir Path tmp) throws Exception {
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of("2.9.4", SimulatedUcp.random())
                .withTree(RegistryTreeSpec.withLarge(12, 1, 40_000_000L)));
        ExecutorService pumps = Executors.newCachedThreadPool();
        try (MutualTlsDockerProxy proxy = MutualTlsDockerProxy.start(sim.dockerHost())) {
            Path bundle = proxy.writeClientBundle(tmp.resolve("bundle"));
            DockerEngine engine = DockerEngine.forEndpoint(new ClusterSpec.DockerEndpoint(proxy.endpoint(), bundle,
                    false), Duration.ofSeconds(10), Duration.ofMinutes(2));

            RegistryVolume volume = RegistryVolume.locate(engine, replica.volumeName(), replica.replicaId(), null);
            assertThat(volume.containerName()).isEqualTo("dtr-registry-" + replica.replicaId());
            assertThat(volume.destination()).isEqualTo("/storage");

            AtomicReference<List<RegistryTreeGenerator.TreeEntry>> entries = new AtomicReference<>();
            String prefix = volume.mountpoint().substring(1) + "/";
            VolumeArchiver.Archive archive = new VolumeArchiver(4, 1 << 20).archive(engine, volume, pumps,
                    in -> {
                        entries.set(RegistryTreeGenerator.readTar(in, prefix));
                        in.transferTo(OutputStream.nullOutputStream());
                    }, new VolumeArchiver.Progress() {
                        @Override
                        public void accept(long bytes) {
                        }

                        @Override
                        public void files(long files) {
                        }
                    });
            assertThat(entries.get()).isEqualTo(replica.tree().comparableEntries());
            assertThat(archive.blobCount()).isEqualTo(replica.tree().blobDigests().size());
            assertThat(proxy.connectionsServed()).as("connections the mutual-TLS proxy served").isPositive();
            assertThat(proxy.handshakesRefused()).isZero();

            // A client certificate the engine's CA did not sign: refused by the handshake.
            DockerEngine stranger = DockerEngine.forEndpoint(new ClusterSpec.DockerEndpoint(proxy.endpoint(),
                    proxy.writeStrangerBundle(tmp.resolve("stranger")), false), Duration.ofSeconds(10),
                    Duration.ofSeconds(10));
            int served = proxy.connectionsServed();
            assertThatThrownBy(stranger::apiPrefix).isInstanceOf(DockerApiException.class);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(proxy.handshakesRefused())
                    .as("handshakes the proxy refused").isPositive());
            assertThat(proxy.connectionsServed()).isEqualTo(served);
        } finally {
            pumps.shutdownNow();
        }
    }
}
