package io.dtrbackup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.common.crypto.Gpg;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.common.service.ServiceLauncher;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.S3Extension;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * crypto-service against a real KRaft broker and S3Proxy: given staged artifacts (input event),
 * when the service runs, then stock gpg decrypts what it wrote and the events say so.
 */
@ExtendWith({KafkaExtension.class, S3Extension.class})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CryptoServiceIT {
    private Path dir;
    private ItEnvironment env;
    private Vertx vertx;
    private ItEnvironment.Reader status;
    private ItEnvironment.Reader encrypted;
    private BackupLayout layout;

    @BeforeAll
    void start(EmbeddedKafka kafka, EmbeddedS3 s3, @TempDir Path tmp) throws Exception {
        dir = tmp;
        env = new ItEnvironment(kafka, s3, dir, "crypto-it");
        layout = new BackupLayout(env.stagingBucket, env.backupBucket);
        env.captureLogs();
        vertx = Vertx.vertx();
        var config = ServiceLauncher.config(env.env(), CryptoServiceConfig.parameters());
        vertx.deployVerticle(new CryptoVerticle(config)).await();
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
    void encryptsEveryArtifactSoThatStockGpgDecryptsIt() throws Exception {
        String backup = "it-ok-1";
        byte[] metadata = TestArtifacts.random(1_500_000, 11);
        byte[] images = TestArtifacts.random(6_000_000, 12);
        ArtifactStaged m = TestArtifacts.stage(env.store, layout, backup, ArtifactKind.METADATA, metadata);
        ArtifactStaged i = TestArtifacts.stage(env.store, layout, backup, ArtifactKind.IMAGES, images);
        env.publish(Topics.STAGED, m);
        env.publish(Topics.STAGED, i);

        await().atMost(Duration.ofSeconds(90)).until(() -> encrypted.of(ArtifactEncrypted.class, backup).size() == 2
                && status.of(ArtifactEncrypted.class, backup).size() == 2);

        Gpg gpg = new Gpg(dir);
        for (ArtifactStaged staged : List.of(m, i)) {
            ArtifactEncrypted event = encrypted.of(ArtifactEncrypted.class, backup).stream()
                    .filter(e -> e.kind() == staged.kind()).findFirst().orElseThrow();
            byte[] plain = staged == m ? metadata : images;
            assertThat(event.objectKey()).isEqualTo("prod-east/" + backup + "/" + staged.artifactName() + ".gpg");
            assertThat(event.keyId()).isEqualTo("2026-q1");
            assertThat(event.plaintextSha256()).isEqualTo(staged.sha256());
            assertThat(event.plaintextSize()).isEqualTo(plain.length);
            assertThat(event.encryption().cipher()).isEqualTo("AES-256");
            assertThat(event.encryption().s2kCountByte()).isEqualTo(255);
            assertThat(event.topFolder()).isEqualTo(staged.topFolder());
            assertThat(event.blobCount()).isEqualTo(staged.blobCount());

            Path cipherFile = dir.resolve(staged.artifactName() + ".gpg");
            byte[] ciphertext = ItEnvironment.readAll(env.store.get(env.backupBucket, event.objectKey()));
            Files.write(cipherFile, ciphertext);
            assertThat(ciphertext.length).isEqualTo(event.ciphertextSize());
            assertThat(TestArtifacts.sha256(ciphertext)).isEqualTo(event.ciphertextSha256());

            Path out = dir.resolve(staged.artifactName());
            Gpg.Result r = gpg.decrypt(cipherFile, env.passphraseFile, out);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.has("DECRYPTION_OKAY")).as(r.toString()).isTrue();
            assertThat(r.has("GOODMDC")).as(r.toString()).isTrue();
            assertThat(Files.readAllBytes(out)).isEqualTo(plain);

            ObjectInfo info = env.store.stat(env.backupBucket, event.objectKey()).orElseThrow();
            assertThat(info.userMetadata()).containsEntry("key-id", "2026-q1").containsEntry("backup-id", backup)
                    .containsEntry("kind", staged.kind().id()).containsEntry("plaintext-sha256", staged.sha256())
                    .containsEntry("plaintext-size", String.valueOf(plain.length))
                    .containsEntry("format-version", "1");
            byte[] record = ItEnvironment.readAll(env.store.get(env.backupBucket, event.objectKey() + ".json"));
            assertThat(new String(record, StandardCharsets.UTF_8)).contains(event.ciphertextSha256());
            assertThat(env.store.exists(env.stagingBucket, staged.stagingKey())).isFalse();
        }
        assertThat(status.of(BackupPhaseChanged.class, backup)).anySatisfy(p ->
                assertThat(p.phase()).isEqualTo(BackupPhase.ENCRYPTING));
        assertThat(status.of(BackupProgress.class, backup)).anySatisfy(p -> {
            assertThat(p.stage()).isEqualTo(ArtifactPhase.ENCRYPTING);
            assertThat(p.bytesDone()).isPositive();
        });

        // Redelivery: the record answers, the event comes again with the same ID, still one object each.
        env.publish(Topics.STAGED, i);
        await().atMost(Duration.ofSeconds(30)).until(() -> encrypted.of(ArtifactEncrypted.class, backup).size() == 3);
        List<ArtifactEncrypted> all = encrypted.of(ArtifactEncrypted.class, backup);
        assertThat(all.get(2)).isEqualTo(all.stream().filter(e -> e.kind() == ArtifactKind.IMAGES).findFirst()
                .orElseThrow());
        assertThat(env.store.list(env.backupBucket, BackupLayout.backupPrefix("prod-east", backup)))
                .extracting(ObjectInfo::key).containsExactlyInAnyOrder(
                        m.clusterId() + "/" + backup + "/" + m.artifactName() + ".gpg",
                        m.clusterId() + "/" + backup + "/" + m.artifactName() + ".gpg.json",
                        i.clusterId() + "/" + backup + "/" + i.artifactName() + ".gpg",
                        i.clusterId() + "/" + backup + "/" + i.artifactName() + ".gpg.json");

        assertNoPassphraseAnywhere(backup);
    }

    @Test
    void aTamperedStagingObjectIsRefusedWithoutABackupObject() {
        String backup = "it-tampered-1";
        byte[] plain = TestArtifacts.random(3_000_000, 13);
        ArtifactStaged staged = TestArtifacts.stage(env.store, layout, backup, ArtifactKind.METADATA, plain);
        byte[] tampered = plain.clone();
        tampered[2_999_999] ^= 0x20;
        env.store.put(env.stagingBucket, staged.stagingKey(), new ByteArrayInputStream(tampered), tampered.length,
                Map.of(), null);
        env.publish(Topics.STAGED, staged);

        await().atMost(Duration.ofSeconds(60)).until(() -> !status.of(ArtifactFailed.class, backup).isEmpty());
        ArtifactFailed failed = status.of(ArtifactFailed.class, backup).get(0);
        assertThat(failed.phase()).isEqualTo(ArtifactPhase.ENCRYPTING);
        assertThat(failed.kind()).isEqualTo(ArtifactKind.METADATA);
        assertThat(failed.reason()).contains("does not match its ArtifactStaged event").contains(staged.sha256());
        assertThat(encrypted.of(ArtifactEncrypted.class, backup)).isEmpty();
        env.assertNothingStored(env.backupBucket, "prod-east", backup);
        assertNoPassphraseAnywhere(backup);
    }

    private void assertNoPassphraseAnywhere(String backup) {
        assertThat(status.raw).isNotEmpty();
        env.assertNoneLeaked("prod-east", backup, env.passphrase);
    }
}
