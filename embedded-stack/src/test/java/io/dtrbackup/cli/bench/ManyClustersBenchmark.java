package io.dtrbackup.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.cli.Secrets;
import io.dtrbackup.cli.fault.ServiceProcesses;
import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.events.ArtifactEncrypted;
import io.dtrbackup.contract.events.ArtifactFailed;
import io.dtrbackup.contract.events.ArtifactKind;
import io.dtrbackup.contract.events.ArtifactStaged;
import io.dtrbackup.contract.events.ArtifactVerified;
import io.dtrbackup.contract.events.BackupCompleted;
import io.dtrbackup.contract.events.BackupEvent;
import io.dtrbackup.contract.events.BackupFailed;
import io.dtrbackup.contract.events.BackupIds;
import io.dtrbackup.contract.events.BackupOptions;
import io.dtrbackup.contract.events.BackupRejected;
import io.dtrbackup.contract.events.BackupRequested;
import io.dtrbackup.contract.events.EventCodec;
import io.dtrbackup.contract.events.ReplicaDiscovered;
import io.dtrbackup.contract.events.Trigger;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.kafka.TopicCreator;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectInfo;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.BenchmarkTargets;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.dtrbackup.testsupport.PrivateDockerEngine;
import io.dtrbackup.testsupport.RegistryTreeGenerator;
import io.dtrbackup.testsupport.RegistryTreeSpec;
import io.dtrbackup.testsupport.ReplicaSpec;
import io.dtrbackup.testsupport.SimulatedReplica;
import io.dtrbackup.testsupport.SimulatedUcp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Many clusters at once: N simulated DTR clusters (one small replica each) spread round-robin over
 * several Docker endpoints (the shared engine plus private engines started with
 * deploy/setup-docker-engine.sh), all requested at once, through the five services as separate
 * processes ({@code java -Xmx256m -XX:+UseSerialGC -jar}, production defaults otherwise), once per
 * instance count (1, then 2 of each service in the same consumer groups), each run on a fresh broker
 * and store. Every backup must end BackupCompleted with its objects in the backup bucket; the run
 * fails loudly otherwise. Reports wall time, backups per minute, p50/p95/max per backup, stage
 * queueing and work times, peak heap (sampled /metrics) and RSS (VmHWM) and CPU per service
 * process, consumer lag over time. Not run by the build; see docs/benchmarks.md for the command.
 *
 * <p>Knobs (system properties): bench.clusters (50), bench.endpoints (3), bench.instances ("1,2"),
 * bench.partitions (6: topic partitions, so two instances both get some), bench.maxConcurrentJobs
 * (unset: the services' default, 2), bench.partSizeMiB (unset: the services' default S3_PART_SIZE_MB, 64),
 * bench.sharedEngine (true: endpoint 1 is the shared engine), bench.warmup (0: backups run through each
 * fresh stack before the measured batch, so the services' JVMs are warm),
 * bench.smallBlobs (240), bench.timeoutMin (15), bench.dtrExportSeconds (0: the stand-in docker/dtr waits this
 * long before it writes the tar, as a real cluster's RethinkDB export keeps the backup host waiting).
 *
 * <p>Target: when the backups wait on the clusters ({@code bench.dtrExportSeconds} above 0), more instances
 * add throughput: backups/min of each larger instance count at least 1.0x the first count's (medians;
 * {@code throughput-<n>-vs-<first>}). With the CPU-bound defaults no throughput target applies (on two cores
 * a second instance costs throughput; docs/benchmarks.md). {@code -Dbench.check=true} fails the run when a
 * target is missed (see {@link BenchmarkTargets}); an incomplete backup fails the run in any case.
 */
class ManyClustersBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(ManyClustersBenchmark.class);
    static final String VERSION = "2.9.4";
    static final int EXPORT_SECONDS = Integer.getInteger("bench.dtrExportSeconds", 0);

    @TempDir
    Path dir;

    record Cluster(String id, PrivateDockerEngine engine, SimulatedReplica replica) {
    }

    /** What one run measured, for the comparison at the end. */
    record RunResult(String label, int instances, double wallSeconds, double perMinute, double steadyPerMinute,
            double p50, double p95, double max, String report) {
    }

    @Test
    void manyClustersRequestedAtOnce() throws Exception {
        int clusters = Integer.getInteger("bench.clusters", 50);
        int endpoints = Integer.getInteger("bench.endpoints", 3);
        List<Integer> instanceCounts = Arrays.stream(System.getProperty("bench.instances", "1,2").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        boolean shared = Boolean.parseBoolean(System.getProperty("bench.sharedEngine", "true"));
        Path logs = Files.createDirectories(Path.of("target", "bench-logs", "many-clusters").toAbsolutePath());
        ServiceProcesses.locateJars(); // fail fast, before anything starts

        List<PrivateDockerEngine> engines = new ArrayList<>();
        List<DtrSimulator> simulators = new ArrayList<>();
        try {
            for (int i = 0; i < endpoints; i++) {
                engines.add(i == 0 && shared ? PrivateDockerEngine.shared() : PrivateDockerEngine.start("dtr-bench-" + i, logs));
            }
            for (PrivateDockerEngine e : engines) {
                simulators.add(DtrSimulator.start(e.dockerHost()));
            }
            RegistryTreeSpec tree = treeSpec(1);
            RegistryTreeGenerator sample = new RegistryTreeGenerator(tree);
            long files = sample.entries().stream().filter(e -> e.kind() == RegistryTreeGenerator.Kind.FILE).count();
            long t0 = System.nanoTime();
            List<Cluster> all = createClusters(clusters, engines, simulators);
            double setupSeconds = (System.nanoTime() - t0) / 1e9;
            LOG.info("{} clusters on {} endpoints ready in {} s", all.size(), engines.size(), fmt(setupSeconds));
            Path filesDir = Files.createDirectories(dir.resolve("files"));
            Map<String, String> settings = writeFiles(filesDir, all);

            String header = String.format("Many-clusters benchmark: %d clusters, one replica each (DTR %s), round-robin"
                    + " over %d Docker endpoints %s; volume per replica %.2f MB in %d files (%d entries); set-up of the"
                    + " replicas %.0f s; %d cores; topic partitions %d; MAX_CONCURRENT_JOBS %s; S3_PART_SIZE_MB %s; services"
                    + " java -Xmx256m -XX:+UseSerialGC -jar, production defaults otherwise; warm-up backups per run before"
                    + " the measurement: %d; the stand-in docker/dtr backup waits %d s (a remote export).%n", clusters,
                    VERSION, engines.size(),
                    engines, sample.totalBytes() / 1e6, files, sample.entries().size(), setupSeconds,
                    Runtime.getRuntime().availableProcessors(), partitions(),
                    System.getProperty("bench.maxConcurrentJobs", "default (2)"),
                    System.getProperty("bench.partSizeMiB", "default (64)"), Integer.getInteger("bench.warmup", 0),
                    EXPORT_SECONDS);
            LOG.info(header);
            List<RunResult> results = new ArrayList<>();
            for (int i = 0; i < instanceCounts.size(); i++) {
                RunResult r = run(instanceCounts.get(i), i + 1, all, settings, logs);
                results.add(r);
                Files.writeString(logs.resolve("many-clusters-report.txt"), header + results.stream()
                        .map(RunResult::report).collect(Collectors.joining("\n")));
            }
            StringBuilder summary = new StringBuilder(header).append("\nSummary:\n");
            summary.append(String.format("  %-12s %8s %9s %13s %7s %7s %7s%n", "instances", "wall s", "backups/min",
                    "steady b/min", "p50 s", "p95 s", "max s"));
            for (RunResult r : results) {
                summary.append(String.format("  %-12d %8.1f %9.1f %13.1f %7.1f %7.1f %7.1f%n", r.instances(),
                        r.wallSeconds(), r.perMinute(), r.steadyPerMinute(), r.p50(), r.p95(), r.max()));
            }
            // Medians per instance count (runs may repeat and interleave: -Dbench.instances=1,2,1,2).
            Map<Integer, List<RunResult>> byCount = results.stream().collect(Collectors.groupingBy(RunResult::instances,
                    LinkedHashMap::new, Collectors.toList()));
            if (results.size() > byCount.size()) {
                summary.append("  medians per instance count:\n");
                byCount.forEach((n, rs) -> summary.append(String.format("  %-12s %8.1f %9.1f %13.1f %7.1f %7.1f %7.1f%n",
                        n + " (" + rs.size() + " runs)", median(rs, RunResult::wallSeconds), median(rs, RunResult::perMinute),
                        median(rs, RunResult::steadyPerMinute), median(rs, RunResult::p50), median(rs, RunResult::p95),
                        median(rs, RunResult::max))));
            }
            List<Integer> counts = new ArrayList<>(byCount.keySet());
            for (int i = 1; i < counts.size(); i++) {
                List<RunResult> a = byCount.get(counts.get(0));
                List<RunResult> b = byCount.get(counts.get(i));
                summary.append(String.format("  throughput ratio %d/%d instances (medians): %.2f (backups/min), %.2f "
                        + "(steady); wall ratio %.2f%n", counts.get(i), counts.get(0),
                        median(b, RunResult::perMinute) / median(a, RunResult::perMinute),
                        median(b, RunResult::steadyPerMinute) / median(a, RunResult::steadyPerMinute),
                        median(b, RunResult::wallSeconds) / median(a, RunResult::wallSeconds)));
            }
            BenchmarkTargets targets = BenchmarkTargets.of("ManyClustersBenchmark");
            if (EXPORT_SECONDS > 0) {
                List<RunResult> first = byCount.get(counts.get(0));
                for (int i = 1; i < counts.size(); i++) {
                    if (counts.get(i) > counts.get(0)) {
                        targets.atLeast("throughput-" + counts.get(i) + "-vs-" + counts.get(0), "backups/min, "
                                + counts.get(i) + " instances / " + counts.get(0) + " (medians)",
                                median(byCount.get(counts.get(i)), RunResult::perMinute)
                                        / median(first, RunResult::perMinute), 1.0);
                    }
                }
            }
            summary.append(targets.table());
            String full = header + results.stream().map(RunResult::report).collect(Collectors.joining("\n"))
                    + summary.substring(header.length());
            Files.writeString(logs.resolve("many-clusters-report.txt"), full);
            LOG.info("\n{}", full);
            targets.check();
        } finally {
            simulators.forEach(DtrSimulator::close);
            engines.forEach(PrivateDockerEngine::close);
        }
    }

    // ------------------------------------------------------------------------------ set-up

    /** A few MB in a few hundred files: the run measures orchestration, not disk. */
    static RegistryTreeSpec treeSpec(long seed) {
        return RegistryTreeSpec.small(seed).withRepositories(8, 3)
                .withSmallBlobs(Integer.getInteger("bench.smallBlobs", 240), 1024, 32 * 1024);
    }

    static int partitions() {
        return Integer.getInteger("bench.partitions", 6);
    }

    /** Replicas in parallel, one thread per engine; each engine's docker/dtr learns all its clusters at once. */
    private List<Cluster> createClusters(int count, List<PrivateDockerEngine> engines, List<DtrSimulator> simulators)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(engines.size());
        try {
            List<List<Future<Cluster>>> perEngine = new ArrayList<>();
            engines.forEach(e -> perEngine.add(new ArrayList<>()));
            for (int i = 0; i < count; i++) {
                int e = i % engines.size();
                String id = String.format("bench-c%02d", i + 1);
                long seed = i + 1;
                perEngine.get(e).add(pool.submit(() -> new Cluster(id, engines.get(e), simulators.get(e)
                        .createReplica(ReplicaSpec.of(VERSION, SimulatedUcp.random()).withTree(treeSpec(seed))))));
            }
            List<Cluster> all = new ArrayList<>();
            for (int e = 0; e < engines.size(); e++) {
                for (Future<Cluster> f : perEngine.get(e)) {
                    all.add(f.get());
                }
            }
            List<Future<String>> installs = new ArrayList<>();
            for (int e = 0; e < engines.size(); e++) {
                DtrSimulator sim = simulators.get(e);
                PrivateDockerEngine engine = engines.get(e);
                // One build with every UCP and replica the simulator made (rebuilding per replica costs seconds each).
                all.stream().filter(c -> c.engine() == engine).findFirst().ifPresent(c ->
                        installs.add(pool.submit(() -> sim.installDtrImage(VERSION, c.replica().ucp(), 0, EXPORT_SECONDS))));
            }
            for (Future<String> f : installs) {
                f.get();
            }
            all.sort((a, b) -> a.id().compareTo(b.id()));
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The registry (one entry per cluster, each with its own UCP files), the passphrase, the stack settings. */
    private static Map<String, String> writeFiles(Path dir, List<Cluster> clusters) throws Exception {
        Path secrets = Files.createDirectories(dir.resolve("secrets"));
        StringBuilder yaml = new StringBuilder("clusters:\n");
        for (Cluster c : clusters) {
            SimulatedUcp ucp = c.replica().ucp();
            Path password = Secrets.write(secrets.resolve(c.id() + "-ucp-password"), ucp.password());
            Path ca = dir.resolve(c.id() + "-ucp-ca.pem");
            Files.writeString(ca, ucp.caPem(), StandardCharsets.UTF_8);
            yaml.append("  - id: ").append(c.id()).append('\n')
                    .append("    docker:\n")
                    .append("      endpoint: ").append(c.engine().dockerHost()).append('\n')
                    .append("    ucp:\n")
                    .append("      url: ").append(ucp.url()).append('\n')
                    .append("      username: ").append(ucp.username()).append('\n')
                    .append("      passwordFile: ").append(password).append('\n')
                    .append("      caFile: ").append(ca).append('\n');
        }
        Path registry = dir.resolve("clusters.yaml");
        Files.writeString(registry, yaml, StandardCharsets.UTF_8);
        Path passphrase = Secrets.write(secrets.resolve("backup-passphrase"), Secrets.randomPassphrase());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(CommonConfig.CLUSTERS_FILE.envName(), registry.toString());
        settings.put("DTR_BACKUP_PASSPHRASE_FILE", passphrase.toString());
        settings.put("DTR_BACKUP_SCHEDULER_ENABLED", "false"); // only the benchmark's requests
        return settings;
    }

    // ------------------------------------------------------------------------------ one run

    private RunResult run(int instances, int runNumber, List<Cluster> clusters, Map<String, String> settings, Path logs)
            throws Exception {
        String label = "run" + runNumber + "-" + instances + "-instance" + (instances == 1 ? "" : "s");
        Path runDir = dir.resolve(label);
        List<ServiceProcesses> sets = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(runDir.resolve("kafka"));
                EmbeddedS3 s3 = EmbeddedS3.start(runDir.resolve("s3"))) {
            try {
                // Created before pipelineEnv (which would create them with 3 partitions): enough for 2 instances.
                TopicCreator.ensureTopics(new KafkaSettings(Map.of("bootstrap.servers", kafka.bootstrapServers()),
                        partitions(), (short) 1, true), "bench-topics");
                Path accessKey = Secrets.write(runDir.resolve("s3-access-key"), s3.accessKey());
                Path secretKey = Secrets.write(runDir.resolve("s3-secret-key"), s3.secretKey());
                Map<String, String> env = ServiceProcesses.pipelineEnv(kafka, s3, accessKey, secretKey);
                env.put(CommonConfig.KAFKA_TOPIC_PARTITIONS.envName(), String.valueOf(partitions()));
                env.putAll(settings);
                String maxJobs = System.getProperty("bench.maxConcurrentJobs");
                if (maxJobs != null) {
                    env.put(CommonConfig.MAX_CONCURRENT_JOBS.envName(), maxJobs);
                }
                String partSize = System.getProperty("bench.partSizeMiB");
                if (partSize != null) {
                    env.put(CommonConfig.S3_PART_SIZE_MB.envName(), partSize);
                }
                List<RunMonitor.Proc> procs = new ArrayList<>();
                for (int i = 1; i <= instances; i++) {
                    Map<String, String> instanceEnv = new java.util.LinkedHashMap<>(env);
                    if (i > 1) {
                        // One host: each crypto-service instance listens on its own hand-off port, and the
                        // image-service of the same set hands off to it (any instance can confirm any receipt).
                        instanceEnv.putAll(io.dtrbackup.cli.EmbeddedStack.handoffSettings(
                                Files.createDirectories(runDir.resolve("handoff-" + i))));
                    }
                    ServiceProcesses set = new ServiceProcesses(instanceEnv,
                            logs.resolve(label).resolve("instance-" + i));
                    sets.add(set);
                    set.startAll();
                    for (ServiceProcesses.Service s : set.all()) {
                        procs.add(new RunMonitor.Proc(s.name() + "#" + i, s.name(), s.process().pid(), s.port()));
                    }
                }
                awaitGroupsBalanced(kafka, instances);
                warmUp(label, Integer.getInteger("bench.warmup", 0), clusters, kafka);
                return measure(label, instances, clusters, kafka, s3, procs, sets);
            } finally {
                sets.forEach(ServiceProcesses::close); // before the broker and the store go away
            }
        }
    }

    /** Every service group has all its members and is Stable, so no rebalance lands in the measurement. */
    private static void awaitGroupsBalanced(EmbeddedKafka kafka, int instances) {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            await().alias("every service group Stable with " + instances + " member(s)")
                    .atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> admin.describeConsumerGroups(RunMonitor.GROUPS.keySet()).all().get().values().stream()
                            .filter(g -> g.groupState() != GroupState.STABLE || g.members().size() != instances
                                    || g.members().stream().anyMatch(m -> m.assignment().topicPartitions().isEmpty()))
                            .map(g -> g.groupId() + " " + g.groupState() + " members " + g.members().size()).toList(),
                            List::isEmpty);
            LOG.info("all {} service groups stable with {} member(s) each", RunMonitor.GROUPS.size(), instances);
        }
    }

    /**
     * Optional: {@code count} backups through the pipeline before the measurement, so the services'
     * JVMs are past class loading and JIT compilation, as long-running services are. Each must complete.
     */
    private static void warmUp(String label, int count, List<Cluster> clusters, EmbeddedKafka kafka) throws Exception {
        if (count <= 0) {
            return;
        }
        long t0 = System.nanoTime();
        Map<String, BackupRequested> requests = send(kafka, clusters.subList(0, Math.min(count, clusters.size())),
                "many-clusters-benchmark warm-up");
        try (RunMonitor watch = new RunMonitor(kafka.bootstrapServers(), List.of()).start()) {
            try {
                await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
                        .until(() -> watch.endedCount(requests.keySet()) >= requests.size());
            } catch (ConditionTimeoutException e) {
                LOG.warn("{}: not every warm-up backup ended within 10 minutes", label); // listed below
            }
            List<String> notCompleted = requests.keySet().stream().filter(id -> watch.events(id).stream()
                    .noneMatch(e -> e instanceof BackupCompleted)).toList();
            assertThat(notCompleted).as(label + ": warm-up backups that did not complete").isEmpty();
        }
        LOG.info("{}: {} warm-up backups completed in {} s", label, requests.size(), fmt((System.nanoTime() - t0) / 1e9));
    }

    /** The record `dtr-backup backup --cluster <id> --replica <id>` publishes, for every cluster at once. */
    private static Map<String, BackupRequested> send(EmbeddedKafka kafka, List<Cluster> clusters, String requestedBy)
            throws Exception {
        Properties pp = new Properties();
        pp.put("bootstrap.servers", kafka.bootstrapServers());
        pp.put("acks", "all");
        Map<String, BackupRequested> requests = new LinkedHashMap<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pp, new StringSerializer(),
                new ByteArraySerializer())) {
            List<java.util.concurrent.Future<RecordMetadata>> acks = new ArrayList<>();
            for (Cluster c : clusters) {
                BackupRequested r = BackupRequested.of(BackupIds.newId(Instant.now()), c.id(), Trigger.MANUAL,
                        requestedBy, new BackupOptions(c.replica().replicaId(), false, false, false, false, false, false));
                requests.put(r.backupId(), r);
                acks.add(producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), Topics.REQUESTS.keyOf(r),
                        EventCodec.encode(r))));
            }
            producer.flush();
            for (var a : acks) {
                a.get();
            }
        }
        return requests;
    }

    private RunResult measure(String label, int instances, List<Cluster> clusters, EmbeddedKafka kafka,
            EmbeddedS3 s3, List<RunMonitor.Proc> procs, List<ServiceProcesses> sets) throws Exception {
        Duration timeout = Duration.ofMinutes(Integer.getInteger("bench.timeoutMin", 15));
        Set<String> dockerComms = Set.of("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2",
                "containerd-shi", "runc", "docker-init", "docker-proxy");
        String loadBefore = ProcStats.loadAverage();
        Map<String, Long> cpuBefore = new LinkedHashMap<>();
        procs.forEach(p -> cpuBefore.put(p.label(), ProcStats.cpuTicks(p.pid())));
        long harnessBefore = ProcStats.cpuTicks(ProcessHandle.current().pid());
        Map<Long, Long> dockerBefore = ProcStats.ticksByName(dockerComms);
        long[] machineBefore = ProcStats.machineTicks();
        Map<Long, ProcStats.Sample> allBefore = ProcStats.all();

        Properties pp = new Properties();
        pp.put("bootstrap.servers", kafka.bootstrapServers());
        pp.put("acks", "all");
        pp.put("linger.ms", "0");
        Map<String, BackupRequested> requests = new LinkedHashMap<>();
        Instant sentAt;
        long sentNanos;
        RunMonitor monitor;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pp, new StringSerializer(),
                new ByteArraySerializer())) {
            producer.partitionsFor(Topics.REQUESTS.name()); // metadata fetched before the clock starts
            // The record `dtr-backup backup --cluster <id> --replica <id>` publishes, for every cluster at once
            // (built just before sending: their occurredAt is the request time each backup is measured from).
            for (Cluster c : clusters) {
                BackupRequested r = BackupRequested.of(BackupIds.newId(Instant.now()), c.id(), Trigger.MANUAL,
                        "many-clusters-benchmark", new BackupOptions(c.replica().replicaId(), false, false, false,
                                false, false, false));
                requests.put(r.backupId(), r);
            }
            monitor = new RunMonitor(kafka.bootstrapServers(), procs);
            monitor.expect(requests.keySet());
            sentAt = requests.values().iterator().next().occurredAt();
            sentNanos = System.nanoTime();
            monitor.start();
            List<java.util.concurrent.Future<RecordMetadata>> acks = new ArrayList<>();
            for (BackupRequested r : requests.values()) {
                acks.add(producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), Topics.REQUESTS.keyOf(r),
                        EventCodec.encode(r))));
            }
            producer.flush();
            for (var a : acks) {
                a.get();
            }
        }
        LOG.info("{}: {} requests sent in {} ms", label, requests.size(), (System.nanoTime() - sentNanos) / 1_000_000);
        try {
            int[] lastLogged = {-1};
            try {
                await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200)).until(() -> {
                    int n = monitor.endedCount(requests.keySet());
                    if (n / 10 != lastLogged[0] / 10) {
                        LOG.info("{}: {} of {} backups ended", label, n, requests.size());
                        lastLogged[0] = n;
                    }
                    // Not AssertionErrors: Awaitility would retry those until the timeout.
                    List<String> dead = sets.stream().flatMap(s -> s.all().stream()).filter(s -> !s.process().isAlive())
                            .map(s -> s.name() + " (exit " + s.process().exitValue() + ", log " + s.log() + ")").toList();
                    if (!dead.isEmpty()) {
                        throw new IllegalStateException(label + ": service process(es) died during the run: " + dead);
                    }
                    if (!monitor.readerAlive()) {
                        throw new IllegalStateException(label + ": the benchmark's STATUS reader stopped (see the log)");
                    }
                    return n >= requests.size();
                });
            } catch (ConditionTimeoutException e) {
                LOG.warn("{}: not every backup ended within {}", label, timeout); // check() lists them
            }
            double monitored = monitor.lastEndSeconds();
            // Peak RSS before the services stop (VmHWM dies with the process).
            Map<String, Long> hwm = new LinkedHashMap<>();
            Map<String, Double> cpu = new LinkedHashMap<>();
            for (RunMonitor.Proc p : procs) {
                hwm.put(p.label(), ProcStats.vmHwmKib(p.pid()));
                cpu.put(p.label(), (ProcStats.cpuTicks(p.pid()) - cpuBefore.get(p.label())) / ProcStats.TICKS_PER_SECOND);
            }
            double harnessCpu = (ProcStats.cpuTicks(ProcessHandle.current().pid()) - harnessBefore)
                    / ProcStats.TICKS_PER_SECOND;
            double dockerCpu = ProcStats.secondsBetween(dockerBefore, ProcStats.ticksByName(dockerComms));
            long[] machineAfter = ProcStats.machineTicks();
            String others = otherProcesses(allBefore, ProcStats.all(), procs, dockerComms);
            String loadAfter = ProcStats.loadAverage();

            List<String> problems = check(requests, monitor, s3);
            if (!problems.isEmpty()) {
                Files.writeString(Path.of("target", "bench-logs", "many-clusters", label + "-failures.txt"),
                        String.join("\n", problems));
                fail(label + ": " + problems.size() + " of " + requests.size() + " backups did not end Completed "
                        + "(or their objects are missing):\n  " + String.join("\n  ", problems));
            }
            return report(label, instances, requests, monitor, sentAt, monitored, hwm, cpu, harnessCpu, dockerCpu,
                    machineBefore, machineAfter, loadBefore, loadAfter, others);
        } finally {
            monitor.close();
        }
    }

    /** Every request ended BackupCompleted exactly once, and its manifest and objects are in the backup bucket. */
    private static List<String> check(Map<String, BackupRequested> requests, RunMonitor monitor, EmbeddedS3 s3)
            throws Exception {
        MinioObjectStore store = MinioObjectStore.create(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey(),
                16L << 20, 3);
        Set<String> stored = new HashSet<>();
        for (ObjectInfo o : store.list(CommonConfig.S3_BACKUP_BUCKET.defaultValue(), "")) {
            stored.add(o.key());
        }
        List<String> problems = new ArrayList<>();
        for (BackupRequested r : requests.values()) {
            List<BackupEvent> events = monitor.events(r.backupId());
            List<BackupEvent> ends = events.stream().filter(RunMonitor::isTerminal).toList();
            String who = r.clusterId() + " " + r.backupId() + ": ";
            if (ends.isEmpty()) {
                problems.add(who + "did not end within the timeout; last events " + events.stream()
                        .skip(Math.max(0, events.size() - 4)).map(e -> e.getClass().getSimpleName()).toList()
                        + artifactFailures(events));
                continue;
            }
            if (ends.size() > 1) {
                problems.add(who + ends.size() + " terminal events: " + ends);
            }
            BackupEvent end = ends.get(0);
            if (end instanceof BackupFailed f) {
                problems.add(who + "FAILED in " + f.failedStage() + ": " + f.reason() + artifactFailures(events));
            } else if (end instanceof BackupRejected j) {
                problems.add(who + "REJECTED: " + j.reason());
            } else if (end instanceof BackupCompleted c) {
                List<String> missing = new ArrayList<>();
                if (!stored.contains(c.manifestKey())) {
                    missing.add(c.manifestKey());
                }
                c.objectKeys().stream().filter(k -> !stored.contains(k)).forEach(missing::add);
                if (c.objectKeys().size() != 2) {
                    problems.add(who + "completed with " + c.objectKeys().size() + " objects, expected 2: "
                            + c.objectKeys());
                }
                if (!missing.isEmpty()) {
                    problems.add(who + "completed, but not in the backup bucket: " + missing);
                }
            }
        }
        return problems;
    }

    private static String artifactFailures(List<BackupEvent> events) {
        String f = events.stream().filter(e -> e instanceof ArtifactFailed).map(e -> (ArtifactFailed) e)
                .map(a -> a.kind() + " " + a.phase() + ": " + a.reason()).collect(Collectors.joining("; "));
        return f.isEmpty() ? "" : " (artifacts: " + f + ")";
    }

    // ------------------------------------------------------------------------------ figures

    private RunResult report(String label, int instances, Map<String, BackupRequested> requests, RunMonitor monitor,
            Instant sentAt, double lastEndSeconds, Map<String, Long> hwm, Map<String, Double> cpu, double harnessCpu,
            double dockerCpu, long[] machineBefore, long[] machineAfter, String loadBefore, String loadAfter,
            String others) {
        List<Double> perBackup = new ArrayList<>();
        List<Instant> ends = new ArrayList<>();
        Map<String, List<Double>> stages = new LinkedHashMap<>();
        for (BackupRequested r : requests.values()) {
            Map<String, Instant> at = new LinkedHashMap<>();
            Map<String, Long> work = new LinkedHashMap<>();
            for (BackupEvent e : monitor.events(r.backupId())) {
                if (e instanceof ReplicaDiscovered) {
                    at.putIfAbsent("discovered", e.occurredAt());
                } else if (e instanceof ArtifactStaged s) {
                    at.putIfAbsent("staged " + s.kind(), e.occurredAt());
                    work.putIfAbsent("staged " + s.kind(), s.durationMs());
                } else if (e instanceof ArtifactEncrypted c) {
                    at.putIfAbsent("encrypted " + c.kind(), e.occurredAt());
                    work.putIfAbsent("encrypted " + c.kind(), c.durationMs());
                } else if (e instanceof ArtifactVerified v) {
                    at.putIfAbsent("verified " + v.kind(), e.occurredAt());
                    work.putIfAbsent("verified " + v.kind(), v.durationMs());
                } else if (e instanceof BackupCompleted) {
                    at.putIfAbsent("completed", e.occurredAt());
                }
            }
            Instant done = at.get("completed");
            perBackup.add(secs(r.occurredAt(), done));
            ends.add(done);
            add(stages, "a request -> discovered (queue + discovery)", secs(r.occurredAt(), at.get("discovered")));
            Instant lastVerified = null;
            for (ArtifactKind kind : List.of(ArtifactKind.METADATA, ArtifactKind.IMAGES)) {
                String k = kind.name().toLowerCase();
                Instant staged = at.get("staged " + kind);
                Instant encrypted = at.get("encrypted " + kind);
                Instant verified = at.get("verified " + kind);
                add(stages, "b " + k + " discovered -> staged", secs(at.get("discovered"), staged));
                add(stages, "b " + k + "   of which staging work", work.getOrDefault("staged " + kind, -1L) / 1000.0);
                add(stages, "c " + k + " staged -> encrypted", secs(staged, encrypted));
                add(stages, "c " + k + "   of which encrypt work", work.getOrDefault("encrypted " + kind, -1L) / 1000.0);
                add(stages, "d " + k + " encrypted -> verified", secs(encrypted, verified));
                add(stages, "d " + k + "   of which verify work", work.getOrDefault("verified " + kind, -1L) / 1000.0);
                if (verified != null && (lastVerified == null || verified.isAfter(lastVerified))) {
                    lastVerified = verified;
                }
            }
            add(stages, "e last verified -> completed", secs(lastVerified, done));
        }
        ends.sort(null);
        double wall = secs(sentAt, ends.get(ends.size() - 1));
        double perMinute = requests.size() / wall * 60;
        // Completions per minute once the pipeline is full: between the 10th and the 90th percentile completion.
        int lo = (int) Math.floor(0.1 * (ends.size() - 1));
        int hi = (int) Math.ceil(0.9 * (ends.size() - 1));
        double steady = (hi - lo) / Math.max(1e-3, secs(ends.get(lo), ends.get(hi))) * 60;
        double p50 = percentile(perBackup, 50);
        double p95 = percentile(perBackup, 95);
        double max = percentile(perBackup, 100);

        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%n=== %s (%d of each service), %d backups requested at once ===%n", label, instances,
                requests.size()));
        sb.append(String.format("load average before %s, after %s%n", loadBefore, loadAfter));
        sb.append(String.format("all %d ended BackupCompleted; wall (first request -> last BackupCompleted) %.1f s; "
                + "%.1f backups/min; steady (10th->90th percentile completion) %.1f backups/min%n", requests.size(), wall,
                perMinute, steady));
        sb.append(String.format("time per backup (request -> BackupCompleted): p50 %.1f s, p95 %.1f s, max %.1f s, "
                + "min %.1f s%n", p50, p95, max, percentile(perBackup, 0)));
        sb.append("stages per backup (seconds: median / p95; 'work' = the stage's own durationMs, the rest is "
                + "queueing):\n");
        stages.forEach((k, v) -> sb.append(String.format("  %-46s %6.1f / %6.1f%n", k.substring(2), percentile(v, 50),
                percentile(v, 95))));
        double machineBusy = (machineAfter[0] - machineBefore[0]) / ProcStats.TICKS_PER_SECOND;
        double machineTotal = (machineAfter[1] - machineBefore[1]) / ProcStats.TICKS_PER_SECOND;
        double services = cpu.values().stream().mapToDouble(Double::doubleValue).sum();
        sb.append(String.format("CPU over the run (%.0f s): machine busy %.0f of %.0f core-s (%.0f%%); services %.0f, "
                + "harness JVM (Kafka broker + S3Proxy + monitor) %.0f, dockerd+containerd+shims %.0f, other %.0f "
                + "core-s%n", lastEndSeconds, machineBusy, machineTotal, 100 * machineBusy / machineTotal, services,
                harnessCpu, dockerCpu, machineBusy - services - harnessCpu - dockerCpu));
        sb.append("  'other', largest live processes by CPU: ").append(others).append('\n');
        sb.append(String.format("CPU per backup: services %.2f, all processes %.2f core-s%n", services / requests.size(),
                machineBusy / requests.size()));
        sb.append(String.format("  %-22s %14s %12s %9s %36s%n", "process", "peak heap MiB", "peak RSS MiB", "CPU s",
                "GC pauses since start: all/major (wall s)"));
        for (RunMonitor.Proc p : monitor.procs()) {
            sb.append(String.format("  %-22s %14.0f %12d %9.1f %22d / %4d (%4.1f)%n", p.label(),
                    monitor.peakHeapBytes(p.label()) / 1048576.0, hwm.get(p.label()) / 1024, cpu.get(p.label()),
                    monitor.gcPauses(p.label(), ""), monitor.gcPauses(p.label(), "major"),
                    monitor.gcPauseSeconds(p.label())));
        }
        sb.append("consumer lag (records not yet processed and committed, per group; sampled every 2 s, one line per 5 s):\n");
        sb.append(monitor.lagSeries(5, requests.size()));
        sb.append("max lag: ").append(monitor.maxLag().entrySet().stream()
                .map(e -> RunMonitor.SHORT.get(e.getKey()) + " " + e.getValue()).collect(Collectors.joining(", ")))
                .append('\n');
        String report = sb.toString();
        LOG.info(report);
        return new RunResult(label, instances, wall, perMinute, steady, p50, p95, max, report);
    }

    /** The live processes, outside the services, the harness and Docker, that used the most CPU during the run. */
    private static String otherProcesses(Map<Long, ProcStats.Sample> before, Map<Long, ProcStats.Sample> after,
            List<RunMonitor.Proc> procs, Set<String> dockerComms) {
        Set<Long> known = new HashSet<>();
        procs.forEach(p -> known.add(p.pid()));
        known.add(ProcessHandle.current().pid());
        Map<String, Long> byComm = new LinkedHashMap<>();
        after.forEach((pid, s) -> {
            if (!known.contains(pid) && !dockerComms.contains(s.comm())) {
                ProcStats.Sample b = before.get(pid);
                long delta = s.ticks() - (b == null || !b.comm().equals(s.comm()) ? 0 : b.ticks());
                byComm.merge(s.comm(), delta, Long::sum);
            }
        });
        String top = byComm.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue())).limit(4)
                .map(e -> e.getKey() + " " + String.format("%.1f", e.getValue() / ProcStats.TICKS_PER_SECOND))
                .collect(Collectors.joining(", "));
        return top + " core-s (the rest: processes that ended during the run, e.g. runc and the containers' own)";
    }

    private static double median(List<RunResult> runs, java.util.function.ToDoubleFunction<RunResult> f) {
        List<Double> v = runs.stream().map(r -> f.applyAsDouble(r)).sorted().toList();
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static void add(Map<String, List<Double>> stages, String key, double value) {
        if (!Double.isNaN(value) && value >= 0) {
            stages.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
    }

    /** Nearest-rank percentile (0 = min, 100 = max). */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static double secs(Instant from, Instant to) {
        return from == null || to == null ? Double.NaN : Duration.between(from, to).toMillis() / 1000.0;
    }

    private static String fmt(double v) {
        return String.format("%.1f", v);
    }
}
