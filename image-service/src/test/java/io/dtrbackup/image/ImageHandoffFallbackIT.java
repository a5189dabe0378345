package io.dtrbackup.image;

import static io.dtrbackup.image.ServiceHarness.has;
import static io.dtrbackup.image.ServiceHarness.only;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.common.service.ServiceLauncher;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.S3Extension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import io.vertx.core.Vertx;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * image-service configured to hand the images tar to crypto-service, with crypto-service away: the
 * hand-off fails and the artifact is staged in the staging bucket as usual (a hand-off only ever makes a
 * backup faster). The successful hand-off runs in crypto-service's CryptoHandoffIT and end to end in the
 * CLI's process-based ITs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({KafkaExtension.class, S3Extension.class, DockerExtension.class})
class ImageHandoffFallbackIT {
    private static final String TOKEN = "handoff-token-for-the-fallback-it";
    private ServiceHarness harness;
    private Vertx vertx;
    private DtrSimulator sim;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeAll
    void deploy(EmbeddedKafka kafka, EmbeddedS3 s3, DtrSimulator simulator) throws Exception {
        sim = simulator;
        harness = new ServiceHarness(kafka, s3);
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        int nobody;
        try (ServerSocket probe = new ServerSocket(0)) {
            nobody = probe.getLocalPort();
        }
        Map<String, String> env = harness.env();
        env.put("DTR_BACKUP_CRYPTO_HANDOFF_URL", "http://127.0.0.1:" + nobody);
        env.put("DTR_BACKUP_HANDOFF_TOKEN_FILE",
                Files.writeString(harness.dir.resolve("handoff-token"), TOKEN).toString());
        vertx = Vertx.vertx();
        vertx.deployVerticle(new ImageServiceVerticle(ServiceLauncher.config(env, ImageServiceConfig.parameters()),
                harness.store)).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    @AfterAll
    void undeploy() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void withCryptoServiceAwayTheImagesAreStagedInstead() throws Exception {
        SimulatedReplica replica = sim.createReplica(ReplicaSpec.of("2.9.4", SimulatedUcp.random()));
        ReplicaDiscovered event = harness.replica(replica.replicaId(), StorageKind.FILESYSTEM, replica.volumeName(),
                BackupOptions.DEFAULTS);
        harness.send(event);

        List<BackupEvent> events = harness.awaitStatus(event.backupId(), Duration.ofMinutes(2),
                has(ArtifactStaged.class, 1).or(has(ArtifactFailed.class, 1)));
        assertThat(only(events, ArtifactFailed.class)).isEmpty();
        ArtifactStaged staged = only(events, ArtifactStaged.class).get(0);
        assertThat(harness.store.stat(harness.layout.stagingBucket(), staged.stagingKey()).orElseThrow().size())
                .isEqualTo(staged.sizeBytes());
        assertThat(logs.list).anySatisfy(l -> assertThat(l.getFormattedMessage())
                .contains("the hand-off to crypto-service at http://127.0.0.1:")
                .contains("staging the images in the staging bucket instead"));
        assertThat(logs.list).noneMatch(l -> l.getFormattedMessage().contains(TOKEN));
    }
}
