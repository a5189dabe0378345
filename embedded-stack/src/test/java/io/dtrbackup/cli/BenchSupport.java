package io.dtrbackup.cli;

import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** Gives the benchmarks in {@code io.dtrbackup.cli.bench} the demo's package-private file writers. */
public final class BenchSupport {
    private BenchSupport() {
    }

    /** Clusters file, UCP password and CA, passphrase file for one simulated cluster. */
    public record Files(Path clustersFile, Path passphraseFile, Map<String, String> stackSettings) {
    }

    public static Files writeFiles(Path dir, String clusterId, String dockerEndpoint, SimulatedUcp ucp,
            String passphrase) throws IOException {
        DemoFiles files = DemoFiles.write(dir, clusterId, dockerEndpoint, ucp, passphrase, Duration.ofHours(26));
        return new Files(files.clustersFile(), files.passphraseFile(), DemoCommand.stackSettings(files));
    }
}
