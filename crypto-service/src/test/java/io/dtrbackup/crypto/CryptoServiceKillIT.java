package io.dtrbackup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.common.crypto.Gpg;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactPhase;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.IncompleteUpload;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.S3Extension;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real crash: crypto-service runs as its own JVM ({@code CryptoServiceMain}), is killed with
 * SIGKILL in the middle of a large artifact, and a new process completes it: no partial object
 * was ever visible, and in the end there is exactly one backup object, which stock gpg decrypts.
 */
@ExtendWith({KafkaExtension.class, S3Extension.class})
class CryptoServiceKillIT {
    private static final int SIZE = 256 << 20;
    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process startService(ItEnvironment env, Path log) throws Exception {
        Map<String, String> vars = env.env();
        Path kafkaProps = Files.writeString(dir.resolve("kafka.properties"),
                "session.timeout.ms=6000\nheartbeat.interval.ms=1000\n");
        vars.put("DTR_BACKUP_KAFKA_PROPERTIES_FILE", kafkaProps.toString());
        vars.put("DTR_BACKUP_S3_PART_SIZE_MB", "16");
        vars.put("DTR_BACKUP_PIPE_BUFFER_MB", "8");
        // The upload the killed process left is idle from the kill on; a live one adds a 16 MiB part
        // every fraction of a second, so 5 s without one tells them apart.
        vars.put("DTR_BACKUP_STALE_UPLOAD_AGE", "5s");
        vars.put("DTR_BACKUP_STALE_UPLOAD_SWEEP_INTERVAL", "1s");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-cp", System.getProperty("java.class.path"), CryptoServiceMain.class.getName())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(vars);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    @Test
    void aKilledServiceRestartsAndCompletesWithExactlyOneBackupObject(EmbeddedKafka kafka, EmbeddedS3 s3)
            throws Exception {
        String backup = "it-kill-1";
        try (ItEnvironment env = new ItEnvironment(kafka, s3, dir, "crypto-kill")) {
            BackupLayout layout = new BackupLayout(env.stagingBucket, env.backupBucket);
            byte[] plain = TestArtifacts.random(SIZE, 21);
            ArtifactStaged staged = TestArtifacts.event(layout, backup, ArtifactKind.IMAGES, plain.length,
                    TestArtifacts.sha256(plain));
            env.store.put(env.stagingBucket, staged.stagingKey(), new ByteArrayInputStream(plain), plain.length,
                    Map.of(), null);
            plain = null; // the rest of the test works from files and digests
            ItEnvironment.Reader status = env.read(Topics.STATUS);
            ItEnvironment.Reader encrypted = env.read(Topics.ENCRYPTED);
            String prefix = BackupLayout.backupPrefix(staged.clusterId(), backup);

            Path log1 = dir.resolve("crypto-1.log");
            Process first = startService(env, log1);
            env.publish(Topics.STAGED, staged);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).until(() ->
                    status.of(BackupProgress.class, backup).stream().anyMatch(p ->
                            p.stage() == ArtifactPhase.ENCRYPTING && p.bytesDone() >= (24L << 20)));
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no abort of the multipart upload
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();

            assertThat(encrypted.of(ArtifactEncrypted.class, backup))
                    .as("the artifact finished before the kill; the test needs a bigger artifact").isEmpty();
            assertThat(env.store.list(env.backupBucket, prefix)).as("no partial object is visible").isEmpty();
            // The kill skipped the abort a failed upload gets: its parts sit in an open upload, billed and unseen.
            List<IncompleteUpload> left = env.store.incompleteUploads(env.backupBucket, prefix);
            assertThat(left).as("the killed process's multipart upload is left open (the kill landed mid-upload)")
                    .hasSize(1);
            assertThat(env.store.exists(env.stagingBucket, staged.stagingKey())).isTrue();

            Path log2 = dir.resolve("crypto-2.log");
            Process second = startService(env, log2);
            await().atMost(Duration.ofSeconds(180)).until(() -> !encrypted.of(ArtifactEncrypted.class, backup).isEmpty()
                    || !status.of(ArtifactFailed.class, backup).isEmpty());
            assertThat(status.of(ArtifactFailed.class, backup)).isEmpty();
            ArtifactEncrypted event = encrypted.of(ArtifactEncrypted.class, backup).get(0);

            assertThat(env.store.list(env.backupBucket, prefix)).extracting(ObjectInfo::key)
                    .containsExactlyInAnyOrder(event.objectKey(), event.objectKey() + ".json");
            // The new process's sweep aborts the upload the killed one left, and only that one.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                    env.store.incompleteUploads(env.backupBucket, prefix)).as("open uploads after the sweep").isEmpty());
            assertThat(Files.readString(log2)).contains("Aborted an abandoned multipart upload of " + env.backupBucket
                    + "/" + left.get(0).key());
            assertThat(env.store.exists(env.stagingBucket, staged.stagingKey())).isFalse();

            Path cipherFile = dir.resolve("images.tar.gpg");
            try (InputStream in = env.store.get(env.backupBucket, event.objectKey())) {
                Files.copy(in, cipherFile);
            }
            assertThat(Files.size(cipherFile)).isEqualTo(event.ciphertextSize());
            Path out = dir.resolve("images.tar");
            Gpg.Result r = new Gpg(dir).decrypt(cipherFile, env.passphraseFile, out);
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.has("DECRYPTION_OKAY") && r.has("GOODMDC")).as(r.toString()).isTrue();
            assertThat(Files.size(out)).isEqualTo(SIZE);
            assertThat(sha256(out)).isEqualTo(staged.sha256());

            second.destroy();
            second.waitFor(30, TimeUnit.SECONDS);
            for (Path log : List.of(log1, log2)) {
                String text = Files.readString(log, StandardCharsets.UTF_8);
                assertThat(text).contains("crypto-service").doesNotContain(env.passphrase);
            }
            assertThat(Files.readString(log2)).contains("encrypted " + staged.artifactName());
            assertThat(status.raw).noneMatch(v -> v.contains(env.passphrase));
        }
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
