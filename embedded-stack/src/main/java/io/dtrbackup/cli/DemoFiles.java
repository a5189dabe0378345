package io.dtrbackup.cli;

import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The files a demo (or a first try of {@code stack}) needs, in one directory: a clusters file for
 * one cluster on a local Docker engine, its UCP password and CA files, and a backup passphrase
 * file. Secrets are 0600 files; the clusters file names them by path only.
 */
record DemoFiles(Path dir, Path clustersFile, Path ucpPasswordFile, Path ucpCaFile, Path passphraseFile) {

    static DemoFiles write(Path dir, String clusterId, String dockerEndpoint, SimulatedUcp ucp, String passphrase,
            Duration freshness) throws IOException {
        Path secrets = dir.resolve("secrets");
        Files.createDirectories(secrets);
        Path password = Secrets.write(secrets.resolve(clusterId + "-ucp-password"), ucp.password());
        Path ca = dir.resolve(clusterId + "-ucp-ca.pem");
        Files.writeString(ca, ucp.caPem(), StandardCharsets.UTF_8);
        Path pass = Secrets.write(secrets.resolve("backup-passphrase"), passphrase);
        Path clusters = dir.resolve("clusters.yaml");
        Files.writeString(clusters, clustersYaml(clusterId, dockerEndpoint, ucp, password, ca, freshness),
                StandardCharsets.UTF_8);
        return new DemoFiles(dir, clusters, password, ca, pass);
    }

    static String clustersYaml(String clusterId, String dockerEndpoint, SimulatedUcp ucp, Path passwordFile, Path caFile,
            Duration freshness) {
        return "# Written by dtr-backup demo: one simulated DTR cluster on the local Docker engine.\n"
                + "clusters:\n"
                + "  - id: " + clusterId + "\n"
                + "    docker:\n"
                + "      endpoint: " + dockerEndpoint + "\n"
                + "    ucp:\n"
                + "      url: " + ucp.url() + "\n"
                + "      username: " + ucp.username() + "\n"
                + "      passwordFile: " + passwordFile.toAbsolutePath() + "\n"
                + "      caFile: " + caFile.toAbsolutePath() + "\n"
                + "    freshness: " + freshness.toHours() + "h\n";
    }
}
