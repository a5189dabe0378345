package io.dtrbackup.cli;

import io.dtrbackup.contract.config.CommonConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "stack", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the whole pipeline in the foreground until Ctrl-C: an embedded Kafka broker, an embedded "
                + "S3 store (S3Proxy on a directory) and the five services, for a real clusters file.",
            "Writes a connection file that the other commands use by default."},
        footer = {"", "Example:", "  ./dtr-backup stack --clusters clusters.yaml --passphrase-file /run/secrets/pass"})
final class StackCommand implements Callable<Integer> {
    @Option(names = "--clusters", required = true, paramLabel = "FILE", description = "the clusters file (YAML)")
    Path clusters;

    @Option(names = "--passphrase-file", paramLabel = "FILE",
            description = "backup passphrase, one line; default: generated once into STATE_DIR/secrets/backup-passphrase "
                    + "(keep it: backups cannot be restored without it)")
    Path passphraseFile;

    @Option(names = "--passphrase-dir", paramLabel = "DIR", description = "passphrase files named by key ID (with --key-id)")
    Path passphraseDir;

    @Option(names = "--key-id", paramLabel = "ID", description = "the active key ID for new backups")
    String keyId;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".dtr-backup/stack",
            description = "broker data, stored objects and generated secrets (default ${DEFAULT-VALUE})")
    Path stateDir;

    @Option(names = "--connection-file", paramLabel = "FILE", defaultValue = ".dtr-backup/connection.json",
            description = "where to write the connection file (default ${DEFAULT-VALUE}); removed on stop")
    Path connectionFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "extra service setting, e.g. --set SCHEDULER_ENABLED=false (the DTR_BACKUP_ prefix is optional)")
    Map<String, String> extra = new LinkedHashMap<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.isRegularFile(clusters)) {
            throw new CliException("clusters file " + clusters + " does not exist (see docs/operations.md for its format)");
        }
        Path connection = connectionFile.toAbsolutePath();
        // First, before any file of the state directory or the connection file: one stack per directory.
        StackLock lock = StackLock.acquire(stateDir, connection);
        EmbeddedStack stack;
        try {
            Map<String, String> settings = settings(out);
            out.println("starting the embedded stack in " + lock.stateDir() + " ...");
            out.flush();
            stack = EmbeddedStack.start(lock, settings, Services.all(), Duration.ofMinutes(2));
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                // Before the lock goes with the stack: a stack started next may write its own file here.
                Files.deleteIfExists(connection);
            } catch (IOException e) {
                // The file only points at this stack; a stale one fails clearly on next use.
            }
            stack.close();
            stopped.countDown();
        }, "dtr-backup-stack-stop"));
        stack.connectionFile().write(connection);
        printRunning(stack, connection, out);
        stopped.await();
        return ExitCodes.OK;
    }

    /** The services' settings; generates the backup passphrase into the state directory when none is given. */
    private Map<String, String> settings(PrintWriter out) throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(CommonConfig.CLUSTERS_FILE.envName(), clusters.toAbsolutePath().toString());
        if (passphraseDir != null) {
            settings.put("DTR_BACKUP_PASSPHRASE_DIR", passphraseDir.toAbsolutePath().toString());
        } else {
            Path pass = passphraseFile;
            if (pass == null) {
                pass = stateDir.resolve("secrets").resolve("backup-passphrase");
                if (!Files.exists(pass)) {
                    Secrets.write(pass, Secrets.randomPassphrase());
                    out.println("generated a backup passphrase in " + pass.toAbsolutePath()
                            + " - keep a copy: backups cannot be restored without it");
                }
            }
            settings.put("DTR_BACKUP_PASSPHRASE_FILE", pass.toAbsolutePath().toString());
        }
        if (keyId != null) {
            settings.put("DTR_BACKUP_ACTIVE_KEY_ID", keyId);
        }
        extra.forEach((k, v) -> settings.put(k.startsWith("DTR_BACKUP_") ? k : "DTR_BACKUP_" + k, v));
        return settings;
    }

    static void printRunning(EmbeddedStack stack, Path connection, PrintWriter out) {
        out.println("dtr-backup stack is running (Ctrl-C to stop)");
        out.println("  Kafka      " + stack.bootstrapServers());
        out.println("  S3         " + stack.s3Endpoint() + "  (objects under " + stack.s3Dir() + ")");
        out.println("  services   discovery, metadata, image, crypto, verify");
        out.println("  connection " + connection);
        out.println("  logs       " + System.getProperty(DtrBackupCli.LOG_PROPERTY, "the CLI log"));
        out.println("in another shell:");
        out.println("  ./dtr-backup clusters");
        out.println("  ./dtr-backup backup --cluster <ID> --wait");
        out.println("  ./dtr-backup watch");
        out.println("  kafka-console-consumer.sh --bootstrap-server " + stack.bootstrapServers()
                + " --topic dtr-backup.status --from-beginning");
        out.flush();
    }
}
