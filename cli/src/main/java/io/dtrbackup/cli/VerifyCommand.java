package io.dtrbackup.cli;

import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupReverified;
import io.dtrbackup.contract.events.EventIds;
import io.dtrbackup.contract.events.VerifyRequested;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Ask verify-service to check a stored backup again (download, decrypt, MDC, SHA-256, tar "
                + "listing) and show the result.", VerifyCommand.NO_PASSPHRASE, "Exit 0 when intact, 2 when problems were found, 4 on timeout."},
        footer = {"", "Example:", "  ./dtr-backup verify bk-20261125T020000Z-3fa1c2d4 --timeout 30m"})
final class VerifyCommand implements Callable<Integer> {
    /** Why verify takes no passphrase flag; also said when one is given. */
    static final String NO_PASSPHRASE = "verify-service decrypts with its own passphrase (its DTR_BACKUP_PASSPHRASE_FILE "
            + "or _DIR), so this command takes no --passphrase-file, --passphrase-dir or --key-id; 'fetch' does.";

    @Parameters(paramLabel = "BACKUP_ID")
    String backupId;

    @Option(names = "--cluster", paramLabel = "ID",
            description = "the backup's cluster (default: looked up from its manifest)")
    String cluster;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "1h",
            description = "give up waiting after this long (default ${DEFAULT-VALUE})")
    String timeout;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Connection c = connection.resolve();
        Duration wait = BackupCommand.parseDuration(timeout, "--timeout");
        String clusterId = cluster != null ? cluster
                : new ManifestStore(c.objectStore(), c.layout()).find(backupId, null)
                        .orElseThrow(() -> ShowCommand.notFound(backupId, c)).clusterId();
        Instant now = Instant.now();
        VerifyRequested request;
        try {
            request = new VerifyRequested(BackupEvent.CURRENT_SCHEMA_VERSION, EventIds.random(), backupId, clusterId, now,
                    System.getProperty("user.name", "unknown"));
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        BackupReverified result = requestAndWait(c.kafka(), request, wait, out);
        if (result == null) {
            out.println("timed out after " + Render.duration(wait) + " waiting for the re-verification of " + backupId
                    + "; is verify-service running? ('./dtr-backup watch' shows its result when it comes)");
            out.flush();
            return ExitCodes.TIMEOUT;
        }
        out.println(result.intact() ? "backup " + backupId + " is intact (checked " + Render.DATE_TIME.format(result.occurredAt()) + ")"
                : "backup " + backupId + " has problems:");
        result.problems().forEach(p -> out.println("  - " + p));
        out.flush();
        return result.intact() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    /** Publishes the request and waits for the BackupReverified that follows it; null on timeout. */
    static BackupReverified requestAndWait(KafkaSettings kafka, VerifyRequested request, Duration timeout, PrintWriter out) {
        try (TopicReader reader = KafkaAccess.openReader(kafka, Topics.STATUS, TopicReader.END)) {
            KafkaAccess.publish(kafka, Topics.VERIFY_REQUESTS, request);
            out.println("asked verify-service to re-verify " + request.backupId() + "; waiting for the result");
            out.flush();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (BackupEvent e : reader.pollEvents(Duration.ofMillis(500))) {
                    if (e instanceof BackupReverified r && request.backupId().equals(r.backupId())) {
                        return r;
                    }
                }
            }
            return null;
        }
    }
}
