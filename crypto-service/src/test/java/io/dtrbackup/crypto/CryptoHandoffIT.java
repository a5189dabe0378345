package io.dtrbackup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.dtrbackup.common.crypto.Gpg;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.common.service.ServiceLauncher;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.S3Extension;
import io.vertx.core.Vertx;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The direct hand-off on the real testbed: a producer streams a plaintext tar to crypto-service's
 * endpoint, crypto-service encrypts it into the backup bucket as it arrives, and the artifact's
 * ArtifactStaged event (real broker) turns the receipt into the encryption record.
 */
@ExtendWith({KafkaExtension.class, S3Extension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CryptoHandoffIT {
    private Path dir;
    private ItEnvironment env;
    private Vertx vertx;
    private CryptoVerticle verticle;
    private ItEnvironment.Reader status;
    private ItEnvironment.Reader encrypted;
    private BackupLayout layout;
    private final String token = "tok-" + UUID.randomUUID();
    private final HttpClient http = HttpClient.newHttpClient();
    private ListAppender<ILoggingEvent> logs;

    @BeforeAll
    void start(EmbeddedKafka kafka, EmbeddedS3 s3, @TempDir Path tmp) throws Exception {
        dir = tmp;
        env = new ItEnvironment(kafka, s3, dir, "handoff-it");
        layout = new BackupLayout(env.stagingBucket, env.backupBucket);
        logs = env.captureLogs();
        Map<String, String> settings = env.env();
        settings.put("DTR_BACKUP_HANDOFF_PORT", "0");
        settings.put("DTR_BACKUP_HANDOFF_HOST", "127.0.0.1");
        settings.put("DTR_BACKUP_HANDOFF_TOKEN_FILE", Files.writeString(dir.resolve("handoff-token"), token).toString());
        vertx = Vertx.vertx();
        verticle = new CryptoVerticle(ServiceLauncher.config(settings, CryptoServiceConfig.parameters()));
        vertx.deployVerticle(verticle).await();
        status = env.read(Topics.STATUS);
        encrypted = env.read(Topics.ENCRYPTED);
    }

    @AfterAll
    void stop() {
        if (vertx != null) {
            vertx.close().await();
        }
        if (env != null) {
            env.close();
        }
    }

    @Test
    void aHandedOverTarIsStoredEncryptedAndRecordedOnceItsStagedEventConfirmsIt() throws Exception {
        String backup = "it-handoff-1";
        byte[] tar = TestArtifacts.random(7_000_000, 21);
        ArtifactStaged staged = TestArtifacts.event(layout, backup, ArtifactKind.IMAGES, tar.length,
                TestArtifacts.sha256(tar));

        HttpResponse<String> response = put(backup, staged.artifactName(), token, tar);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode receipt = EventCodec.mapper().readTree(response.body());
        assertThat(receipt.path("plaintextBytes").asLong()).isEqualTo(tar.length);
        assertThat(receipt.path("plaintextSha256").asText()).isEqualTo(staged.sha256());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(tar);
        assertThat(receipt.path("plaintextCrc32c").asText()).isEqualTo(String.format("%08x", crc.getValue()));
        String objectKey = layout.encryptedKey(TestArtifacts.CLUSTER, backup, staged.artifactName());
        String receiptKey = layout.handoffReceiptKey(TestArtifacts.CLUSTER, backup, staged.artifactName());
        assertThat(receipt.path("objectKey").asText()).isEqualTo(objectKey);
        assertThat(env.store.exists(env.backupBucket, receiptKey)).isTrue();
        env.assertNothingStored(env.stagingBucket, TestArtifacts.CLUSTER, backup); // nothing is staged on the way

        // Watchers see the same phase and progress as for a staged artifact.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(status.of(BackupPhaseChanged.class, backup)).anySatisfy(p ->
                    assertThat(p.phase()).isEqualTo(BackupPhase.ENCRYPTING));
            assertThat(status.of(BackupProgress.class, backup)).anySatisfy(p -> {
                assertThat(p.stage()).isEqualTo(ArtifactPhase.ENCRYPTING);
                assertThat(p.bytesDone()).isEqualTo(tar.length);
            });
        });

        // Stock gpg reads what the hand-off stored.
        Path cipherFile = dir.resolve("handed.tar.gpg");
        Files.write(cipherFile, ItEnvironment.readAll(env.store.get(env.backupBucket, objectKey)));
        Gpg.Result r = new Gpg(dir).decrypt(cipherFile, env.passphraseFile, dir.resolve("handed.tar"));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.has("GOODMDC")).as(r.toString()).isTrue();
        assertThat(Files.readAllBytes(dir.resolve("handed.tar"))).isEqualTo(tar);

        // The producer's event (no staging object) confirms the receipt: one record, the receipt gone.
        env.publish(Topics.STAGED, staged);
        await().atMost(Duration.ofSeconds(60)).until(() -> encrypted.of(ArtifactEncrypted.class, backup).size() == 1);
        ArtifactEncrypted event = encrypted.of(ArtifactEncrypted.class, backup).get(0);
        assertThat(event.objectKey()).isEqualTo(objectKey);
        assertThat(event.plaintextSha256()).isEqualTo(staged.sha256());
        assertThat(event.plaintextSize()).isEqualTo(tar.length);
        assertThat(event.ciphertextSha256()).isEqualTo(TestArtifacts.sha256(Files.readAllBytes(cipherFile)));
        assertThat(event.blobCount()).isEqualTo(staged.blobCount());
        assertThat(event.keyId()).isEqualTo("2026-q1");
        assertThat(env.store.list(env.backupBucket, BackupLayout.backupPrefix(TestArtifacts.CLUSTER, backup)))
                .extracting(ObjectInfo::key).containsExactlyInAnyOrder(objectKey, objectKey + ".json");
        // The confirmation adds no progress of its own (a 20 ms "finish" would show an absurd speed).
        assertThat(status.of(BackupProgress.class, backup)).allSatisfy(p ->
                assertThat(p.bytesPerSecond()).isLessThan(50e9));
        assertThat(status.of(BackupProgress.class, backup)).filteredOn(p -> p.bytesDone() == tar.length).hasSize(1);

        // A redelivered event finds the record and publishes the same event again.
        env.publish(Topics.STAGED, staged);
        await().atMost(Duration.ofSeconds(30)).until(() -> encrypted.of(ArtifactEncrypted.class, backup).size() == 2);
        assertThat(encrypted.of(ArtifactEncrypted.class, backup).get(1)).isEqualTo(event);
        assertNoSecretAnywhere(backup);
    }

    @Test
    void aWrongTokenIsRefusedAndNothingIsStored() throws Exception {
        String backup = "it-handoff-token";
        String name = BackupLayout.artifactName(ArtifactKind.IMAGES, "2.9.4", "20261125-02_00_00");
        HttpResponse<String> response = put(backup, name, "not-the-token-at-all", TestArtifacts.random(100_000, 3));
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).doesNotContain(token);
        env.assertNothingStored(env.backupBucket, TestArtifacts.CLUSTER, backup);
        assertThat(put(backup, "../escape", token, new byte[10]).statusCode()).isIn(400, 404);
    }

    @Test
    void aProducerThatBreaksOffMidStreamLeavesNothingBehind() throws Exception {
        String backup = "it-handoff-broken";
        String name = BackupLayout.artifactName(ArtifactKind.IMAGES, "2.9.4", "20261125-02_00_00");
        byte[] chunk = TestArtifacts.random(1 << 20, 5);
        // A chunked upload that stops after 24 MiB without its last chunk: the producer died.
        try (Socket socket = new Socket("127.0.0.1", verticle.handoffPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/handoff/" + TestArtifacts.CLUSTER + "/" + backup + "/images/" + name + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 24; i++) {
                out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(logs.list).anySatisfy(l -> assertThat(
                l.getFormattedMessage()).contains("hand-off of " + name + " failed, nothing was kept")));
        env.assertNothingStored(env.backupBucket, TestArtifacts.CLUSTER, backup);
        // Its ArtifactStaged, should one come, cannot find anything to confirm.
        ArtifactStaged staged = TestArtifacts.event(layout, backup, ArtifactKind.IMAGES, 24L << 20, "c".repeat(64));
        env.publish(Topics.STAGED, staged);
        await().atMost(Duration.ofSeconds(60)).until(() -> !status.of(ArtifactFailed.class, backup).isEmpty());
        assertThat(status.of(ArtifactFailed.class, backup).get(0).reason()).contains("is missing")
                .contains("hand-off receipt");
    }

    @Test
    void aStagedEventThatDisagreesWithTheReceiptIsRefusedAndTheObjectRemoved() throws Exception {
        String backup = "it-handoff-mismatch";
        byte[] tar = TestArtifacts.random(2_000_000, 9);
        ArtifactStaged claimed = TestArtifacts.event(layout, backup, ArtifactKind.IMAGES, tar.length, "d".repeat(64));
        assertThat(put(backup, claimed.artifactName(), token, tar).statusCode()).isEqualTo(200);

        env.publish(Topics.STAGED, claimed);

        await().atMost(Duration.ofSeconds(60)).until(() -> !status.of(ArtifactFailed.class, backup).isEmpty());
        assertThat(status.of(ArtifactFailed.class, backup).get(0).reason())
                .contains("is not what the ArtifactStaged event describes").contains(TestArtifacts.sha256(tar))
                .contains("d".repeat(64));
        assertThat(encrypted.of(ArtifactEncrypted.class, backup)).isEmpty();
        env.assertNothingStored(env.backupBucket, TestArtifacts.CLUSTER, backup);
    }

    @Test
    void anObjectStoreOutageIsTheReasonTheProducerHears() throws Exception {
        String backup = "it-handoff-s3-down";
        String name = BackupLayout.artifactName(ArtifactKind.IMAGES, "2.9.4", "20261125-02_00_00");
        env.s3.stop();
        HttpResponse<String> response;
        try {
            response = put(backup, name, token, TestArtifacts.random(30_000_000, 17));
        } finally {
            env.s3.restart();
        }
        assertThat(response.statusCode()).isEqualTo(500);
        // The upload's own reason, not the encrypting thread's echo of it ("the reader of the pipe stopped").
        assertThat(response.body()).contains("cannot connect").doesNotContain("reader of the pipe");
        env.assertNothingStored(env.backupBucket, TestArtifacts.CLUSTER, backup);
    }

    private HttpResponse<String> put(String backup, String artifactName, String bearer, byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + verticle.handoffPort()
                        + "/v1/handoff/" + TestArtifacts.CLUSTER + "/" + backup + "/images/" + artifactName))
                .header("Authorization", "Bearer " + bearer)
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private void assertNoSecretAnywhere(String backup) {
        env.assertNoneLeaked(TestArtifacts.CLUSTER, backup, env.passphrase, token);
    }
}
