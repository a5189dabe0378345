package io.dtrbackup.common.clusters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each service's needs: a file missing only what a service does not use loads; missing what it uses is refused. */
class ClusterNeedsTest {
    @TempDir
    Path dir;

    // Two clusters whose bundle, password and CA files are all absent from the disk.
    private Path fileWithoutSecrets() throws Exception {
        return Files.writeString(dir.resolve("clusters.yaml"), """
                clusters:
                  - id: a
                    docker: { endpoint: "tcp://a.example.com:443", clientBundle: bundle-a }
                    ucp: { url: "https://a.example.com", username: admin, passwordFile: pw-a, caFile: ca-a.pem }
                  - id: b
                    docker: { endpoint: "tcp://b.example.com:443", clientBundle: bundle-b }
                    ucp: { url: "https://b.example.com", username: admin, passwordFile: pw-b }
                """);
    }

    private void writeBundles() throws Exception {
        for (String c : new String[] {"a", "b"}) {
            Path bundle = Files.createDirectories(dir.resolve("bundle-" + c));
            for (String f : new String[] {"ca.pem", "cert.pem", "key.pem"}) {
                Files.writeString(bundle.resolve(f), "pem");
            }
        }
    }

    @Test
    void verifyNeedsNoSecretsAtAll() throws Exception {
        ClusterRegistry registry = ClusterRegistry.load(fileWithoutSecrets(), ClusterNeeds.POLICY_ONLY);
        assertThat(registry.all()).extracting(ClusterSpec::id).containsExactly("a", "b");
    }

    @Test
    void dockerOnlyServicesNeedTheBundleButNoUcpPassword() throws Exception {
        Path file = fileWithoutSecrets();
        assertThatThrownBy(() -> ClusterRegistry.load(file, ClusterNeeds.DOCKER_ONLY))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("clusters[0] (a): docker.clientBundle")
                .hasMessageContaining("clusters[1] (b): docker.clientBundle")
                .hasMessageNotContaining("passwordFile");
        writeBundles();
        assertThat(ClusterRegistry.load(file, ClusterNeeds.DOCKER_ONLY).all()).hasSize(2);
    }

    @Test
    void metadataNeedsDockerAndUcpAndReportsEverythingAtOnce() throws Exception {
        Path file = fileWithoutSecrets();
        writeBundles();
        assertThatThrownBy(() -> ClusterRegistry.load(file, ClusterNeeds.DOCKER_AND_UCP))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("clusters[0] (a): ucp.passwordFile " + dir.resolve("pw-a") + " does not exist")
                .hasMessageContaining("clusters[0] (a): ucp.caFile")
                .hasMessageContaining("clusters[1] (b): ucp.passwordFile")
                .hasMessageContaining("clusters[1] (b): ucp.caFile is required");
        Files.writeString(dir.resolve("pw-a"), "x");
        Files.writeString(dir.resolve("pw-b"), "x");
        Files.writeString(dir.resolve("ca-a.pem"), "pem");
        assertThatThrownBy(() -> ClusterRegistry.load(file, ClusterNeeds.DOCKER_AND_UCP))
                .hasMessageContaining("clusters[1] (b): ucp.caFile is required")
                .hasMessageNotContaining("(a)");
    }

    @Test
    void theShapeIsCheckedWhateverTheNeeds() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yaml"), """
                clusters:
                  - id: a
                    docker: { endpoint: "ftp://a" }
                    ucp: { url: "http://a.example.com", username: admin }
                """);
        assertThatThrownBy(() -> ClusterRegistry.load(file, ClusterNeeds.POLICY_ONLY))
                .hasMessageContaining("docker.endpoint must start with unix:// or tcp://")
                .hasMessageContaining("plain http://");
    }

    @Test
    void secretsDirSuppliesWhatAnEntryOmitsAndExplicitPathsWin() throws Exception {
        Path secrets = dir.resolve("secrets");
        Path bundleA = Files.createDirectories(secrets.resolve("a/bundle"));
        for (String f : new String[] {"ca.pem", "cert.pem", "key.pem"}) {
            Files.writeString(bundleA.resolve(f), "pem");
        }
        Files.writeString(secrets.resolve("a/ucp-password"), "x");
        Files.writeString(dir.resolve("own-pw"), "x");
        Path file = Files.writeString(dir.resolve("fleet.yaml"), """
                secretsDir: secrets
                clusters:
                  - id: a
                    docker: { endpoint: "tcp://a.example.com:443" }
                    ucp: { url: "https://a.example.com", username: admin, fetchCa: true }
                  - id: b
                    docker: { endpoint: "tcp://b.example.com:443" }
                    ucp: { url: "https://b.example.com", username: admin, passwordFile: own-pw, fetchCa: true }
                """);
        assertThatThrownBy(() -> ClusterRegistry.load(file, ClusterNeeds.DOCKER_AND_UCP))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("clusters[1] (b): docker.clientBundle " + secrets.resolve("b/bundle") + " has no ca.pem")
                .hasMessageNotContaining("(a)")
                .hasMessageNotContaining("b/ucp-password");
        Path bundleB = Files.createDirectories(secrets.resolve("b/bundle"));
        for (String f : new String[] {"ca.pem", "cert.pem", "key.pem"}) {
            Files.writeString(bundleB.resolve(f), "pem");
        }
        ClusterRegistry registry = ClusterRegistry.load(file, ClusterNeeds.DOCKER_AND_UCP);
        assertThat(registry.require("a").docker().clientBundle()).isEqualTo(bundleA);
        assertThat(registry.require("a").ucp().passwordFile()).isEqualTo(secrets.resolve("a/ucp-password"));
        assertThat(registry.require("b").ucp().passwordFile()).isEqualTo(dir.resolve("own-pw"));
    }
}
