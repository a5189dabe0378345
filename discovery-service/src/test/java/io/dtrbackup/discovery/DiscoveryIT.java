package io.dtrbackup.discovery;

import static io.dtrbackup.discovery.ItSupport.await;
import static io.dtrbackup.discovery.ItSupport.named;
import static io.dtrbackup.discovery.ItSupport.request;
import static io.dtrbackup.discovery.ItSupport.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupPhase;
import io.dtrbackup.contract.events.BackupPhaseChanged;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.ClusterBackupRecorded;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.StorageKind;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.KafkaExtension;
import io.dtrbackup.testsupport.MutualTlsDockerProxy;
import io.dtrbackup.testsupport.PrivateDockerEngine;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * discovery-service on the real testbed: embedded Kafka, two private Docker engines with
 * simulated DTR replicas (engine A: three replicas of DTR 2.9.4 on filesystem storage; engine B:
 * an NFS replica and a stopped one, DTR 2.8.2), engine A again behind a mutual-TLS proxy (tcp
 * with a client bundle, as UCP serves it), and endpoints that do not answer.
 */
@ExtendWith(KafkaExtension.class)
class DiscoveryIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    private static EmbeddedKafka kafka;
    private static PrivateDockerEngine engineA;
    private static PrivateDockerEngine engineB;
    private static DtrSimulator simA;
    private static DtrSimulator simB;
    private static List<String> threeIds;
    private static SimulatedReplica nfsReplica;
    private static SimulatedReplica stoppedReplica;
    private static Vertx vertx;
    private static String deployment;
    private static Path clusters;
    private static TopicRecorder recorder;
    private static KafkaProducer<String, byte[]> producer;
    private static UntrustedTlsEndpoint tls;
    private static MutualTlsDockerProxy mtls;
    private static Path mtlsBundle;
    private static Path strangerBundle;

    @BeforeAll
    static void setUp(EmbeddedKafka broker) throws Exception {
        kafka = broker;
        engineA = PrivateDockerEngine.start("dtr-disc-a", java.nio.file.Path.of("target"));
        engineB = PrivateDockerEngine.start("dtr-disc-b", java.nio.file.Path.of("target"));
        simA = DtrSimulator.start(engineA.dockerHost());
        simB = DtrSimulator.start(engineB.dockerHost());
        SimulatedUcp ucp = SimulatedUcp.random();
        threeIds = List.of(1, 2, 3).stream()
                .map(i -> simA.createReplica(ReplicaSpec.of("2.9.4", ucp).withTree(null)).replicaId())
                .sorted().toList();
        nfsReplica = simB.createReplica(ReplicaSpec.of("2.8.2", ucp).withTree(null)
                .withStorage(ReplicaSpec.StorageKind.NFS));
        stoppedReplica = simB.createReplica(ReplicaSpec.of("2.8.2", ucp).withTree(null).withRunning(false));

        ItSupport.ucpFiles(dir);
        int closedPort = closedPort();
        tls = UntrustedTlsEndpoint.start(dir);
        mtls = MutualTlsDockerProxy.start(engineA.dockerHost());
        mtlsBundle = mtls.writeClientBundle(dir.resolve("mtls-bundle"));
        strangerBundle = mtls.writeStrangerBundle(dir.resolve("stranger-bundle"));
        String a = engineA.dockerHost();
        String b = engineB.dockerHost();
        clusters = dir.resolve("clusters.yaml");
        Files.writeString(clusters, "clusters:\n"
                + ItSupport.cluster("three", a, null)
                + ItSupport.cluster("sticky", a, null)
                + ItSupport.cluster("dup", a, null)
                + ItSupport.cluster("named", b, null)
                + ItSupport.cluster("nfs", b, null)
                + ItSupport.cluster("ext", b, "    storage: s3\n")
                + ItSupport.cluster("down", "unix:///nonexistent.sock", null)
                + ItSupport.cluster("closed", "tcp://127.0.0.1:" + closedPort, null)
                + ItSupport.cluster("tls", tls.endpoint(), tls.bundle(), null)
                + ItSupport.cluster("mtls", mtls.endpoint(), mtlsBundle, null)
                + ItSupport.cluster("mtls-stranger", mtls.endpoint(), strangerBundle, null));
        vertx = Vertx.vertx();
        deployment = deploy();
        recorder = new TopicRecorder(kafka.bootstrapServers(), Topics.REQUESTS.name(), Topics.REPLICAS.name(),
                Topics.STATUS.name(), Topics.DEAD_LETTER);
        producer = ItSupport.producer(kafka.bootstrapServers());
    }

    /** A loopback port nobody listens on (bound, then released). */
    private static int closedPort() throws Exception {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String deploy() throws Exception {
        return await(vertx.deployVerticle(new DiscoveryVerticle(ItSupport.config(kafka.bootstrapServers(), clusters,
                Map.of("DTR_BACKUP_FRESHNESS_CHECK_INTERVAL", "1h")))));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (producer != null) {
            producer.close();
        }
        if (recorder != null) {
            recorder.close();
        }
        if (vertx != null) {
            await(vertx.close());
        }
        for (AutoCloseable c : new AutoCloseable[] {simA, simB, engineA, engineB, tls, mtls}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private ReplicaDiscovered discovered(String backupId) {
        await().atMost(WAIT).until(() -> !recorder.forBackup(Topics.REPLICAS.name(), ReplicaDiscovered.class, backupId)
                .isEmpty() || !recorder.forBackup(Topics.STATUS.name(), BackupFailed.class, backupId).isEmpty());
        assertThat(recorder.forBackup(Topics.STATUS.name(), BackupFailed.class, backupId)).as("failure of " + backupId)
                .isEmpty();
        return recorder.forBackup(Topics.REPLICAS.name(), ReplicaDiscovered.class, backupId).get(0);
    }

    private BackupFailed failed(String backupId) {
        await().atMost(WAIT).until(() -> !recorder.forBackup(Topics.STATUS.name(), BackupFailed.class, backupId)
                .isEmpty());
        return recorder.forBackup(Topics.STATUS.name(), BackupFailed.class, backupId).get(0);
    }

    @Test
    void threeReplicaClusterYieldsTheDeterministicReplicaItsVersionAndStorage() throws Exception {
        BackupRequested req = request("bk-three-1", "three", BackupOptions.DEFAULTS);
        send(producer, Topics.REQUESTS, req);
        ReplicaDiscovered d = discovered("bk-three-1");

        assertThat(d.replicaId()).isEqualTo(threeIds.get(0));
        assertThat(d.dtrVersion()).isEqualTo("2.9.4");
        assertThat(d.storageKind()).isEqualTo(StorageKind.FILESYSTEM);
        assertThat(d.volumeName()).isEqualTo("dtr-registry-" + threeIds.get(0));
        assertThat(d.expectedArtifacts()).containsExactly(ArtifactKind.METADATA, ArtifactKind.IMAGES);
        assertThat(d.replicaChoice()).contains("lowest replica ID of 3 healthy");
        assertThat(d.node()).isNotBlank();
        assertThat(d.backupTimestamp()).isEqualTo(BackupLayout.timestamp(req.occurredAt())).isEqualTo("20261125-02_00_07");
        assertThat(d.requestedAt()).isEqualTo(req.occurredAt());
        assertThat(d.eventId()).isEqualTo("bk-three-1:ReplicaDiscovered");

        await().atMost(WAIT).until(() -> recorder.statusOf("bk-three-1").size() >= 3);
        List<BackupEvent> status = recorder.statusOf("bk-three-1");
        assertThat(status).hasSize(3);
        assertThat(((BackupPhaseChanged) status.get(0)).phase()).isEqualTo(BackupPhase.DISCOVERING);
        assertThat(status.get(1)).isEqualTo(d);
        BackupPhaseChanged backingUp = (BackupPhaseChanged) status.get(2);
        assertThat(backingUp.phase()).isEqualTo(BackupPhase.BACKING_UP);
        assertThat(backingUp.expectedArtifacts()).containsExactly(ArtifactKind.METADATA, ArtifactKind.IMAGES);
    }

    @Test
    void aClusterBehindMutualTlsIsReadThroughItsClientBundleAndAForeignCertificateIsRefused() throws Exception {
        int served = mtls.connectionsServed();
        send(producer, Topics.REQUESTS, request("bk-mtls-1", "mtls", BackupOptions.DEFAULTS));
        ReplicaDiscovered d = discovered("bk-mtls-1");
        assertThat(d.replicaId()).isEqualTo(threeIds.get(0));
        assertThat(d.dtrVersion()).isEqualTo("2.9.4");
        assertThat(d.volumeName()).isEqualTo("dtr-registry-" + threeIds.get(0));
        assertThat(d.replicaChoice()).contains("lowest replica ID of 3 healthy");
        // Engine A's replicas came over tcp + mutual TLS, not over its socket.
        assertThat(mtls.connectionsServed()).as("connections the mutual-TLS proxy served for bk-mtls-1")
                .isGreaterThan(served);

        int refused = mtls.handshakesRefused();
        int servedBefore = mtls.connectionsServed();
        send(producer, Topics.REQUESTS, request("bk-mtls-stranger-1", "mtls-stranger", BackupOptions.DEFAULTS));
        BackupFailed f = failed("bk-mtls-stranger-1");
        // Under TLS 1.3 the engine checks the client certificate after the client's handshake ended: the
        // refusal reaches discovery as an SSL alert or, when the request was already on its way, as a closed
        // connection. Either way the reason names the bundle to replace; the proxy's count shows the refusal.
        assertThat(f.reason()).contains("cluster 'mtls-stranger' at " + mtls.endpoint())
                .contains(strangerBundle.toString()).contains("fresh UCP client bundle");
        await().atMost(WAIT).untilAsserted(() -> assertThat(mtls.handshakesRefused())
                .as("handshakes the proxy refused").isGreaterThan(refused));
        assertThat(mtls.connectionsServed()).isEqualTo(servedBefore);
        assertThat(recorder.forBackup(Topics.REPLICAS.name(), ReplicaDiscovered.class, "bk-mtls-stranger-1")).isEmpty();
    }

    @Test
    void stickyReplicaHoldsAcrossAServiceRestart() throws Exception {
        String sticky = threeIds.get(2); // not the one the deterministic rule would pick
        Instant completed = Instant.parse("2026-11-24T02:30:00Z");
        send(producer, Topics.CLUSTER_STATE, new ClusterBackupRecorded(BackupEvent.CURRENT_SCHEMA_VERSION,
                "bk-sticky-0:ClusterBackupRecorded", "bk-sticky-0", "sticky", completed, sticky, "2.9.4", completed));
        send(producer, Topics.REQUESTS, request("bk-sticky-1", "sticky", BackupOptions.DEFAULTS));
        ReplicaDiscovered first = discovered("bk-sticky-1");
        assertThat(first.replicaId()).isEqualTo(sticky);
        assertThat(first.replicaChoice()).startsWith("sticky").contains("bk-sticky-0");

        // verify-service would end it; without that the next request would be rejected as concurrent.
        send(producer, Topics.STATUS, new BackupCompleted(BackupEvent.CURRENT_SCHEMA_VERSION, "bk-sticky-1:done",
                "bk-sticky-1", "sticky", Instant.now(), "m", sticky, "2.9.4", 1, List.of()));
        await(vertx.undeploy(deployment));
        deployment = deploy();

        send(producer, Topics.REQUESTS, request("bk-sticky-2", "sticky", BackupOptions.DEFAULTS));
        ReplicaDiscovered second = discovered("bk-sticky-2");
        assertThat(second.replicaId()).isEqualTo(sticky);
        assertThat(second.replicaChoice()).startsWith("sticky");
    }

    @Test
    void aStoppedNamedReplicaIsReportedAndReplacedOnlyWhenAllowed() throws Exception {
        String stopped = stoppedReplica.replicaId();
        send(producer, Topics.REQUESTS, request("bk-named-1", "named", named(stopped, false)));
        BackupFailed f = failed("bk-named-1");
        assertThat(f.failedStage()).isEqualTo("discovery");
        assertThat(f.phase()).isEqualTo(BackupPhase.FAILED);
        assertThat(f.reason()).contains("replica " + stopped + " named in the request is not healthy")
                .contains("dtr-rethinkdb-" + stopped + " exited").contains("allowReplicaFallback");
        assertThat(recorder.forBackup(Topics.REPLICAS.name(), ReplicaDiscovered.class, "bk-named-1")).isEmpty();

        send(producer, Topics.REQUESTS, request("bk-named-2", "named", named(stopped, true)));
        ReplicaDiscovered d = discovered("bk-named-2");
        assertThat(d.replicaId()).isEqualTo(nfsReplica.replicaId());
        assertThat(d.replicaChoice()).startsWith("fallback").contains(stopped);
    }

    @Test
    void nfsReplicaAndExternalStorageClusterAreClassified() throws Exception {
        send(producer, Topics.REQUESTS, request("bk-nfs-1", "nfs", BackupOptions.DEFAULTS));
        send(producer, Topics.REQUESTS, request("bk-ext-1", "ext", BackupOptions.DEFAULTS));
        ReplicaDiscovered nfs = discovered("bk-nfs-1");
        assertThat(nfs.replicaId()).isEqualTo(nfsReplica.replicaId()); // the stopped one is not healthy
        assertThat(nfs.storageKind()).isEqualTo(StorageKind.NFS);
        assertThat(nfs.volumeName()).isEqualTo("dtr-registry-nfs-" + nfsReplica.replicaId());
        assertThat(nfs.dtrVersion()).isEqualTo("2.8.2");
        assertThat(nfs.expectedArtifacts()).containsExactly(ArtifactKind.METADATA, ArtifactKind.IMAGES);

        ReplicaDiscovered ext = discovered("bk-ext-1");
        assertThat(ext.storageKind()).isEqualTo(StorageKind.S3);
        assertThat(ext.volumeName()).isNull();
        assertThat(ext.expectedArtifacts()).containsExactly(ArtifactKind.METADATA);
    }

    @Test
    void twoRequestsForOneClusterGiveOneBackupAndOneRejection() throws Exception {
        BackupRequested first = request("bk-dup-1", "dup", BackupOptions.DEFAULTS);
        send(producer, Topics.REQUESTS, first);
        send(producer, Topics.REQUESTS, request("bk-dup-2", "dup", BackupOptions.DEFAULTS));
        send(producer, Topics.REQUESTS, first); // a redelivery of the first: must not start it again
        send(producer, Topics.REQUESTS, request("bk-dup-3", "dup", BackupOptions.DEFAULTS));

        discovered("bk-dup-1");
        await().atMost(WAIT).until(() -> !recorder.forBackup(Topics.STATUS.name(), BackupRejected.class, "bk-dup-3")
                .isEmpty());
        BackupRejected rejected = recorder.forBackup(Topics.STATUS.name(), BackupRejected.class, "bk-dup-2").get(0);
        assertThat(rejected.runningBackupId()).isEqualTo("bk-dup-1");
        assertThat(rejected.reason()).contains("bk-dup-1").contains("options.force");
        assertThat(recorder.forBackup(Topics.REPLICAS.name(), ReplicaDiscovered.class, "bk-dup-2")).isEmpty();
        // The redelivered first request (handled before bk-dup-3, same partition) changed nothing.
        assertThat(recorder.forBackup(Topics.REPLICAS.name(), ReplicaDiscovered.class, "bk-dup-1")).hasSize(1);
        assertThat(recorder.forBackup(Topics.STATUS.name(), BackupPhaseChanged.class, "bk-dup-1"))
                .extracting(BackupPhaseChanged::phase).containsExactly(BackupPhase.DISCOVERING, BackupPhase.BACKING_UP);

        // force overrides the rule
        send(producer, Topics.REQUESTS, request("bk-dup-4", "dup",
                new BackupOptions(null, false, false, false, false, true, false)));
        assertThat(discovered("bk-dup-4").replicaId()).isEqualTo(threeIds.get(0));
    }

    @Test
    void unreachableEndpointsTlsFailuresAndUnknownClustersFailWithReasons() throws Exception {
        send(producer, Topics.REQUESTS, request("bk-down-1", "down", BackupOptions.DEFAULTS));
        send(producer, Topics.REQUESTS, request("bk-closed-1", "closed", BackupOptions.DEFAULTS));
        send(producer, Topics.REQUESTS, request("bk-unknown-1", "no-such-cluster", BackupOptions.DEFAULTS));
        send(producer, Topics.REQUESTS, request("bk-tls-1", "tls", BackupOptions.DEFAULTS));

        assertThat(failed("bk-down-1").reason())
                .startsWith("cannot reach the Docker endpoint of cluster 'down' at unix:///nonexistent.sock");
        assertThat(failed("bk-closed-1").reason())
                .startsWith("cannot reach the Docker endpoint of cluster 'closed' at tcp://127.0.0.1:")
                .containsIgnoringCase("refused");
        assertThat(failed("bk-tls-1").reason())
                .startsWith("TLS handshake with the Docker endpoint of cluster 'tls' at " + tls.endpoint() + " failed")
                .contains(tls.bundle().toString()).contains("fresh UCP client bundle");
        BackupFailed unknown = failed("bk-unknown-1");
        assertThat(unknown.failedStage()).isEqualTo("discovery");
        assertThat(unknown.reason()).contains("unknown cluster 'no-such-cluster'").contains("three");
    }

    @Test
    void aMalformedRecordIsDeadLetteredAndTheNextOneStillProcessed() throws Exception {
        producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), "down",
                "{\"type\":\"BackupRequested\", oops".getBytes(StandardCharsets.UTF_8))).get();
        send(producer, Topics.REQUESTS, request("bk-after-bad", "down", BackupOptions.DEFAULTS));

        assertThat(failed("bk-after-bad").reason()).startsWith("cannot reach");
        await().atMost(WAIT).until(() -> recorder.all().stream().anyMatch(r -> r.topic().equals(Topics.DEAD_LETTER)
                && new String(r.value(), StandardCharsets.UTF_8).contains("oops")));
        String letter = recorder.all().stream().filter(r -> r.topic().equals(Topics.DEAD_LETTER))
                .map(r -> new String(r.value(), StandardCharsets.UTF_8)).filter(v -> v.contains("oops")).findFirst()
                .orElseThrow();
        assertThat(letter).contains("not valid JSON").contains("discovery-service");
    }
}
