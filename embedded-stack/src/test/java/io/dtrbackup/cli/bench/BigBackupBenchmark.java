package io.dtrbackup.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.cli.BenchSupport;
import io.dtrbackup.cli.fault.ServiceProcesses;
import io.dtrbackup.cli.ConnectionFile;
import io.dtrbackup.cli.DtrBackupCli;
import io.dtrbackup.cli.Secrets;
import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.BenchmarkTargets;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * One big backup end to end (request to BackupCompleted) through the five services as separate
 * processes with -Xmx256m each, beside two baselines on the same volume in the same run:
 * the seed's manual procedure ({@code tar | gpg --symmetric -z0} to a file, then {@code gpg -d | tar -t})
 * and the scripted peer that also stores and reads back through the same S3 store with Debian's awscli.
 * Prints medians, ratios, per-stage times (from STATUS event timestamps) and each service's peak RSS.
 * Not run by the build (neither *Test nor *IT); see docs/benchmarks.md for the command.
 * Knobs (system properties): bench.sizeMiB (2048), bench.repeats (3), bench.partSizeMiB (64),
 * bench.uploadConcurrency (2), bench.aws (/usr/bin/aws), bench.warmup (1: untimed backups before the repeats).
 *
 * <p>Target: faster than the scripted peer, pipeline median / peer median at most 1.0
 * ({@code pipeline-vs-peer}). {@code -Dbench.check=true} fails the run when it is missed (see
 * {@link BenchmarkTargets}); without it the target is printed only.
 */
class BigBackupBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(BigBackupBenchmark.class);
    static final String VERSION = "2.9.4";
    static final String CLUSTER = "bench-1";
    static final long BLOB = 32L * 1024 * 1024;

    @TempDir
    Path dir;

    record PipelineRun(double seconds, Map<String, Double> stages, long imagesBytes) {
    }

    @Test
    void bigBackupAgainstManualProcedureAndScriptedPeer() throws Exception {
        int sizeMiB = Integer.getInteger("bench.sizeMiB", 2048);
        int repeats = Integer.getInteger("bench.repeats", 3);
        String aws = System.getProperty("bench.aws", "/usr/bin/aws");
        assertThat(Path.of(aws)).as("Debian's awscli (apt-get install -y awscli)").isExecutable();
        Path logs = Files.createDirectories(Path.of("target", "bench-logs").toAbsolutePath());
        List<ServiceProcesses> started = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
                EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"));
                DtrSimulator simulator = DtrSimulator.start()) {
            try {
                run(kafka, s3, simulator, logs, started, sizeMiB, repeats, aws);
            } finally {
                started.forEach(ServiceProcesses::close);
            }
        }
    }

    private void run(EmbeddedKafka kafka, EmbeddedS3 s3, DtrSimulator simulator, Path logs,
            List<ServiceProcesses> started, int sizeMiB, int repeats, String aws) throws Exception {
        SimulatedUcp ucp = SimulatedUcp.random();
        simulator.installDtrImage(VERSION, ucp);
        long t0 = System.nanoTime();
        SimulatedReplica replica = simulator.createReplica(ReplicaSpec.of(VERSION, ucp)
                .withTree(RegistryTreeSpec.withLarge(42, (int) Math.max(1, sizeMiB * 1024L * 1024 / BLOB), BLOB)));
        LOG.info("replica {} with a {} MiB volume ready in {} s", replica.replicaId(), sizeMiB, seconds(t0));
        Path volume = Path.of(simulator.docker().inspectVolumeCmd(replica.volumeName()).exec().getMountpoint());
        long volumeBytes = du(volume);

        Path files = dir.resolve("files");
        BenchSupport.Files demo = BenchSupport.writeFiles(files, CLUSTER, DtrSimulator.defaultDockerHost(), ucp,
                Secrets.randomPassphrase());
        Path accessKey = Secrets.write(files.resolve("secrets/s3-access-key"), s3.accessKey());
        Path secretKey = Secrets.write(files.resolve("secrets/s3-secret-key"), s3.secretKey());
        Map<String, String> env = ServiceProcesses.pipelineEnv(kafka, s3, accessKey, secretKey);
        env.put(CommonConfig.S3_PART_SIZE_MB.envName(), System.getProperty("bench.partSizeMiB", "64"));
        env.put(CommonConfig.S3_UPLOAD_CONCURRENCY.envName(), System.getProperty("bench.uploadConcurrency", "2"));
        env.putAll(demo.stackSettings());
        ServiceProcesses services = new ServiceProcesses(env, logs);
        started.add(services);
        services.startAll();
        Path connection = dir.resolve("connection.json");
        new ConnectionFile(kafka.bootstrapServers(), null, s3.endpoint(), s3.region(), accessKey.toString(),
                secretKey.toString(), CommonConfig.S3_STAGING_BUCKET.defaultValue(),
                CommonConfig.S3_BACKUP_BUCKET.defaultValue(), demo.passphraseFile().toString(), null, null,
                demo.clustersFile().toString(), dir.toString()).write(connection);
        MinioObjectStore store = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(),
                64L << 20, 3);
        store.ensureBucket("bench-peer");

        Map<String, String> awsEnv = Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY",
                s3.secretKey(), "AWS_DEFAULT_REGION", s3.region(), "AWS_CONFIG_FILE", "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE", "/dev/null", "GNUPGHOME", Files.createDirectories(dir.resolve("gnupg"))
                        .toString());
        String pass = demo.passphraseFile().toString();
        String gpgEnc = "gpg --batch --no-symkey-cache --symmetric --cipher-algo AES256 -z0 --passphrase-file " + pass;
        String gpgDec = "gpg --batch --no-symkey-cache --quiet --passphrase-file " + pass + " -d";
        Path out = dir.resolve("out.tar.gpg");

        // The services are long-running: the first backup after they start also pays their JIT compilation
        // (several core-seconds per JVM). It runs first, untimed in the medians, and is reported on its own.
        int warmups = Integer.getInteger("bench.warmup", 1);
        List<Double> cold = new ArrayList<>();
        for (int i = 0; i < warmups; i++) {
            cold.add(backup(kafka, connection, replica).seconds());
            for (ObjectInfo o : store.list(CommonConfig.S3_BACKUP_BUCKET.defaultValue(), CLUSTER + "/")) {
                store.remove(o.bucket(), o.key());
            }
            LOG.info("warm-up backup {}: {} s", i + 1, fmt(cold.get(i)));
        }

        String loadBefore = loadAverage();
        List<Double> pipeline = new ArrayList<>();
        List<Double> manual = new ArrayList<>();
        List<Double> manualWrite = new ArrayList<>();
        List<Double> peer = new ArrayList<>();
        List<Double> peerUpload = new ArrayList<>();
        Map<String, List<Double>> stages = new TreeMap<>();
        // Core-seconds the whole machine spent per contender, and per process for the pipeline: the two
        // cores are the bound here, so CPU per backup explains the wall times.
        Map<String, List<Double>> cpu = new java.util.LinkedHashMap<>();
        long imagesBytes = 0;
        for (int i = 1; i <= repeats; i++) {
            // Manual: the seed's procedure, to a local file, then the restore check.
            long[] m0 = ProcStats.machineTicks();
            double w = shell(env(awsEnv), "tar -cf - " + volume + " | " + gpgEnc + " -o " + out);
            double r = shell(env(awsEnv), gpgDec + " " + out + " | tar -tf - > /dev/null");
            addCpu(cpu, "manual (machine)", m0);
            manualWrite.add(w);
            manual.add(w + r);
            Files.deleteIfExists(out);

            // Peer: the same, stored in and read back from the same S3 store.
            String url = "s3://bench-peer/" + CLUSTER + "/run-" + i + ".tar.gpg";
            String endpoint = " --endpoint-url " + s3.endpoint() + " --only-show-errors";
            long[] p0 = ProcStats.machineTicks();
            double pu = shell(env(awsEnv), "tar -cf - " + volume + " | " + gpgEnc + " -o - | " + aws + " s3 cp - "
                    + url + endpoint);
            double pr = shell(env(awsEnv), aws + " s3 cp " + url + " -" + endpoint + " | " + gpgDec
                    + " | tar -tf - > /dev/null");
            addCpu(cpu, "peer (machine)", p0);
            peerUpload.add(pu);
            peer.add(pu + pr);
            store.remove("bench-peer", CLUSTER + "/run-" + i + ".tar.gpg");

            long[] b0 = ProcStats.machineTicks();
            Map<String, Long> perProcess = pipelineTicks(services);
            PipelineRun p = backup(kafka, connection, replica);
            addCpu(cpu, "pipeline (machine)", b0);
            Map<String, Long> after = pipelineTicks(services);
            after.forEach((name, t) -> cpu.computeIfAbsent("  pipeline: " + name, x -> new ArrayList<>())
                    .add((t - perProcess.getOrDefault(name, 0L)) / ProcStats.TICKS_PER_SECOND));
            pipeline.add(p.seconds());
            p.stages().forEach((k, v) -> stages.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            imagesBytes = p.imagesBytes();
            for (ObjectInfo o : store.list(CommonConfig.S3_BACKUP_BUCKET.defaultValue(), CLUSTER + "/")) {
                store.remove(o.bucket(), o.key()); // keep the disk from filling over the repeats
            }
            LOG.info("run {}: manual {} s, peer {} s, pipeline {} s", i, fmt(w + r), fmt(pu + pr), fmt(p.seconds()));
        }

        double gib = volumeBytes / (double) (1L << 30);
        StringBuilder report = new StringBuilder();
        report.append(String.format("%nBig backup benchmark: volume %s (%.2f GiB on disk, image tar %.2f GiB), "
                + "%d run(s), medians; %d cores; load average (1/5/15 min) at the start %s, at the end %s%n", volume, gib,
                imagesBytes / (double) (1L << 30), repeats, Runtime.getRuntime().availableProcessors(), loadBefore,
                loadAverage()));
        row(report, "manual (tar|gpg > file; gpg -d|tar -t)", manual, gib);
        row(report, "  of which tar|gpg > file", manualWrite, gib);
        row(report, "peer (tar|gpg|aws s3 cp -; aws s3 cp|gpg -d|tar -t)", peer, gib);
        row(report, "  of which tar|gpg|aws s3 cp -", peerUpload, gib);
        row(report, "pipeline (request -> BackupCompleted)", pipeline, gib);
        if (!cold.isEmpty()) {
            row(report, "  first backup after the services started", cold, gib);
        }
        report.append(String.format("ratio pipeline/manual %.2f, pipeline/peer %.2f (below 1 = pipeline faster)%n",
                median(pipeline) / median(manual), median(pipeline) / median(peer)));
        report.append("pipeline stages (seconds, median; from STATUS event timestamps):\n");
        stages.forEach((k, v) -> report.append(String.format("  %-40s %8.1f   %s%n", k, median(v), fmtAll(v))));
        report.append("CPU core-seconds per run (median; the machine has 2 cores):\n");
        cpu.forEach((k, v) -> report.append(String.format("  %-40s %8.1f   %s%n", k, median(v), fmtAll(v))));
        report.append("peak RSS per service process (VmHWM):\n");
        for (ServiceProcesses.Service s : services.all()) {
            report.append(String.format("  %-18s %6d MiB%n", s.name(), vmHwmKib(s.process()) / 1024));
        }
        BenchmarkTargets targets = BenchmarkTargets.of("BigBackupBenchmark").atMost("pipeline-vs-peer",
                "pipeline / peer (median seconds)", median(pipeline) / median(peer), 1.0);
        report.append(targets.table());
        LOG.info(report.toString());
        Files.writeString(logs.resolve("big-backup-report.txt"), report.toString());
        targets.check();
    }

    private PipelineRun backup(EmbeddedKafka kafka, Path connection, SimulatedReplica replica) throws Exception {
        Instant requested = Instant.now();
        long start = System.nanoTime();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = DtrBackupCli.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute("backup", "--cluster", CLUSTER, "--replica", replica.replicaId(), "--wait", "--plain",
                "--timeout", "60m", "--connection", connection.toString());
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(code).as(out + "\n" + err).isZero();
        Matcher m = Pattern.compile("backup (bk-\\S+): COMPLETED").matcher(out.toString());
        assertThat(m.find()).as(out.toString()).isTrue();
        String backupId = m.group(1);

        Map<String, Instant> at = new LinkedHashMap<>();
        long[] imagesBytes = {0};
        for (BackupEvent e : statusEvents(kafka, backupId)) {
            if (e instanceof ReplicaDiscovered) {
                at.putIfAbsent("discovered", e.occurredAt());
            } else if (e instanceof ArtifactStaged s) {
                at.putIfAbsent("staged " + s.kind(), e.occurredAt());
                if ("IMAGES".equals(s.kind().name())) {
                    imagesBytes[0] = s.sizeBytes();
                }
            } else if (e instanceof ArtifactEncrypted c) {
                at.putIfAbsent("encrypted " + c.kind(), e.occurredAt());
            } else if (e instanceof ArtifactVerified v) {
                at.putIfAbsent("verified " + v.kind(), e.occurredAt());
            } else if (e instanceof BackupCompleted) {
                at.putIfAbsent("completed", e.occurredAt());
            }
        }
        Map<String, Double> stages = new LinkedHashMap<>();
        Instant discovered = at.get("discovered");
        stages.put("1 discovery (request -> discovered)", secs(requested, discovered));
        for (String kind : List.of("METADATA", "IMAGES")) {
            String k = kind.toLowerCase();
            stages.put("2 " + k + " staging (discovered -> staged)", secs(discovered, at.get("staged " + kind)));
            stages.put("3 " + k + " encrypt (staged -> encrypted)",
                    secs(at.get("staged " + kind), at.get("encrypted " + kind)));
            stages.put("4 " + k + " verify (encrypted -> verified)",
                    secs(at.get("encrypted " + kind), at.get("verified " + kind)));
        }
        Instant lastVerified = at.get("verified IMAGES").isAfter(at.get("verified METADATA")) ? at.get("verified IMAGES")
                : at.get("verified METADATA");
        stages.put("5 completion (last verified -> completed)", secs(lastVerified, at.get("completed")));
        stages.put("6 end to end (request -> completed event)", secs(requested, at.get("completed")));
        LOG.info("backup {} in {} s: {} (events {})", backupId, fmt(seconds), stages, at);
        return new PipelineRun(seconds, stages, imagesBytes[0]);
    }

    private static List<BackupEvent> statusEvents(EmbeddedKafka kafka, String backupId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + backupId);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<BackupEvent> events = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.STATUS.name()));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (backupId.equals(r.key())) {
                        try {
                            events.add(EventCodec.decode(r.value()));
                        } catch (Exception e) {
                            LOG.warn("undecodable status record: {}", e.toString());
                        }
                    }
                }
                return events.stream().anyMatch(e -> e instanceof BackupCompleted);
            });
        }
        return events;
    }

    // ------------------------------------------------------------------------------ baselines

    private static Map<String, String> env(Map<String, String> extra) {
        return extra;
    }

    /** Runs a pipeline with bash -o pipefail; fails on a non-zero exit; returns its wall time in seconds. */
    private static void addCpu(Map<String, List<Double>> cpu, String what, long[] before) {
        long[] now = ProcStats.machineTicks();
        cpu.computeIfAbsent(what, x -> new ArrayList<>()).add((now[0] - before[0]) / ProcStats.TICKS_PER_SECOND);
    }

    /** CPU ticks so far of each service, of this JVM (Kafka, S3Proxy, the CLI) and of the Docker engine. */
    private static Map<String, Long> pipelineTicks(ServiceProcesses services) {
        Map<String, Long> ticks = new java.util.LinkedHashMap<>();
        for (ServiceProcesses.Service s : services.all()) {
            ticks.put(s.name(), ProcStats.cpuTicks(s.process().pid()));
        }
        ticks.put("harness JVM (Kafka, S3Proxy, CLI)", ProcStats.cpuTicks(ProcessHandle.current().pid()));
        ticks.put("dockerd + containerd", ProcStats.ticksByName(java.util.Set.of("dockerd", "containerd",
                "containerd-shim-runc-v2")).values().stream().mapToLong(Long::longValue).sum());
        return ticks;
    }

    private double shell(Map<String, String> env, String command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-o", "pipefail", "-c", command).redirectErrorStream(true);
        pb.environment().putAll(env);
        long start = System.nanoTime();
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        // tar warns "Removing leading '/'": harmless; anything else with a non-zero exit fails the run.
        assertThat(code).as(command + "\n" + output).isZero();
        return seconds;
    }

    private static String loadAverage() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
        return f[0] + " " + f[1] + " " + f[2];
    }

    private static long du(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    // ------------------------------------------------------------------------------ processes

    /** Peak resident set size of the process so far, from /proc (kB). */
    static long vmHwmKib(Process p) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(p.pid()), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            LOG.warn("no /proc status for {}: {}", p.pid(), e.toString());
        }
        return -1;
    }

    // ------------------------------------------------------------------------------ figures

    private static void row(StringBuilder report, String what, List<Double> values, double gib) {
        double m = median(values);
        report.append(String.format("  %-55s %7.1f s  %6.1f s/GiB  %s%n", what, m, m / gib, fmtAll(values)));
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double secs(Instant from, Instant to) {
        return from == null || to == null ? Double.NaN : Duration.between(from, to).toMillis() / 1000.0;
    }

    private static String fmt(double v) {
        return String.format("%.1f", v);
    }

    private static String fmtAll(List<Double> values) {
        return values.stream().map(BigBackupBenchmark::fmt).toList().toString();
    }

    private static long seconds(long since) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
    }
}
