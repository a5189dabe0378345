package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.common.clusters.ClusterRegistry;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void withoutADockerEngineItExitsFiveAndNamesTheSetupScript() {
        var r = EmbeddedCommandLineTest.run("demo", "--docker-host", "unix://" + tmp.resolve("no-such.sock"), "--out",
                tmp.resolve("demo").toString());
        assertThat(r.code()).isEqualTo(ExitCodes.NO_DOCKER);
        assertThat(r.err()).contains("no Docker engine answers on unix://" + tmp.resolve("no-such.sock"))
                .contains("deploy/setup-docker-engine.sh");
        assertThat(tmp.resolve("demo")).doesNotExist();
    }

    @Test
    void demoFilesAreAValidClusterRegistryWithSecretsOnlyInOwnerOnlyFiles() throws Exception {
        SimulatedUcp ucp = SimulatedUcp.random();
        DemoFiles files = DemoFiles.write(tmp, "demo", "unix:///var/run/docker.sock", ucp, "pass-123", Duration.ofHours(26));
        var registry = ClusterRegistry.load(files.clustersFile());
        var spec = registry.require("demo");
        assertThat(spec.ucp().passwordFile()).isEqualTo(files.ucpPasswordFile().toAbsolutePath());
        assertThat(spec.freshness()).isEqualTo(Duration.ofHours(26));
        assertThat(Files.readString(files.clustersFile())).doesNotContain(ucp.password()).doesNotContain("pass-123");
        assertThat(Files.readString(files.ucpPasswordFile())).isEqualTo(ucp.password() + "\n");
        assertThat(Files.getPosixFilePermissions(files.passphraseFile()))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void theDemoStackRunsTheBackupContainerWithoutANetworkWhileProductionKeepsTheEnginesDefault() throws Exception {
        DemoFiles files = DemoFiles.write(tmp, "demo", "unix:///var/run/docker.sock", SimulatedUcp.random(), "p",
                Duration.ofHours(26));
        String key = io.dtrbackup.metadata.MetadataServiceConfig.DTR_NETWORK_MODE.envName();
        assertThat(DemoCommand.stackSettings(files)).containsEntry(key, "none");
        assertThat(io.dtrbackup.metadata.MetadataServiceConfig.DTR_NETWORK_MODE.defaultValue()).isEqualTo("default");
    }

    @Test
    void theSimulatedVolumeIsRoughlyTheAskedSize() {
        var tree = DemoCommand.tree(200);
        assertThat(tree.largeBlobs() * tree.largeBlobBytes()).isBetween(150_000_000L, 230_000_000L);
    }

    @Test
    void theSummaryPrintsAPasteableGpgCheckPerObject() throws Exception {
        DemoFiles files = DemoFiles.write(tmp, "demo", "unix:///var/run/docker.sock", SimulatedUcp.random(), "p",
                Duration.ofHours(26));
        ManifestView m = ManifestView.parse("demo/bk-1/manifest.json", new java.io.ByteArrayInputStream("""
                {"backupId": "bk-1", "clusterId": "demo", "artifacts": [
                  {"kind": "METADATA", "objectKey": "demo/bk-1/dtr-metadata-2.9.4-backup-20261125-02_00_00.tar.gpg"},
                  {"kind": "IMAGES", "objectKey": "demo/bk-1/dtr-image-backup-20261125-02_00_00.tar.gpg"}]}
                """.getBytes()));
        Path copy = tmp.resolve("dtr-image-backup-20261125-02_00_00.tar.gpg");
        var lines = DemoCommand.summary("http://127.0.0.1:9", tmp.resolve("s3"), "dtr-backup", m, java.util.List.of(copy),
                files, false);
        assertThat(lines).contains("  s3://dtr-backup/demo/bk-1/dtr-image-backup-20261125-02_00_00.tar.gpg")
                .contains("  gpg --batch --passphrase-file " + files.passphraseFile() + " -d " + copy + " | tar -t | head")
                .anyMatch(l -> l.contains("stopped now"));
    }
}
