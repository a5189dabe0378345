package io.dtrbackup.image;

import static io.dtrbackup.image.ServiceHarness.has;
import static io.dtrbackup.image.ServiceHarness.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.S3Extension;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The deployable jar in its own JVM with {@code -Xmx256m} archives a 2 GiB registry volume: the
 * heap does not grow with the volume (an OutOfMemoryError ends the JVM and the test).
 */
@ExtendWith({KafkaExtension.class, S3Extension.class, DockerExtension.class})
class ImageServiceMemoryIT {
    private static final long GIB = 1L << 30;

    @Test
    void aServiceJvmWith256MbHeapArchivesA2GibVolume(EmbeddedKafka kafka, EmbeddedS3 s3, DtrSimulator sim)
            throws Exception {
        Path jar = Path.of("target", "image-service.jar").toAbsolutePath();
        assertThat(jar).as("the shaded service jar (built by the package phase)").exists();
        RegistryTreeSpec spec = RegistryTreeSpec.small(11).withSmallBlobs(200, 1024, 64 * 1024)
                .withLargeBlobs(8, GIB / 4);
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of("2.9.4", SimulatedUcp.random()).withTree(spec));
        RegistryTreeGenerator tree = replica.tree();
        assertThat(tree.totalBytes()).isGreaterThanOrEqualTo(2 * GIB);

        try (ServiceHarness harness = new ServiceHarness(kafka, s3)) {
            Path log = Path.of("target", "image-service-memory-it.log").toAbsolutePath();
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-jar", jar.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(harness.env());
            Process service = pb.start();
            try {
                ReplicaDiscovered event = harness.replica(replica.replicaId(), StorageKind.FILESYSTEM,
                        replica.volumeName(), BackupOptions.DEFAULTS);
                harness.send(event);
                List<BackupEvent> events = harness.awaitStatus(event.backupId(), Duration.ofMinutes(5),
                        has(ArtifactStaged.class, 1).or(has(ArtifactFailed.class, 1)).or(l -> !service.isAlive()));
                assertThat(service.isAlive()).as("service JVM alive (see " + log + ")").isTrue();
                assertThat(only(events, ArtifactFailed.class)).isEmpty();
                ArtifactStaged staged = only(events, ArtifactStaged.class).get(0);
                assertThat(staged.sizeBytes()).isGreaterThan(tree.totalBytes());

                // Read the object back: hash and every file of the tree, streaming.
                String prefix = "var/lib/docker/volumes/" + replica.volumeName() + "/_data/";
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (InputStream in = new DigestInputStream(harness.store.get(harness.layout.stagingBucket(),
                        staged.stagingKey()), sha)) {
                    assertThat(RegistryTreeGenerator.readTar(in, prefix)).isEqualTo(tree.comparableEntries());
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
                assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(staged.sha256());
                assertThat(Files.readString(log)).contains("staged ").doesNotContain("OutOfMemoryError");
            } finally {
                service.destroy();
                if (!service.waitFor(30, TimeUnit.SECONDS)) {
                    service.destroyForcibly();
                }
            }
        }
    }
}
