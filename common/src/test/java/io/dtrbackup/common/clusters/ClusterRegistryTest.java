package io.dtrbackup.common.clusters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.events.StorageKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterRegistryTest {
    @TempDir
    Path dir;

    @BeforeEach
    void secrets() throws Exception {
        Files.writeString(dir.resolve("pw"), "secret\n");
        Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        for (String f : new String[] {"ca.pem", "cert.pem", "key.pem"}) {
            Files.writeString(bundle.resolve(f), "pem");
        }
    }

    @Test
    void readsAValidRegistry() throws Exception {
        ClusterRegistry registry = ClusterRegistry.load(write("""
                clusters:
                  - id: local
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp.local", username: admin, passwordFile: pw, caFile: ca.pem }
                    schedule: "0 2 * * *"
                    freshness: 26h
                    retention: { keepLast: 7, maxAge: 30d }
                  - id: remote
                    docker: { endpoint: "tcp://ucp.example.com:443", clientBundle: bundle }
                    ucp: { url: "https://ucp.example.com", username: admin, passwordFile: pw, fetchCa: true }
                    storage: s3
                """));
        ClusterSpec local = registry.require("local");
        assertThat(local.docker().isUnixSocket()).isTrue();
        assertThat(local.ucp().passwordFile()).isEqualTo(dir.resolve("pw"));
        assertThat(local.retention().keepLast()).isEqualTo(7);
        assertThat(local.retention().maxAge()).isEqualTo(Duration.ofDays(30));
        assertThat(local.storageOverride()).isNull();
        ClusterSpec remote = registry.require("remote");
        assertThat(remote.docker().clientBundle()).isEqualTo(dir.resolve("bundle"));
        assertThat(remote.storageOverride()).isEqualTo(StorageKind.S3);
        assertThat(remote.freshness()).isEqualTo(ClusterRegistry.DEFAULT_FRESHNESS);
        assertThatThrownBy(() -> registry.require("nope")).hasMessageContaining("unknown cluster 'nope'")
                .hasMessageContaining("known: local, remote");
    }

    @Test
    void unknownKeysAreClearErrors() throws Exception {
        Path file = write("""
                clusters:
                  - id: local
                    docker: { endpoint: "unix:///var/run/docker.sock", sokcet: x }
                    ucp: { url: "https://ucp.local", username: admin, passwordFile: pw, caFile: ca.pem }
                """);
        assertThatThrownBy(() -> ClusterRegistry.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown key 'sokcet'").hasMessageContaining("clusters.[0].docker");
    }

    @Test
    void everyProblemIsReportedWithItsCluster() throws Exception {
        Path file = write("""
                clusters:
                  - id: a
                    docker: { endpoint: "tcp://10.0.0.1:2376" }
                    ucp: { url: "https://ucp", username: admin, passwordFile: missing-pw }
                    schedule: "every night"
                  - id: a
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp", username: admin, passwordFile: pw, caFile: ca.pem }
                  - id: a
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp", username: admin, passwordFile: pw, caFile: ca.pem }
                """);
        assertThatThrownBy(() -> ClusterRegistry.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("(a): docker.endpoint tcp://10.0.0.1:2376 is tcp without a clientBundle")
                .hasMessageContaining("missing-pw does not exist")
                .hasMessageContaining("ucp.caFile is required")
                .hasMessageContaining("schedule 'every night'")
                .hasMessageContaining("duplicate cluster id 'a'");
    }

    @Test
    void plainHttpUcpIsRefusedNamingTheClusterAndTheKey() throws Exception {
        Path file = write("""
                clusters:
                  - id: plain
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "http://backup-admin:hunter2@ucp.example.com", username: admin, passwordFile: pw,
                           caFile: ca.pem }
                  - id: typo
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "ucp.example.com", username: admin, passwordFile: pw, caFile: ca.pem }
                """);
        assertThatThrownBy(() -> ClusterRegistry.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("clusters[0] (plain): ucp.url http://***@ucp.example.com is plain http://")
                .hasMessageContaining("set ucp.allowPlainHttp: true (not for production)")
                .hasMessageContaining("clusters[1] (typo): ucp.url must be an https:// URL")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2", "backup-admin", "secret"));
    }

    @Test
    void plainHttpUcpIsAcceptedWhenTheClusterAllowsIt() throws Exception {
        ClusterRegistry registry = ClusterRegistry.load(write("""
                clusters:
                  - id: lab
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "http://ucp.lab", username: admin, passwordFile: pw, caFile: ca.pem, allowPlainHttp: true }
                  - id: prod
                    docker: { endpoint: "unix:///var/run/docker.sock" }
                    ucp: { url: "https://ucp.example.com", username: admin, passwordFile: pw, caFile: ca.pem }
                """));
        assertThat(registry.require("lab").ucp().url()).isEqualTo("http://ucp.lab");
        assertThat(registry.require("lab").ucp().allowPlainHttp()).isTrue();
        // https needs no allowance, and the allowance is off unless set.
        assertThat(registry.require("prod").ucp().allowPlainHttp()).isFalse();
    }

    @Test
    void userInfoIsMaskedInUrlsShownInMessages() {
        assertThat(ClusterRegistry.withoutUserInfo("http://u:p@w@host:8443/x@y")).isEqualTo("http://***@host:8443/x@y");
        assertThat(ClusterRegistry.withoutUserInfo("https://ucp.example.com/ca")).isEqualTo("https://ucp.example.com/ca");
        assertThat(ClusterRegistry.withoutUserInfo(null)).isNull();
    }

    @Test
    void missingFileIsAClearError() {
        assertThatThrownBy(() -> ClusterRegistry.load(dir.resolve("nope.yaml")))
                .hasMessageContaining("nope.yaml does not exist");
    }

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("clusters.yaml");
        Files.writeString(file, yaml);
        return file;
    }
}
