package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.common.crypto.Gpg;
import io.dtrbackup.cli.fault.ServiceProcesses;
import io.dtrbackup.cli.fault.ServiceProcesses.Service;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.EventSchemaAudit;
import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The five services as five separate processes ({@code java -jar <service>/target/<service>.jar},
 * configured only through {@code DTR_BACKUP_*} env and secret files, as in production) against one
 * real KRaft broker and one S3 API server in this JVM and a simulated DTR replica on the real
 * Docker engine. The backup is requested with the CLI's own {@code backup --wait}; the stored
 * objects are decrypted with stock gpg and compared with the simulated volume and the stand-in's
 * metadata tar; {@code fetch} must give back the same bytes; every service serves /health and
 * /metrics. Needs the services' shaded jars ({@code mvn verify} packages them before cli's ITs).
 * Each service's output is kept in {@code target/e2e-logs/}.
 */
class SeparateProcessesE2EIT {
    private static final Logger LOG = LoggerFactory.getLogger(SeparateProcessesE2EIT.class);
    static final String VERSION = "2.9.4";
    static final String CLUSTER = "e2e-1";

    @TempDir
    Path dir;

    @Test
    void aBackupThroughFiveServiceProcessesDecryptsWithGpgToTheSimulatedReplica() throws Exception {
        long t0 = System.nanoTime();
        Path logs = Path.of("target", "e2e-logs").toAbsolutePath();
        ServiceProcesses.locateJars(); // fail fast, before the broker starts
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
                EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"));
                DtrSimulator simulator = DtrSimulator.start()) {
            backUpThroughProcesses(kafka, s3, simulator, logs, t0);
        }
    }

    private void backUpThroughProcesses(EmbeddedKafka kafka, EmbeddedS3 s3, DtrSimulator simulator, Path logs,
            long t0) throws Exception {
        SimulatedUcp ucp = SimulatedUcp.random();
        simulator.installDtrImage(VERSION, ucp);
        // About 75 MB: a dozen small blobs and two large ones.
        SimulatedReplica replica = simulator.createReplica(ReplicaSpec.of(VERSION, ucp)
                .withTree(RegistryTreeSpec.withLarge(8, 2, 32L * 1024 * 1024)));
        DemoFiles files = DemoFiles.write(dir.resolve("files"), CLUSTER, DtrSimulator.defaultDockerHost(), ucp,
                Secrets.randomPassphrase(), Duration.ofHours(26));
        Path accessKey = Secrets.write(dir.resolve("files/secrets/s3-access-key"), s3.accessKey());
        Path secretKey = Secrets.write(dir.resolve("files/secrets/s3-secret-key"), s3.secretKey());
        Map<String, String> env = ServiceProcesses.pipelineEnv(kafka, s3, accessKey, secretKey);
        env.put(CommonConfig.WORKER_POOL_SIZE.envName(), "4");
        env.put(CommonConfig.S3_PART_SIZE_MB.envName(), "16");
        env.putAll(DemoCommand.stackSettings(files));
        // Closed before the broker and the store go away, so each service shuts down cleanly.
        try (ServiceProcesses services = new ServiceProcesses(env, logs)) {
            services.startAll();
            backUp(kafka, s3, simulator, replica, files, accessKey, secretKey, services, t0);
        }
    }

    private void backUp(EmbeddedKafka kafka, EmbeddedS3 s3, DtrSimulator simulator, SimulatedReplica replica,
            DemoFiles files, Path accessKey, Path secretKey, ServiceProcesses services, long t0) throws Exception {
        LOG.info("five services ready after {} s", seconds(t0));

        Path connection = dir.resolve("connection.json");
        new ConnectionFile(kafka.bootstrapServers(), null, s3.endpoint(), s3.region(), accessKey.toString(),
                secretKey.toString(), CommonConfig.S3_STAGING_BUCKET.defaultValue(),
                CommonConfig.S3_BACKUP_BUCKET.defaultValue(), files.passphraseFile().toString(), null, null,
                files.clustersFile().toString(), dir.toString()).write(connection);

        // Name the replica: other engineers' simulated replicas share this Docker engine.
        long backupStart = System.nanoTime();
        EmbeddedCommandLineTest.Run backup = EmbeddedCommandLineTest.run("backup", "--cluster", CLUSTER, "--replica",
                replica.replicaId(), "--wait", "--plain", "--timeout", "3m", "--connection", connection.toString());
        assertThat(backup.code()).as(backup.out() + backup.err()).isEqualTo(ExitCodes.OK);
        Matcher m = Pattern.compile("backup (bk-\\S+): COMPLETED").matcher(backup.out());
        assertThat(m.find()).as(backup.out()).isTrue();
        String backupId = m.group(1);
        LOG.info("backup {} completed in {} s", backupId, seconds(backupStart));

        // The stored ciphertexts, read with stock gpg.
        Path stored = s3.dir().resolve(CommonConfig.S3_BACKUP_BUCKET.defaultValue()).resolve(CLUSTER)
                .resolve(backupId);
        Path metadataGpg = only(stored, "dtr-metadata-" + VERSION + "-backup-", ".tar.gpg");
        Path imagesGpg = only(stored, "dtr-image-backup-", ".tar.gpg");
        Gpg gpg = new Gpg(dir);
        Path metadataPlain = dir.resolve("gpg-metadata.tar");
        Path imagesPlain = dir.resolve("gpg-images.tar");
        Gpg.Result r1 = gpg.decrypt(metadataGpg, files.passphraseFile(), metadataPlain);
        assertThat(r1.exitCode()).as(r1.toString()).isZero();
        assertThat(r1.has("DECRYPTION_OKAY")).as(r1.toString()).isTrue();
        Gpg.Result r2 = gpg.decrypt(imagesGpg, files.passphraseFile(), imagesPlain);
        assertThat(r2.exitCode()).as(r2.toString()).isZero();
        assertThat(r2.has("DECRYPTION_OKAY")).as(r2.toString()).isTrue();

        assertThat(Files.readAllBytes(metadataPlain)).as("metadata tar = the stand-in docker/dtr's stdout")
                .isEqualTo(DtrSimulator.expectedMetadataTar(VERSION, true, false, false));
        try (InputStream in = Files.newInputStream(imagesPlain)) {
            var entries = RegistryTreeGenerator.readTar(in, "var/lib/docker/volumes/" + replica.volumeName() + "/_data/");
            assertThat(entries).as("image tar = the simulated volume")
                    .containsExactlyInAnyOrderElementsOf(simulator.readVolumeEntries(replica.volumeName()));
        }

        // fetch gives back exactly what gpg decrypted.
        Path restore = dir.resolve("restore");
        EmbeddedCommandLineTest.Run fetch = EmbeddedCommandLineTest.run("fetch", backupId, "--out", restore.toString(),
                "--connection", connection.toString());
        assertThat(fetch.code()).as(fetch.out() + fetch.err()).isZero();
        assertThat(Files.mismatch(only(restore, "dtr-metadata-", ".tar"), metadataPlain)).isEqualTo(-1L);
        assertThat(Files.mismatch(only(restore, "dtr-image-backup-", ".tar"), imagesPlain)).isEqualTo(-1L);

        checkMetrics(services, Files.size(metadataPlain), Files.size(imagesPlain));
        LOG.info("separate-process end to end: {} s in all", seconds(t0));
        EventSchemaAudit.check(kafka.bootstrapServers()).assertValidated("BackupRequested", "ReplicaDiscovered",
                "ArtifactStaged", "ArtifactEncrypted", "ArtifactVerified", "BackupPhaseChanged", "BackupCompleted",
                "ClusterBackupRecorded");
    }
    private void checkMetrics(ServiceProcesses services, long metadataBytes, long imagesBytes) {
        Map<String, Service> byName = new LinkedHashMap<>();
        services.all().forEach(s -> byName.put(s.name(), s));
        for (Service s : services.all()) {
            String body = services.metrics(s);
            assertThat(body).as(s.name()).contains("dtr_backup_jobs_in_flight{").contains("dtr_backup_consumer_lag{")
                    .contains("service=\"" + s.name() + "\"").contains("jvm_memory_used_bytes{");
        }
        String svc = "service=\"discovery-service\"";
        String discovery = services.metrics(byName.get("discovery-service"));
        assertThat(discovery).contains("dtr_backup_requests_total{outcome=\"discovered\"," + svc + "} 1.0")
                .contains("dtr_backup_jobs_completed_total{" + svc + ",topic=\"dtr-backup.requests\"} 1.0");
        // Discovery reads the compacted cluster-state topic: the completed backup shows as the
        // cluster's last success once verify-service has recorded it.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(services.metrics(byName.get("discovery-service")))
                .containsPattern("dtr_backup_last_success_timestamp_seconds\\{cluster=\"" + CLUSTER
                        + "\",service=\"discovery-service\"} \\d\\.\\d+E9"));

        svc = "service=\"metadata-service\"";
        assertThat(services.metrics(byName.get("metadata-service")))
                .contains("dtr_backup_stage_bytes_total{kind=\"metadata\"," + svc + ",stage=\"metadata\"} "
                        + (double) metadataBytes)
                .contains("dtr_backup_stage_duration_seconds_count{kind=\"metadata\",outcome=\"staged\"," + svc
                        + ",stage=\"metadata\"} 1")
                .contains("dtr_backup_jobs_completed_total{" + svc + ",topic=\"dtr-backup.replicas\"} 1.0");

        svc = "service=\"crypto-service\"";
        assertThat(services.metrics(byName.get("crypto-service")))
                .contains("dtr_backup_stage_duration_seconds_count{kind=\"images\",outcome=\"encrypted\"," + svc
                        + ",stage=\"encrypt\"} 1")
                .contains("dtr_backup_stage_duration_seconds_count{kind=\"metadata\",outcome=\"encrypted\"," + svc
                        + ",stage=\"encrypt\"} 1")
                .contains("dtr_backup_jobs_completed_total{" + svc + ",topic=\"dtr-backup.artifacts-staged\"} 2.0");

        svc = "service=\"image-service\"";
        assertThat(services.metrics(byName.get("image-service")))
                .contains("dtr_backup_stage_bytes_total{kind=\"images\"," + svc + ",stage=\"images\"} "
                        + (double) imagesBytes)
                .contains("dtr_backup_stage_duration_seconds_count{kind=\"images\",outcome=\"staged\"," + svc
                        + ",stage=\"images\"} 1")
                .contains("dtr_backup_jobs_completed_total{" + svc + ",topic=\"dtr-backup.replicas\"} 1.0");
        svc = "service=\"verify-service\"";
        String verifyJobs = "dtr_backup_jobs_completed_total{" + svc + ",topic=\"dtr-backup.artifacts-encrypted\"} 2.0";
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(services.metrics(byName.get("verify-service")))
                .contains(verifyJobs));
        // verify-service decides the backup: its outcome counter and the cluster's last success.
        String verify = services.metrics(byName.get("verify-service"));
        assertThat(verify).contains("dtr_backup_backups_total{cluster=\"" + CLUSTER + "\",outcome=\"completed\"," + svc
                + "} 1.0").containsPattern("dtr_backup_last_success_timestamp_seconds\\{cluster=\"" + CLUSTER + "\","
                        + svc + "} \\d\\.\\d+E9");
        LOG.info("metadata {} bytes, images {} bytes", metadataBytes, imagesBytes);
        // Every metric the alert rules and the dashboard name, against these five live scrapes.
        MonitoringFiles.assertEveryNamedMetricIsExported(services.all().stream().map(services::metrics).toList());
    }

    static Path only(Path dir, String prefix, String suffix) throws IOException {
        try (var s = Files.list(dir)) {
            List<Path> found = s.filter(p -> p.getFileName().toString().startsWith(prefix)
                    && p.getFileName().toString().endsWith(suffix)).toList();
            assertThat(found).as(prefix + "*" + suffix + " in " + dir).hasSize(1);
            return found.get(0);
        }
    }

    static long seconds(long since) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
    }
}
