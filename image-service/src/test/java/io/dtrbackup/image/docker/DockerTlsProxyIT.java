package io.dtrbackup.image.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.clusters.ClusterSpec;
import io.dtrbackup.image.archive.VolumeArchiver;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tcp + mutual TLS path against the real engine: a TLS-terminating proxy that demands a
 * client certificate (as UCP does in front of its engines) forwards to /var/run/docker.sock; the
 * service's client finds the volume and reads the archive through it with a client bundle.
 */
@ExtendWith(DockerExtension.class)
class DockerTlsProxyIT {

    @Test
    void archivesAVolumeThroughMutualTls(DtrSimulator sim, @TempDir Path tmp) throws Exception {
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of("2.9.4", SimulatedUcp.random())
                .withTree(RegistryTreeSpec.withLarge(12, 1, 40_000_000L)));
        DockerEngineTest.Pki pki = new DockerEngineTest.Pki();
        Path bundle = Files.createDirectory(tmp.resolve("bundle"));
        pki.writeBundle(bundle, pki.client, pki.clientCert);
        ExecutorService pumps = Executors.newCachedThreadPool();
        try (SSLServerSocket server = (SSLServerSocket) pki.serverContext().getServerSocketFactory()
                .createServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(true);
            pumps.submit(() -> proxy(server, pumps));
            DockerEngine engine = DockerEngine.forEndpoint(new ClusterSpec.DockerEndpoint(
                    "tcp://localhost:" + server.getLocalPort(), bundle, false), Duration.ofSeconds(10),
                    Duration.ofMinutes(2));

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
        } finally {
            pumps.shutdownNow();
        }
    }

    /** Accepts TLS clients and pipes each connection to the local engine's unix socket. */
    private static void proxy(SSLServerSocket server, ExecutorService pumps) {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                SocketChannel engine = SocketChannel.open(StandardProtocolFamily.UNIX);
                engine.connect(UnixDomainSocketAddress.of("/var/run/docker.sock"));
                // Not Channels.newInputStream/newOutputStream: both lock the channel, so a blocked
                // read would stall the write of the request.
                InputStream fromEngine = new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        int n;
                        do {
                            n = engine.read(ByteBuffer.wrap(b, off, len));
                        } while (n == 0);
                        return n;
                    }
                };
                OutputStream toEngine = new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                        while (buffer.hasRemaining()) {
                            engine.write(buffer);
                        }
                    }
                };
                pumps.submit(() -> pump(client.getInputStream(), toEngine, null));
                pumps.submit(() -> pump(fromEngine, client.getOutputStream(), client));
            } catch (IOException e) {
                return; // server closed (or a refused handshake: the next accept goes on)
            }
        }
    }

    private static Void pump(InputStream in, OutputStream out, Socket closeAtEnd) throws IOException {
        try {
            in.transferTo(out);
            out.flush();
        } finally {
            if (closeAtEnd != null) {
                closeAtEnd.close();
            }
        }
        return null;
    }
}
