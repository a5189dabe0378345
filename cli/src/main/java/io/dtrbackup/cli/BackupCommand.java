package io.dtrbackup.cli;

import io.dtrbackup.contract.config.ConfigType;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.kafka.TopicReader;
import io.dtrbackup.contract.topics.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "backup", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Request a backup of one cluster (BackupRequested on dtr-backup.requests).",
            "With --wait, follow it with live progress and exit 0 only when it COMPLETED: "
                    + "2 FAILED/REJECTED, 3 PARTIALLY_FAILED, 4 timed out (the backup may still finish: 'watch' it)."},
        footer = {"", "Example:", "  ./dtr-backup backup --cluster prod-eu-1 --wait --timeout 3h",
            "  ./dtr-backup backup --cluster prod-eu-1 --skip-images --requested-by ci-job"})
final class BackupCommand implements Callable<Integer> {
    @Option(names = "--cluster", required = true, paramLabel = "ID", description = "cluster ID from the clusters file")
    String cluster;

    @Option(names = "--replica", paramLabel = "ID",
            description = "back up this replica (12 hex characters) instead of the sticky one")
    String replica;

    @Option(names = "--offline", description = "pass --offline-backup (stops the replica during the metadata backup)")
    boolean offline;

    @Option(names = "--skip-images", description = "back up the metadata only")
    boolean skipImages;

    @Option(names = "--ignore-events-table", description = "pass --ignore-events-table (DTR 2.8+)")
    boolean ignoreEventsTable;

    @Option(names = "--ignore-scan-data", description = "pass --ignore-scan-data (MSR 2.9.18+)")
    boolean ignoreScanData;

    @Option(names = "--force", description = "start even if another backup of the cluster is in flight")
    boolean force;

    @Option(names = "--allow-replica-fallback",
            description = "if the chosen replica is gone or unhealthy, back up another one")
    boolean allowReplicaFallback;

    @Option(names = "--wait", description = "follow the backup until it ends; the exit code says how it ended")
    boolean waitForEnd;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2h",
            description = "with --wait: give up waiting after this long (30s, 15m, 2h; default ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--plain", description = "line output even on a terminal")
    boolean plain;

    @Option(names = "--requested-by", paramLabel = "NAME", description = "recorded in the request (default: $USER)")
    String requestedBy;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        BackupRequested request = request(Instant.now());
        Duration wait = parseDuration(timeout, "--timeout");
        KafkaSettings kafka = connection.resolve().kafka();
        if (!waitForEnd) {
            KafkaAccess.publish(kafka, Topics.REQUESTS, request);
            out.println("requested backup " + request.backupId() + " of cluster " + cluster);
            out.println("follow it: ./dtr-backup watch --cluster " + cluster);
            return ExitCodes.OK;
        }
        return requestAndFollow(kafka, request, wait, Terminal.progressView(plain, out), out).exitCode();
    }

    BackupRequested request(Instant now) {
        BackupOptions options;
        try {
            options = new BackupOptions(replica, offline, skipImages, ignoreEventsTable, ignoreScanData, force,
                    allowReplicaFallback);
            String who = requestedBy != null ? requestedBy : System.getProperty("user.name", "unknown");
            return BackupRequested.of(BackupIds.newId(now), cluster, Trigger.MANUAL, who, options);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
    }

    /**
     * Publishes the request and follows it to its end: the code path of {@code backup --wait}
     * and of {@code demo}. The status reader opens before the request is published.
     */
    static BackupFollower.Result requestAndFollow(KafkaSettings kafka, BackupRequested request, Duration timeout,
            ProgressView view, PrintWriter out) {
        try (TopicReader reader = KafkaAccess.openReader(kafka, Topics.STATUS, TopicReader.END)) {
            KafkaAccess.publish(kafka, Topics.REQUESTS, request);
            out.println("requested backup " + request.backupId() + " of cluster " + request.clusterId()
                    + "; following it on " + Topics.STATUS.name());
            out.flush();
            BackupFollower.Result result = BackupFollower.on(reader, request.backupId(), view).follow(timeout);
            printEnd(result, timeout, out);
            return result;
        }
    }

    static void printEnd(BackupFollower.Result result, Duration timeout, PrintWriter out) {
        var status = result.status();
        if (result.timedOut()) {
            out.println("timed out after " + Render.duration(timeout) + " waiting for backup " + status.backupId()
                    + " (last phase " + status.phase() + "); it may still finish: ./dtr-backup watch");
        } else {
            BackupEvent end = status.terminalEvent().orElseThrow();
            out.println("backup " + status.backupId() + ": " + Render.outcome(status));
            if (end instanceof BackupCompleted c) {
                out.println("  replica " + c.replicaId() + ", DTR " + c.dtrVersion() + ", took "
                        + Render.duration(Duration.ofMillis(c.durationMs())));
                out.println("  manifest " + c.manifestKey());
                c.objectKeys().forEach(k -> out.println("  object   " + k));
            }
        }
        out.flush();
    }

    static Duration parseDuration(String text, String option) {
        try {
            return ConfigType.parseDuration(text);
        } catch (RuntimeException e) {
            throw new CliException(ExitCodes.USAGE, option + ": " + e.getMessage());
        }
    }
}
