package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.sun.net.httpserver.HttpServer;
import io.dtrbackup.common.archive.TarListing;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupProgress;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.DockerExtension;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.MutualTlsDockerProxy;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.S3Extension;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * metadata-service on the real testbed: embedded KRaft broker, S3Proxy, a Docker engine running the
 * simulator's {@code docker/dtr} stand-in, on its socket and behind a mutual-TLS proxy (tcp with a
 * client bundle, as UCP serves it). Given a ReplicaDiscovered, when the service runs, then the
 * staged object, the record and the events are checked byte for byte.
 */
@ExtendWith({KafkaExtension.class, S3Extension.class, DockerExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetadataServiceIT {
    private static final String VERSION = "2.9.18";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String WRONG_PASSWORD = "pw-wrong-0123456789abcdef";
    private static SimulatedUcp ucp;
    private static SimulatedUcp fetchUcp;
    private static SimulatedReplica replica;
    private static SimulatedReplica fetchReplica;
    private static HttpServer caServer;
    private static ItEnvironment env;
    private static MutualTlsDockerProxy mtls;
    private static Path strangerBundle;
    /** Every backup container as inspected between create and start, by backup ID. */
    private static final Map<String, List<InspectContainerResponse>> containers = new ConcurrentHashMap<>();

    @BeforeAll
    static void setUp(EmbeddedKafka kafka, EmbeddedS3 s3, DtrSimulator sim) throws Exception {
        Path dir = Files.createTempDirectory("metadata-it-");
        ucp = SimulatedUcp.random();
        // A UCP whose /ca is served on loopback, for a cluster with fetchCa: true: plain http, so that cluster
        // sets allowPlainHttp (the test bed allows what it needs; production refuses http://).
        caServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        String caUrl = "http://127.0.0.1:" + caServer.getAddress().getPort();
        SimulatedUcp random = SimulatedUcp.random();
        fetchUcp = new SimulatedUcp(caUrl, random.username(), random.password(), random.caPem());
        caServer.createContext("/ca", exchange -> {
            byte[] body = fetchUcp.caPem().getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        caServer.start();

        sim.installDtrImage(VERSION, ucp);
        sim.installDtrImage(VERSION, fetchUcp);
        replica = sim.createReplica(ReplicaSpec.of(VERSION, ucp).withTree(null));
        fetchReplica = sim.createReplica(ReplicaSpec.of(VERSION, fetchUcp).withTree(null));

        Files.writeString(dir.resolve("pw"), ucp.password() + "\n");
        Files.writeString(dir.resolve("fetch-pw"), fetchUcp.password());
        Files.writeString(dir.resolve("wrong-pw"), WRONG_PASSWORD);
        Files.writeString(dir.resolve("ca.pem"), ucp.caPem());
        Files.writeString(dir.resolve("other-ca.pem"), SimulatedUcp.random().caPem());
        String docker = "docker: { endpoint: \"" + sim.dockerHost() + "\" }";
        mtls = MutualTlsDockerProxy.start(sim.dockerHost());
        Path mtlsBundle = mtls.writeClientBundle(dir.resolve("mtls-bundle"));
        strangerBundle = mtls.writeStrangerBundle(dir.resolve("stranger-bundle"));
        String tcp = "docker: { endpoint: \"" + mtls.endpoint() + "\", clientBundle: \"" + mtlsBundle + "\" }";
        String stranger = "docker: { endpoint: \"" + mtls.endpoint() + "\", clientBundle: \"" + strangerBundle
                + "\" }";
        String url = "url: \"" + ucp.url() + "\", username: \"" + ucp.username() + "\"";
        String yaml = "clusters:\n"
                + "  - { id: good, " + docker + ", ucp: { " + url + ", passwordFile: pw, caFile: ca.pem } }\n"
                + "  - { id: badpw, " + docker + ", ucp: { " + url + ", passwordFile: wrong-pw, caFile: ca.pem } }\n"
                + "  - { id: wrongca, " + docker + ", ucp: { " + url + ", passwordFile: pw, caFile: other-ca.pem } }\n"
                + "  - { id: insecure, " + docker + ", ucp: { " + url + ", passwordFile: pw, insecureTls: true } }\n"
                + "  - { id: fetch, " + docker + ", ucp: { url: \"" + caUrl + "\", username: \"" + fetchUcp.username()
                + "\", passwordFile: fetch-pw, fetchCa: true, allowPlainHttp: true } }\n"
                + "  - { id: mtls, " + tcp + ", ucp: { " + url + ", passwordFile: pw, caFile: ca.pem } }\n"
                + "  - { id: mtls-stranger, " + stranger + ", ucp: { " + url + ", passwordFile: pw, caFile: ca.pem } }\n";
        env = new ItEnvironment(kafka, s3, dir, yaml, "meta-it", Map.of());
        env.verticle.onContainerCreated(id -> {
            InspectContainerResponse info = sim.docker().inspectContainerCmd(id).exec();
            String backup = info.getConfig().getLabels().get(DtrContainerRunner.BACKUP_LABEL);
            containers.computeIfAbsent(backup, b -> new CopyOnWriteArrayList<>()).add(info);
        });
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (env != null) {
            env.close();
        }
        if (caServer != null) {
            caServer.stop(0);
        }
        if (mtls != null) {
            mtls.close();
        }
    }

    private static ArtifactStaged awaitStaged(ReplicaDiscovered event) {
        await().atMost(WAIT).until(() -> !env.topics.events(Topics.STAGED.name(), event.backupId(), ArtifactStaged.class)
                .isEmpty() || !failures(event).isEmpty());
        assertThat(failures(event)).isEmpty();
        await().atMost(WAIT).until(() -> !env.topics.events(Topics.STATUS.name(), event.backupId(), ArtifactStaged.class)
                .isEmpty());
        return env.topics.events(Topics.STAGED.name(), event.backupId(), ArtifactStaged.class).get(0);
    }

    private static List<ArtifactFailed> failures(ReplicaDiscovered event) {
        return env.topics.events(Topics.STATUS.name(), event.backupId(), ArtifactFailed.class);
    }

    private static ArtifactFailed awaitFailed(ReplicaDiscovered event) {
        await().atMost(WAIT).until(() -> !failures(event).isEmpty());
        assertThat(env.topics.events(Topics.STAGED.name(), event.backupId(), ArtifactStaged.class)).isEmpty();
        ArtifactFailed failed = failures(event).get(0);
        assertThat(failed.kind()).isEqualTo(ArtifactKind.METADATA);
        assertThat(failed.phase()).isEqualTo(io.dtrbackup.contract.events.ArtifactPhase.STAGING);
        assertNothingStaged(event);
        return failed;
    }

    private static void assertNothingStaged(ReplicaDiscovered event) {
        assertThat(env.store.list(env.layout.stagingBucket(), BackupLayout.backupPrefix(event.clusterId(),
                event.backupId()))).isEmpty();
    }

    private static List<String> entryNames(String key) throws Exception {
        List<String> names = new ArrayList<>();
        try (InputStream in = env.store.get(env.layout.stagingBucket(), key);
                TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                names.add(e.getName());
            }
        }
        return names;
    }

    private static List<String> seedArgs(SimulatedUcp u, String replicaId, String... extra) {
        List<String> args = new ArrayList<>(List.of("backup", "--ucp-url", u.url(), "--ucp-username", u.username(),
                "--ucp-ca", u.caPem(), "--existing-replica-id", replicaId));
        args.addAll(List.of(extra));
        return args;
    }

    @Test
    @Order(1)
    void aGoodRunStagesTheSameBytesAsDockerRun(DtrSimulator sim) throws Exception {
        ReplicaDiscovered event = ItEnvironment.event("good", replica.replicaId(), VERSION, BackupOptions.DEFAULTS);
        env.publish(event);
        ArtifactStaged staged = awaitStaged(event);

        // The reference: the stand-in run directly, as the seed's `docker run -i --rm --log-driver none`.
        DtrSimulator.DtrRun direct = sim.runDtr(VERSION, Map.of("UCP_PASSWORD", ucp.password()),
                seedArgs(ucp, replica.replicaId()));
        assertThat(direct.exitCode()).as(direct.stderr()).isZero();
        String stagingKey = env.layout.stagingKey("good", event.backupId(), ArtifactKind.METADATA);
        assertThat(staged.stagingKey()).isEqualTo(stagingKey);
        assertThat(env.sha256(env.layout.stagingBucket(), stagingKey)).isEqualTo(direct.stdoutSha256())
                .isEqualTo(staged.sha256());
        assertThat(staged.sizeBytes()).isEqualTo(direct.stdout().length);
        assertThat(staged.artifactName()).isEqualTo(BackupLayout.artifactName(ArtifactKind.METADATA, VERSION,
                event.backupTimestamp()));
        assertThat(staged.topFolder()).isEqualTo("dtr-backup-v" + VERSION + "-online/");
        assertThat(staged.dtrVersion()).isEqualTo(VERSION);
        assertThat(staged.eventId()).isEqualTo(event.backupId() + ":ArtifactStaged:metadata");
        List<String> names = entryNames(stagingKey);
        TarListing listing = new TarListing();
        names.forEach(listing::add);
        assertThat(staged.entryCount()).isEqualTo(names.size());
        assertThat(staged.listingSha256()).isEqualTo(listing.sha256());

        // The record is the event, written after the tar.
        try (InputStream in = env.store.get(env.layout.stagingBucket(),
                env.layout.stagedRecordKey("good", event.backupId(), ArtifactKind.METADATA))) {
            assertThat(EventCodec.decode(in.readAllBytes(), ArtifactStaged.class)).isEqualTo(staged);
        }
        // Progress reached the final byte count.
        assertThat(env.topics.events(Topics.STATUS.name(), event.backupId(), BackupProgress.class))
                .anySatisfy(p -> assertThat(p.bytesDone()).isEqualTo(staged.sizeBytes()));

        // The container ran the way the seed says, the password only in its environment, and is gone.
        assertThat(containers.get(event.backupId())).hasSize(1);
        InspectContainerResponse info = containers.get(event.backupId()).get(0);
        assertThat(info.getConfig().getTty()).isFalse();
        assertThat(info.getHostConfig().getLogConfig().getType().getType()).isEqualTo("none");
        assertThat(info.getHostConfig().getNetworkMode()).isEqualTo("none");
        assertThat(info.getConfig().getImage()).isEqualTo("docker/dtr:" + VERSION);
        assertThat(info.getConfig().getCmd()).containsExactlyElementsOf(seedArgs(ucp, replica.replicaId()).stream()
                .map(a -> a.equals(ucp.caPem()) ? ucp.caPem().strip() + "\n" : a).toList());
        assertThat(info.getConfig().getEnv()).contains("UCP_PASSWORD=" + ucp.password());
        assertThat(info.getConfig().getLabels()).containsEntry(DtrContainerRunner.ROLE_LABEL, DtrContainerRunner.ROLE)
                .containsEntry(DtrContainerRunner.CLUSTER_LABEL, "good")
                .containsEntry(DtrContainerRunner.REPLICA_LABEL, replica.replicaId());
        assertThatThrownBy(() -> sim.docker().inspectContainerCmd(info.getId()).exec())
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    @Order(2)
    void aWrongPasswordFailsWithTheStandInsMessage() throws Exception {
        ReplicaDiscovered event = ItEnvironment.event("badpw", replica.replicaId(), VERSION, BackupOptions.DEFAULTS);
        env.publish(event);
        ArtifactFailed failed = awaitFailed(event);
        assertThat(failed.reason()).contains("exited with code 1")
                .contains("invalid credentials: UCP rejected username or password")
                .contains("ucp.passwordFile").doesNotContain(WRONG_PASSWORD);
    }

    @Test
    @Order(3)
    void anUnknownReplicaFailsWithTheStandInsMessage() throws Exception {
        ReplicaDiscovered event = ItEnvironment.event("good", "0000deadbeef", VERSION, BackupOptions.DEFAULTS);
        env.publish(event);
        assertThat(awaitFailed(event).reason()).contains("No replica found with id 0000deadbeef");
    }

    @Test
    @Order(4)
    void aCaThatIsNotUcpsFailsWithTheStandInsMessage() throws Exception {
        ReplicaDiscovered event = ItEnvironment.event("wrongca", replica.replicaId(), VERSION, BackupOptions.DEFAULTS);
        env.publish(event);
        assertThat(awaitFailed(event).reason()).contains("Failed to get UCP CA: x509: certificate signed by unknown authority")
                .contains("ucp.caFile");
    }

    @Test
    @Order(5)
    void aMissingCaFileFailsBeforeAnythingRuns() throws Exception {
        Path ca = env.dir.resolve("ca.pem");
        String pem = Files.readString(ca);
        Files.delete(ca);
        try {
            ReplicaDiscovered event = ItEnvironment.event("good", replica.replicaId(), VERSION, BackupOptions.DEFAULTS);
            env.publish(event);
            assertThat(awaitFailed(event).reason()).contains("ucp.caFile").contains("ca.pem").contains("does not exist");
            assertThat(containers).doesNotContainKey(event.backupId());
        } finally {
            Files.writeString(ca, pem);
        }
    }

    @Test
    @Order(6)
    void offlineAndIgnoreFlagsReachTheContainer() throws Exception {
        BackupOptions options = new BackupOptions(null, true, false, true, true, false, false);
        ReplicaDiscovered event = ItEnvironment.event("good", replica.replicaId(), VERSION, options);
        env.publish(event);
        ArtifactStaged staged = awaitStaged(event);
        assertThat(staged.topFolder()).isEqualTo("dtr-backup-v" + VERSION + "/"); // offline: no -online suffix
        List<String> names = entryNames(staged.stagingKey());
        assertThat(names).contains("dtr-backup-v" + VERSION + "/rethink/properties/0")
                .noneMatch(n -> n.contains("/rethink/events/") || n.contains("/rethink/scanned_"));
        assertThat(staged.sha256()).isEqualTo(DtrSimulator.expectedMetadataTarSha256(VERSION, false, true, true, 0));
        assertThat(containers.get(event.backupId()).get(0).getConfig().getCmd())
                .contains("--offline-backup", "--ignore-events-table", "--ignore-scan-data");
    }

    @Test
    @Order(7)
    void aFlagTheVersionLacksIsRefusedWithoutRunning() throws Exception {
        BackupOptions options = new BackupOptions(null, false, false, false, true, false, false);
        ReplicaDiscovered event = ItEnvironment.event("good", replica.replicaId(), "2.9.4", options);
        env.publish(event);
        assertThat(awaitFailed(event).reason()).contains("--ignore-scan-data needs MSR 2.9.18").contains("2.9.4");
        assertThat(containers).doesNotContainKey(event.backupId());
    }

    @Test
    @Order(8)
    void insecureTlsOnlyWhenAllowedAndWarnedOnStatus() throws Exception {
        ReplicaDiscovered event = ItEnvironment.event("insecure", replica.replicaId(), VERSION, BackupOptions.DEFAULTS);
        env.publish(event);
        awaitStaged(event);
        assertThat(containers.get(event.backupId()).get(0).getConfig().getCmd()).contains("--ucp-insecure-tls")
                .doesNotContain("--ucp-ca");
        assertThat(env.topics.events(Topics.STATUS.name(), event.backupId(), BackupPhaseChanged.class))
                .anySatisfy(p -> assertThat(p.detail()).contains("--ucp-insecure-tls").contains("not for production"));
    }

    @Test
    @Order(9)
    void theCaIsFetchedFromUcpWhenTheRegistrySaysSo() throws Exception {
        ReplicaDiscovered event = ItEnvironment.event("fetch", fetchReplica.replicaId(), VERSION, BackupOptions.DEFAULTS);
        env.publish(event);
        ArtifactStaged staged = awaitStaged(event);
        assertThat(staged.sha256()).isEqualTo(DtrSimulator.expectedMetadataTarSha256(VERSION, true, false, false, 0));
        assertThat(containers.get(event.backupId()).get(0).getConfig().getCmd()).contains(fetchUcp.caPem().strip() + "\n");
    }

    @Test
    @Order(10)
    void aRedeliveredEventStagesNothingTwice() throws Exception {
        ReplicaDiscovered event = ItEnvironment.event("good", replica.replicaId(), VERSION, BackupOptions.DEFAULTS);
        env.publish(event);
        ArtifactStaged first = awaitStaged(event);
        String prefix = BackupLayout.backupPrefix("good", event.backupId());
        List<ObjectInfo> before = env.store.list(env.layout.stagingBucket(), prefix);
        String recordKey = env.layout.stagedRecordKey("good", event.backupId(), ArtifactKind.METADATA);
        byte[] recordBefore;
        try (InputStream in = env.store.get(env.layout.stagingBucket(), recordKey)) {
            recordBefore = in.readAllBytes();
        }

        env.publish(event); // Kafka's at-least-once: the same record again
        await().atMost(WAIT).until(() -> env.topics.events(Topics.STAGED.name(), event.backupId(), ArtifactStaged.class)
                .size() == 2);
        assertThat(env.topics.events(Topics.STAGED.name(), event.backupId(), ArtifactStaged.class))
                .containsExactly(first, first);
        assertThat(containers.get(event.backupId())).hasSize(1); // docker/dtr ran once
        List<ObjectInfo> after = env.store.list(env.layout.stagingBucket(), prefix);
        assertThat(after).extracting(ObjectInfo::key).containsExactlyInAnyOrderElementsOf(
                before.stream().map(ObjectInfo::key).toList()).hasSize(2);
        try (InputStream in = env.store.get(env.layout.stagingBucket(), recordKey)) {
            assertThat(in.readAllBytes()).isEqualTo(recordBefore);
        }
    }

    @Test
    @Order(11)
    void aClusterBehindMutualTlsRunsDockerDtrThroughItsClientBundle(DtrSimulator sim) throws Exception {
        int served = mtls.connectionsServed();
        ReplicaDiscovered event = ItEnvironment.event("mtls", replica.replicaId(), VERSION, BackupOptions.DEFAULTS);
        env.publish(event);
        ArtifactStaged staged = awaitStaged(event);
        assertThat(staged.sha256()).isEqualTo(DtrSimulator.expectedMetadataTarSha256(VERSION, true, false, false, 0))
                .isEqualTo(env.sha256(env.layout.stagingBucket(), staged.stagingKey()));
        // Create, attach (a hijacked stream), start, wait and remove all went over tcp + mutual TLS.
        assertThat(mtls.connectionsServed()).as("connections the mutual-TLS proxy served for the run")
                .isGreaterThan(served);
        assertThat(containers.get(event.backupId())).hasSize(1);
        String id = containers.get(event.backupId()).get(0).getId();
        assertThatThrownBy(() -> sim.docker().inspectContainerCmd(id).exec()).isInstanceOf(NotFoundException.class);
    }

    @Test
    @Order(12)
    void aForeignClientCertificateIsRefusedBeforeAnythingRuns() throws Exception {
        int refused = mtls.handshakesRefused();
        int served = mtls.connectionsServed();
        ReplicaDiscovered event = ItEnvironment.event("mtls-stranger", replica.replicaId(), VERSION,
                BackupOptions.DEFAULTS);
        env.publish(event);
        ArtifactFailed failed = awaitFailed(event);
        // Under TLS 1.3 the engine checks the client certificate after the client's handshake ended:
        // the refusal reaches the service as a closed connection. The proxy's count shows it was the TLS refusal.
        assertThat(failed.reason()).contains("docker/dtr:" + VERSION);
        assertThat(containers).doesNotContainKey(event.backupId());
        await().atMost(WAIT).untilAsserted(() -> assertThat(mtls.handshakesRefused())
                .as("handshakes the proxy refused").isGreaterThan(refused));
        assertThat(mtls.connectionsServed()).isEqualTo(served);
    }

    @Test
    @Order(100)
    void thePasswordIsInNoEventLogLineOrContainerCommand() {
        List<String> secrets = List.of(ucp.password(), fetchUcp.password(), WRONG_PASSWORD);
        assertThat(env.topics.all()).isNotEmpty();
        for (TopicRecorder.Received r : env.topics.all()) {
            for (String secret : secrets) {
                assertThat(r.raw()).as("record on " + r.topic()).doesNotContain(secret);
            }
        }
        List<String> lines = env.logLines();
        assertThat(lines).anyMatch(l -> l.contains("running docker/dtr:" + VERSION));
        assertThat(lines).anyMatch(l -> l.contains("invalid credentials")); // the failure was logged...
        for (String line : lines) {
            for (String secret : secrets) {
                assertThat(line).doesNotContain(secret); // ...without the secret
            }
        }
        assertThat(containers).isNotEmpty();
        containers.values().stream().flatMap(List::stream).forEach(info -> {
            List<String> command = new ArrayList<>();
            command.add(info.getPath());
            command.addAll(List.of(info.getArgs()));
            command.addAll(List.of(info.getConfig().getCmd()));
            if (info.getConfig().getEntrypoint() != null) {
                command.addAll(List.of(info.getConfig().getEntrypoint()));
            }
            for (String secret : secrets) {
                assertThat(String.join(" ", command)).doesNotContain(secret);
            }
        });
    }
}
