package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.S3Extension;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A 200 MB metadata stream goes through the service byte for byte, with progress on the way. */
@ExtendWith({KafkaExtension.class, S3Extension.class, DockerExtension.class})
class MetadataLargeIT {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataLargeIT.class);
    /** A version no other test of the project uses: the docker/dtr tag is shared on the engine. */
    static final String VERSION = "2.8.13";
    private static final long PAD = 200_000_000L;

    @Test
    void aTwoHundredMegabyteStreamIsByteExact(EmbeddedKafka kafka, EmbeddedS3 s3, DtrSimulator sim) throws Exception {
        SimulatedUcp ucp = SimulatedUcp.random();
        long t0 = System.nanoTime();
        sim.installDtrImage(VERSION, ucp, PAD);
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of(VERSION, ucp).withTree(null));
        LOG.info("padded docker/dtr:{} ready in {} ms", VERSION, (System.nanoTime() - t0) / 1_000_000);
        Path dir = Files.createTempDirectory("metadata-large-it-");
        Files.writeString(dir.resolve("pw"), ucp.password());
        Files.writeString(dir.resolve("ca.pem"), ucp.caPem());
        String yaml = "clusters:\n  - { id: big, docker: { endpoint: \"" + sim.dockerHost() + "\" }, ucp: { url: \""
                + ucp.url() + "\", username: \"" + ucp.username() + "\", passwordFile: pw, caFile: ca.pem } }\n";
        try (ItEnvironment env = new ItEnvironment(kafka, s3, dir, yaml, "meta-large", Map.of())) {
            ReplicaDiscovered event = ItEnvironment.event("big", replica.replicaId(), VERSION, BackupOptions.DEFAULTS);
            env.publish(event);
            await().atMost(Duration.ofMinutes(4)).until(() -> !env.topics.events(Topics.STAGED.name(), event.backupId(),
                    ArtifactStaged.class).isEmpty()
                    || !env.topics.events(Topics.STATUS.name(), event.backupId(), ArtifactFailed.class).isEmpty());
            assertThat(env.topics.events(Topics.STATUS.name(), event.backupId(), ArtifactFailed.class)).isEmpty();
            ArtifactStaged staged = env.topics.events(Topics.STAGED.name(), event.backupId(), ArtifactStaged.class).get(0);

            String expected = DtrSimulator.expectedMetadataTarSha256(VERSION, true, false, false, PAD);
            assertThat(staged.sizeBytes()).isGreaterThan(PAD);
            assertThat(staged.sha256()).isEqualTo(expected);
            assertThat(env.sha256(env.layout.stagingBucket(), staged.stagingKey())).isEqualTo(expected);

            // The stand-in run directly (docker run -i --rm --log-driver none ...) gives the same bytes.
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            int code;
            try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), md)) {
                code = sim.runDtr(VERSION, Map.of("UCP_PASSWORD", ucp.password()), List.of("backup", "--ucp-url",
                        ucp.url(), "--ucp-username", ucp.username(), "--ucp-ca", ucp.caPem(), "--existing-replica-id",
                        replica.replicaId()), out, OutputStream.nullOutputStream());
            }
            assertThat(code).isZero();
            assertThat(HexFormat.of().formatHex(md.digest())).isEqualTo(expected);

            List<BackupProgress> progress = env.topics.events(Topics.STATUS.name(), event.backupId(),
                    BackupProgress.class);
            assertThat(progress).extracting(BackupProgress::bytesDone).isSorted().contains(staged.sizeBytes());
            LOG.info("200 MB capture: {} bytes in {} ms, {} progress events", staged.sizeBytes(), staged.durationMs(),
                    progress.size());
        }
    }
}
