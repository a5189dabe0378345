package io.dtrbackup.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --clusters FILE}, shared by the commands that judge freshness ({@code clusters},
 * {@code board}): the cluster list and each cluster's window, from the flag, else the connection's
 * clusters file (env {@code DTR_BACKUP_CLUSTERS_FILE} or the connection file's), else none.
 */
public final class ClustersFileOption {
    @Option(names = "--clusters", paramLabel = "FILE",
            description = "the clusters file, for the cluster list and freshness windows "
                    + "(default: env DTR_BACKUP_CLUSTERS_FILE or the connection file's)")
    Path clustersFile;

    /** The clusters file in force, or null when none is known. */
    Path file(Connection connection) {
        return clustersFile != null ? clustersFile : connection.clustersFile();
    }

    /** Cluster IDs and freshness windows in file order; empty when no clusters file is known. */
    Map<String, Duration> windows(Connection connection) {
        Path file = file(connection);
        return file == null ? Map.of() : FreshnessBoard.windows(file);
    }
}
