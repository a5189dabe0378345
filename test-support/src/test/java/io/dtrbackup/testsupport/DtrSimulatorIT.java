package io.dtrbackup.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.dtrbackup.testsupport.DtrSimulator.DtrRun;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@ExtendWith(DockerExtension.class)
class DtrSimulatorIT {
    private static final Logger LOG = LoggerFactory.getLogger(DtrSimulatorIT.class);
    private static final String VERSION = "2.9.18";
    private static SimulatedUcp ucp;
    private static SimulatedReplica replica;

    @BeforeAll
    static void setUp(DtrSimulator sim) {
        ucp = SimulatedUcp.random();
        long t0 = System.nanoTime();
        sim.installDtrImage(VERSION, ucp);
        LOG.info("installDtrImage took {} ms", (System.nanoTime() - t0) / 1_000_000);
        replica = sim.createReplica(ReplicaSpec.of(VERSION, ucp).withNodeName("node-1"));
    }

    @Test
    void containersCarryDtrNamesEnvNetworkAndVolume(DtrSimulator sim) {
        String id = replica.replicaId();
        assertThat(id).matches("[0-9a-f]{12}");
        // Name filters are unanchored regexes: anchor them and check again in Java.
        List<Container> listed = sim.docker().listContainersCmd().withShowAll(true)
                .withNameFilter(List.of("^/dtr-[a-z]+-" + id + "$")).exec();
        List<String> names = listed.stream().map(c -> c.getNames()[0].substring(1)).sorted().toList();
        assertThat(names).containsExactlyInAnyOrderElementsOf(replica.containerNames());
        assertThat(names).allMatch(n -> n.matches("dtr-(rethinkdb|registry|api|nginx|jobrunner)-[0-9a-f]{12}"));
        for (Container c : listed) {
            InspectContainerResponse info = sim.docker().inspectContainerCmd(c.getId()).exec();
            assertThat(info.getConfig().getEnv()).contains("DTR_VERSION=" + VERSION);
            assertThat(info.getHostConfig().getNetworkMode()).isEqualTo("none");
            assertThat(info.getHostConfig().getInit()).isTrue();
            assertThat(info.getState().getRunning()).isTrue();
            assertThat(info.getConfig().getLabels()).containsEntry(DtrSimulator.LABEL, sim.runId())
                    .containsEntry("io.dtrbackup.sim.node", "node-1");
        }
        InspectContainerResponse registry = sim.docker().inspectContainerCmd("dtr-registry-" + id).exec();
        assertThat(registry.getMounts()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("dtr-registry-" + id);
            assertThat(m.getDestination().getPath()).isEqualTo("/storage");
        });
    }

    @Test
    void volumeHoldsTheGeneratedTree(DtrSimulator sim) {
        assertThat(sim.readVolumeEntries(replica.volumeName()))
                .containsExactlyElementsOf(replica.tree().comparableEntries());
    }

    @Test
    void componentsStopAndStart(DtrSimulator sim) {
        replica.stop("api");
        replica.stop("api"); // idempotent
        assertThat(sim.docker().inspectContainerCmd(replica.containerId("api")).exec().getState().getRunning()).isFalse();
        replica.start("dtr-api");
        assertThat(sim.docker().inspectContainerCmd(replica.containerId("api")).exec().getState().getRunning()).isTrue();
    }

    @Test
    void backupWritesTheSameValidTarTwice(DtrSimulator sim) throws IOException {
        DtrRun first = backup(sim, replica.replicaId());
        DtrRun second = backup(sim, replica.replicaId());
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        assertThat(first.stderr()).contains("INFO[0000] Beginning backup").contains("Backup finished");
        assertThat(first.stdoutSha256()).isEqualTo(second.stdoutSha256());
        assertThat(first.stdout()).isEqualTo(DtrSimulator.expectedMetadataTar(VERSION, true, false, false));
        List<String> names = names(first.stdout());
        assertThat(names.get(0)).isEqualTo("dtr-backup-v" + VERSION + "-online/");
        assertThat(names).contains("dtr-backup-v" + VERSION + "-online/rethink/",
                "dtr-backup-v" + VERSION + "-online/rethink/properties/0");
    }

    @Test
    void flagsChangeTheTar(DtrSimulator sim) throws IOException {
        DtrRun offline = backup(sim, replica.replicaId(), "--offline-backup");
        assertThat(offline.exitCode()).as(offline.stderr()).isZero();
        assertThat(names(offline.stdout()).get(0)).isEqualTo("dtr-backup-v" + VERSION + "/");

        DtrRun slim = backup(sim, replica.replicaId(), "--ignore-events-table", "--ignore-scan-data", "--debug");
        assertThat(slim.exitCode()).as(slim.stderr()).isZero();
        assertThat(slim.stderr()).contains("DEBU[0000]");
        assertThat(names(slim.stdout())).noneMatch(n -> n.contains("/events/") || n.contains("/scanned_"))
                .anyMatch(n -> n.endsWith("/rethink/tags/"));
        assertThat(slim.stdout()).isEqualTo(DtrSimulator.expectedMetadataTar(VERSION, true, true, true));
    }

    @Test
    void failuresExitNonZeroWithNothingOnStdout(DtrSimulator sim) {
        DtrRun wrongPassword = sim.runDtr(VERSION, Map.of("UCP_PASSWORD", ucp.password() + "x"),
                args(replica.replicaId(), "--ucp-ca", ucp.caPem()));
        assertFailed(wrongPassword, "invalid credentials");

        DtrRun unknownReplica = sim.runDtr(VERSION, Map.of("UCP_PASSWORD", ucp.password()),
                args("0123456789ab", "--ucp-ca", ucp.caPem()));
        assertFailed(unknownReplica, "No replica found with id 0123456789ab");

        DtrRun noCa = sim.runDtr(VERSION, Map.of("UCP_PASSWORD", ucp.password()), args(replica.replicaId()));
        assertFailed(noCa, "--ucp-insecure-tls");

        DtrRun wrongCa = sim.runDtr(VERSION, Map.of("UCP_PASSWORD", ucp.password()),
                args(replica.replicaId(), "--ucp-ca", SimulatedUcp.random().caPem()));
        assertFailed(wrongCa, "x509");

        DtrRun badFlag = backup(sim, replica.replicaId(), "--no-such-flag");
        assertFailed(badFlag, "flag provided but not defined: -no-such-flag");
    }

    @Test
    void insecureTlsAndPasswordFlagWork(DtrSimulator sim) {
        List<String> a = new ArrayList<>(List.of("backup", "--ucp-url", ucp.url() + "/", "--ucp-username", ucp.username(),
                "--ucp-password", ucp.password(), "--ucp-insecure-tls", "--existing-replica-id", replica.replicaId()));
        DtrRun run = sim.runDtr(VERSION, Map.of(), a);
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.stderr()).contains("WARN[0000]");
    }

    @Test
    void versionGatedFlagsAndCleanup() throws IOException {
        // Own simulator, so the test can check that close() leaves nothing behind.
        String runId;
        try (DtrSimulator own = DtrSimulator.start()) {
            runId = own.runId();
            SimulatedUcp u = SimulatedUcp.random();
            SimulatedReplica r = own.createReplica(ReplicaSpec.of("2.7.5", u).withTree(null)
                    .withStorage(ReplicaSpec.StorageKind.NFS).withRunning(false));
            assertThat(r.volumeName()).isEqualTo("dtr-registry-nfs-" + r.replicaId());
            own.installDtrImage("2.7.5", u, 3_000_000);
            List<String> base = List.of("backup", "--ucp-url", u.url(), "--ucp-username", u.username(),
                    "--ucp-ca", u.caPem(), "--existing-replica-id", r.replicaId());
            DtrRun ok = own.runDtr("2.7.5", Map.of("UCP_PASSWORD", u.password()), base);
            assertThat(ok.exitCode()).as(ok.stderr()).isZero();
            assertThat(names(ok.stdout()).get(0)).isEqualTo("dtr-backup-v2.7.5/");
            assertThat(ok.stdout().length).isGreaterThan(3_000_000);
            assertThat(ok.stdoutSha256()).isEqualTo(DtrSimulator.expectedMetadataTarSha256("2.7.5", true, false, false, 3_000_000));
            List<String> withIgnore = new ArrayList<>(base);
            withIgnore.add("--ignore-events-table");
            assertFailed(own.runDtr("2.7.5", Map.of("UCP_PASSWORD", u.password()), withIgnore),
                    "flag provided but not defined: -ignore-events-table");
            assertThat(own.docker().inspectContainerCmd(r.containerId("rethinkdb")).exec().getState().getRunning()).isFalse();
        }
        try (DtrSimulator probe = DtrSimulator.start()) {
            Map<String, String> label = Map.of(DtrSimulator.LABEL, runId);
            assertThat(probe.docker().listContainersCmd().withShowAll(true).withLabelFilter(label).exec()).isEmpty();
            assertThat(probe.docker().listVolumesCmd().withFilter("label", List.of(DtrSimulator.LABEL + "=" + runId))
                    .exec().getVolumes()).isNullOrEmpty();
            assertThat(probe.docker().listImagesCmd().withShowAll(true).withLabelFilter(label).exec()).isEmpty();
        }
    }

    @Test
    void simulatorsOnOneEngineShareDockerDtr(DtrSimulator sim) {
        SimulatedUcp otherUcp = SimulatedUcp.random();
        try (DtrSimulator other = DtrSimulator.start()) {
            SimulatedReplica otherReplica = other.createReplica(ReplicaSpec.of(VERSION, otherUcp).withTree(null));
            other.installDtrImage(VERSION, otherUcp);
            // Both simulators' replicas are accepted by the one docker/dtr:<version> tag.
            DtrRun mine = backup(sim, replica.replicaId());
            assertThat(mine.exitCode()).as(mine.stderr()).isZero();
            DtrRun theirs = other.runDtr(VERSION, Map.of("UCP_PASSWORD", otherUcp.password()),
                    List.of("backup", "--ucp-url", otherUcp.url(), "--ucp-username", otherUcp.username(),
                            "--ucp-insecure-tls", "--existing-replica-id", otherReplica.replicaId()));
            assertThat(theirs.exitCode()).as(theirs.stderr()).isZero();
            // ...but each UCP only knows its own replicas.
            assertFailed(backup(sim, otherReplica.replicaId()), "No replica found with id " + otherReplica.replicaId());
        }
        // The other simulator's close() leaves docker/dtr working for this one.
        DtrRun after = backup(sim, replica.replicaId());
        assertThat(after.exitCode()).as(after.stderr()).isZero();
    }

    private static void assertFailed(DtrRun run, String message) {
        assertThat(run.exitCode()).as(run.stderr()).isNotZero();
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr()).contains(message);
    }

    private static DtrRun backup(DtrSimulator sim, String replicaId, String... extra) {
        List<String> a = args(replicaId, "--ucp-ca", ucp.caPem());
        a.addAll(List.of(extra));
        return sim.runDtr(VERSION, Map.of("UCP_PASSWORD", ucp.password()), a);
    }

    private static List<String> args(String replicaId, String... extra) {
        List<String> a = new ArrayList<>(List.of("backup", "--ucp-url", ucp.url(), "--ucp-username", ucp.username(),
                "--existing-replica-id", replicaId));
        for (String e : extra) {
            a.add(e);
        }
        return a;
    }

    static List<String> names(byte[] tar) throws IOException {
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                names.add(e.getName());
            }
        }
        return names;
    }
}
