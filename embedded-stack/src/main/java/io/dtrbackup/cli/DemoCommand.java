package io.dtrbackup.cli;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.common.store.ObjectStore;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The whole thing on this machine in one command: an embedded Kafka broker and S3 store, the "
                + "five services, a simulated DTR replica on the local Docker engine, and one full backup with live "
                + "progress.",
            "Then prints the manifest, where the objects are, and a gpg command to check the result yourself. "
                    + "Stops everything and removes the simulated replica at the end unless --keep."},
        footer = {"", "Example:", "  ./dtr-backup demo", "  ./dtr-backup demo --size-mb 1000 --keep"})
final class DemoCommand implements Callable<Integer> {
    static final String CLUSTER = "demo";
    static final String DTR_VERSION = "2.9.4";

    @Option(names = "--keep", description = "leave the stack and the simulated replica running (Ctrl-C to stop)")
    boolean keep;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "dtr-backup-demo",
            description = "where the demo's clusters file, secrets and downloaded ciphertexts go (default ./${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--size-mb", paramLabel = "MB", defaultValue = "200",
            description = "approximate size of the simulated registry volume (default ${DEFAULT-VALUE})")
    int sizeMb;

    @Option(names = "--docker-host", paramLabel = "URL",
            description = "Docker engine (default $DOCKER_HOST or unix:///var/run/docker.sock)")
    String dockerHost;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m",
            description = "give up waiting for the backup after this long (default ${DEFAULT-VALUE})")
    String timeout;

    @Option(names = "--plain", description = "line output even on a terminal")
    boolean plain;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter pw = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        String host = dockerHost != null ? dockerHost : DtrSimulator.defaultDockerHost();
        String problem = dockerProblem(host);
        if (problem != null) {
            spec.commandLine().getErr().println(noDockerMessage(host, problem));
            spec.commandLine().getErr().flush();
            return ExitCodes.NO_DOCKER;
        }
        Duration wait = BackupCommand.parseDuration(timeout, "--timeout");
        Path dir = out.toAbsolutePath();
        Files.createDirectories(dir);
        Path stateDir = Files.createTempDirectory("dtr-backup-demo-stack-");
        pw.println("dtr-backup demo: files in " + dir + ", log in " + System.getProperty(DtrBackupCli.LOG_PROPERTY, "the CLI log"));
        pw.println("[1/4] creating a simulated DTR " + DTR_VERSION + " replica (~" + sizeMb + " MB of registry data) "
                + "on " + host + " ...");
        pw.flush();
        DtrSimulator simulator = DtrSimulator.start(host);
        EmbeddedStack stack = null;
        boolean handedOver = false;
        try {
            SimulatedUcp ucp = SimulatedUcp.random();
            simulator.installDtrImage(DTR_VERSION, ucp);
            SimulatedReplica replica = simulator.createReplica(ReplicaSpec.of(DTR_VERSION, ucp).withTree(tree(sizeMb)));
            pw.println("      replica " + replica.replicaId() + ", volume " + replica.volumeName());
            DemoFiles files = DemoFiles.write(dir, CLUSTER, host, ucp, Secrets.randomPassphrase(), Duration.ofHours(26));
            pw.println("[2/4] starting Kafka, S3 and the five services ...");
            pw.flush();
            stack = EmbeddedStack.start(stateDir, stackSettings(files), Services.all(), Duration.ofMinutes(2));
            pw.println("      Kafka " + stack.bootstrapServers() + ", S3 " + stack.s3Endpoint());
            pw.println("[3/4] backing up cluster '" + CLUSTER + "' ...");
            pw.flush();
            // Name the replica: other DTR replicas on the same engine (another user's simulator) must not be chosen.
            BackupRequested request = BackupRequested.of(BackupIds.newId(Instant.now()), CLUSTER, Trigger.MANUAL,
                    "dtr-backup demo", new BackupOptions(replica.replicaId(), false, false, false, false, false, false));
            BackupFollower.Result result = BackupCommand.requestAndFollow(stack.kafkaSettings(), request, wait,
                    Terminal.progressView(plain, pw), pw);
            if (result.exitCode() != ExitCodes.OK) {
                pw.println("the demo backup did not complete; the services' log has the details: "
                        + System.getProperty(DtrBackupCli.LOG_PROPERTY, "the CLI log"));
                pw.flush();
                return result.exitCode();
            }
            pw.println("[4/4] checking the result ...");
            Connection connection = stack.connection();
            ObjectStore store = connection.objectStore();
            BackupCompleted completed = (BackupCompleted) result.status().terminalEvent().orElseThrow();
            ManifestView manifest = new ManifestStore(store, connection.layout()).read(completed.manifestKey());
            pw.println();
            ShowCommand.render(manifest, stack.s3Endpoint(), connection.backupBucket(), pw);
            List<Path> copies = downloadCiphertexts(store, connection.backupBucket(), manifest, dir);
            pw.println();
            summary(stack.s3Endpoint(), stack.s3Dir(), connection.backupBucket(), manifest, copies, files, keep).forEach(pw::println);
            pw.println();
            pw.println(String.format(java.util.Locale.ROOT, "demo finished in %.0f s", (System.nanoTime() - t0) / 1e9));
            pw.flush();
            if (keep) {
                handedOver = true;
                keepRunning(stack, simulator, pw);
            }
            return ExitCodes.OK;
        } finally {
            if (!handedOver) {
                if (stack != null) {
                    stack.close();
                }
                simulator.close();
                deleteTree(stateDir);
            }
        }
    }

    static String dockerProblem(String host) {
        try {
            return DtrSimulator.pingProblem(host);
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    static String noDockerMessage(String host, String problem) {
        return "error: no Docker engine answers on " + host + " (" + problem + ").\n"
                + "The demo creates a simulated DTR replica on a local Docker engine. Start one with:\n"
                + "  sudo deploy/setup-docker-engine.sh\n"
                + "(installs Debian's docker.io and busybox-static if missing and starts dockerd with --bridge=none), "
                + "or point --docker-host / DOCKER_HOST at a running engine.";
    }

    /** Registry content of roughly {@code mb} MB: the small tree plus large blobs of 32 MiB. */
    static RegistryTreeSpec tree(int mb) {
        long blob = 32L * 1024 * 1024;
        int large = (int) Math.max(0, Math.round(mb * 1_000_000.0 / blob) - 0);
        return RegistryTreeSpec.withLarge(42, large, blob);
    }

    static Map<String, String> stackSettings(DemoFiles files) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put(CommonConfig.CLUSTERS_FILE.envName(), files.clustersFile().toString());
        s.put("DTR_BACKUP_PASSPHRASE_FILE", files.passphraseFile().toString());
        // The demo asks for its one backup itself; no schedule, no catch-up.
        s.put("DTR_BACKUP_SCHEDULER_ENABLED", "false");
        // The simulated cluster lives on the demo's engine (dockerd --bridge=none): no container network.
        s.putAll(DtrSimulator.serviceSettings());
        return s;
    }

    /** Copies each ciphertext object, as stored, next to the demo's files: what the gpg check reads. */
    static List<Path> downloadCiphertexts(ObjectStore store, String bucket, ManifestView manifest, Path dir) throws IOException {
        List<Path> copies = new ArrayList<>();
        for (ManifestView.Artifact a : manifest.artifacts()) {
            if (!a.isStored()) {
                continue;
            }
            Path target = dir.resolve(a.objectKey().substring(a.objectKey().lastIndexOf('/') + 1));
            try (InputStream in = store.get(bucket, a.objectKey())) {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
            copies.add(target);
        }
        return copies;
    }

    static List<String> summary(String s3Endpoint, Path s3Dir, String bucket, ManifestView manifest, List<Path> copies,
            DemoFiles files, boolean keep) {
        List<String> lines = new ArrayList<>();
        lines.add("Where the backup is:");
        lines.add("  S3 endpoint " + s3Endpoint + ", bucket " + bucket
                + (keep ? " (files under " + s3Dir.resolve(bucket) + ")" : " (stopped now: the demo's store was temporary)"));
        manifest.artifacts().stream().filter(ManifestView.Artifact::isStored)
                .forEach(a -> lines.add("  s3://" + bucket + "/" + a.objectKey()));
        lines.add("  copies of the encrypted objects: " + files.dir());
        lines.add("");
        lines.add("Check them yourself with stock gpg (the passphrase file is " + files.passphraseFile() + "):");
        for (Path copy : copies) {
            lines.add("  gpg --batch --passphrase-file " + files.passphraseFile() + " -d " + copy + " | tar -t | head");
        }
        lines.add("");
        lines.add("Clean up: rm -rf " + files.dir());
        return lines;
    }

    private static void keepRunning(EmbeddedStack stack, DtrSimulator simulator, PrintWriter pw) throws IOException,
            InterruptedException {
        Path connection = ConnectionFile.defaultLocation(Path.of("").toAbsolutePath());
        stack.connectionFile().write(connection);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            simulator.close();
            deleteTree(stack.stateDir());
            try {
                Files.deleteIfExists(connection);
            } catch (IOException e) {
                // stale file fails clearly on next use
            }
            stopped.countDown();
        }, "dtr-backup-demo-stop"));
        StackCommand.printRunning(stack, connection, pw);
        stopped.await();
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp directory
        }
    }
}
