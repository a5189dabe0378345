package io.dtrbackup.testsupport;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.command.BuildImageResultCallback;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * Simulated Docker Trusted Registry replicas on a real Docker engine. Every container, volume
 * and image it creates carries {@code io.dtrbackup.sim=<runId>} ({@link #runId()} is unique per
 * instance) and {@link #close()} removes exactly those, so simulators of several engineers can
 * share one engine. Images are built locally from {@code /bin/busybox}: nothing is pulled.
 *
 * <p>The shared images: {@value #BASE_IMAGE} (busybox on scratch, a cache kept across runs and
 * labelled {@code io.dtrbackup.sim.cache}), and {@code docker/dtr:<version>} whose stand-in
 * {@code backup} command accepts the UCPs and replicas of every live simulator that installed
 * that version (the tag is global on an engine, so each rebuild merges in the other live
 * simulators' entries, read from the image's label).
 */
public final class DtrSimulator implements AutoCloseable {
    public static final String LABEL = "io.dtrbackup.sim";
    public static final String BASE_IMAGE = "dtr-backup-sim/busybox:1";
    static final String CACHE_LABEL = "io.dtrbackup.sim.cache";
    static final String CLUSTERS_LABEL = "io.dtrbackup.sim.clusters";
    static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
    /**
     * The network every container of the test bed runs with: its engine has no bridge
     * ({@code dockerd --bridge=none}) and no container may reach any address.
     */
    public static final String NETWORK_MODE = "none";
    private static final Logger LOG = LoggerFactory.getLogger(DtrSimulator.class);
    /** Serialises docker/dtr rebuilds inside this JVM; across JVMs the label merge narrows the race. */
    private static final Object DTR_IMAGE_LOCK = new Object();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String runId;
    private final String dockerHost;
    private final DockerClient docker;
    private final boolean useTestcontainers;
    private final List<SimulatedReplica> replicas = new CopyOnWriteArrayList<>();
    /** version -> UCP -> replica IDs of that version belonging to that UCP. */
    private final Map<String, Map<SimulatedUcp, Set<String>>> clusters = new LinkedHashMap<>();
    /** versions whose docker/dtr image this simulator installed -> events pad bytes. */
    private final Map<String, Long> installed = new LinkedHashMap<>();
    /** versions whose docker/dtr image this simulator installed -> seconds each backup waits (0: none). */
    private final Map<String, Integer> exportSeconds = new LinkedHashMap<>();
    private volatile boolean closed;

    private DtrSimulator(String dockerHost) {
        this.runId = "sim" + HexFormat.of().formatHex(RANDOM.generateSeed(6));
        this.dockerHost = dockerHost;
        this.docker = client(dockerHost);
        this.useTestcontainers = testcontainersServes(dockerHost);
    }

    /** A simulator on {@code $DOCKER_HOST}, or unix:///var/run/docker.sock. */
    public static DtrSimulator start() {
        return start(defaultDockerHost());
    }

    public static DtrSimulator start(String dockerHost) {
        // Testcontainers logs every container start at INFO under "tc.<image>".
        QuietLogs.warn("tc", "org.testcontainers", "com.github.dockerjava");
        DtrSimulator sim = new DtrSimulator(dockerHost);
        try {
            sim.docker.pingCmd().exec();
            sim.ensureBaseImage();
        } catch (RuntimeException e) {
            sim.close();
            throw e;
        }
        LOG.info("DTR simulator {} on {} ({})", sim.runId, dockerHost,
                sim.useTestcontainers ? "replicas via Testcontainers" : "replicas via docker-java");
        return sim;
    }

    /**
     * The {@code DTR_BACKUP_*} settings every pipeline on the test bed needs on top of its own: the
     * backup container metadata-service starts gets {@link #NETWORK_MODE} (production's default is the
     * engine's default network, which reaches UCP). Every place that starts metadata-service against
     * this simulator (the metadata ITs, the demo's stack settings, the separate-process environment)
     * puts these in.
     */
    public static Map<String, String> serviceSettings() {
        return Map.of("DTR_BACKUP_DTR_NETWORK_MODE", NETWORK_MODE);
    }

    public static String defaultDockerHost() {
        String env = System.getenv("DOCKER_HOST");
        return env == null || env.isBlank() ? DEFAULT_DOCKER_HOST : env;
    }

    /** Null if an engine answers {@code _ping} on {@code dockerHost}, else what went wrong. */
    public static String pingProblem(String dockerHost) {
        try (DockerClient client = client(dockerHost)) {
            client.pingCmd().exec();
            return null;
        } catch (Exception e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    public String runId() {
        return runId;
    }

    public String dockerHost() {
        return dockerHost;
    }

    /** The simulator's client; do not close it (close() does). */
    public DockerClient docker() {
        return docker;
    }

    public List<SimulatedReplica> replicas() {
        return List.copyOf(replicas);
    }

    // ------------------------------------------------------------------------------ replicas

    /** Creates a replica's volume (filled with the spec's tree) and its five containers. */
    public SimulatedReplica createReplica(ReplicaSpec spec) {
        checkOpen();
        String id = HexFormat.of().formatHex(RANDOM.generateSeed(6));
        String volume = (spec.storage() == ReplicaSpec.StorageKind.NFS ? "dtr-registry-nfs-" : "dtr-registry-") + id;
        RegistryTreeGenerator tree = spec.tree() == null ? null : new RegistryTreeGenerator(spec.tree());
        SimulatedReplica replica = new SimulatedReplica(this, id, spec, volume, tree);
        replicas.add(replica);

        Map<String, String> volumeLabels = labels(id, null);
        volumeLabels.put("io.dtrbackup.sim.storage", spec.storage().name().toLowerCase());
        docker.createVolumeCmd().withName(volume).withLabels(volumeLabels).exec();
        if (tree != null) {
            long t0 = System.nanoTime();
            writeVolume(volume, tree);
            long ms = Math.max(1, (System.nanoTime() - t0) / 1_000_000);
            replica.uploadMillis(ms);
            LOG.info("Volume {}: {} MB written in {} ms ({} MB/s)", volume, tree.totalBytes() / 1_000_000, ms,
                    tree.totalBytes() / 1000 / ms);
        }
        for (String component : SimulatedReplica.COMPONENTS) {
            String name = SimulatedReplica.containerName(component, id);
            String containerId = runReplicaContainer(name, component, replica);
            replica.containerId(component, containerId);
            if (!spec.running()) {
                stopContainer(containerId);
            }
        }
        synchronized (this) {
            clusters.computeIfAbsent(spec.dtrVersion(), v -> new LinkedHashMap<>())
                    .computeIfAbsent(spec.ucp(), u -> new LinkedHashSet<>()).add(id);
        }
        if (installed.containsKey(spec.dtrVersion())) {
            buildDtrImage(spec.dtrVersion()); // the stand-in learns the new replica ID
        }
        LOG.info("Replica {} (DTR {}) created: {}", id, spec.dtrVersion(), replica.containerNames());
        return replica;
    }

    private String runReplicaContainer(String name, String component, SimulatedReplica replica) {
        List<String> env = List.of("DTR_VERSION=" + replica.dtrVersion(), "DTR_REPLICA_ID=" + replica.replicaId(),
                "PATH=/bin");
        Map<String, String> labels = labels(replica.replicaId(), component);
        if (replica.spec().nodeName() != null) {
            labels.put("io.dtrbackup.sim.node", replica.spec().nodeName());
        }
        Bind bind = component.equals("registry") ? new Bind(replica.volumeName(), new Volume("/storage")) : null;
        if (useTestcontainers) {
            @SuppressWarnings("resource") // removed by id in close(); Testcontainers' own hook is a fallback
            GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(BASE_IMAGE))
                    .withImagePullPolicy(image -> false) // locally built only: no registry is reachable
                    .withCommand("sleep", "1000000")
                    .withLabels(labels)
                    .withNetworkMode(NETWORK_MODE)
                    .withStartupAttempts(1)
                    .waitingFor(new AbstractWaitStrategy() {
                        @Override
                        protected void waitUntilReady() {
                            // sleep has nothing to wait for; "running" is checked by Testcontainers
                        }
                    })
                    .withCreateContainerCmdModifier(cmd -> {
                        cmd.withName(name).withEnv(env);
                        HostConfig hc = cmd.getHostConfig();
                        hc.withInit(true); // busybox sleep as PID 1 ignores SIGTERM
                        if (bind != null) {
                            hc.withBinds(bind);
                        }
                    });
            c.start();
            return c.getContainerId();
        }
        HostConfig hc = HostConfig.newHostConfig().withNetworkMode(NETWORK_MODE).withInit(true);
        if (bind != null) {
            hc.withBinds(bind);
        }
        String id = docker.createContainerCmd(BASE_IMAGE).withName(name).withCmd("sleep", "1000000").withEnv(env)
                .withLabels(labels).withHostConfig(hc).exec().getId();
        docker.startContainerCmd(id).exec();
        return id;
    }

    void stopContainer(String containerId) {
        try {
            docker.stopContainerCmd(containerId).withTimeout(5).exec();
        } catch (NotModifiedException alreadyStopped) {
            // fine: stopping a stopped container is a no-op here
        }
    }

    void startContainer(String containerId) {
        try {
            docker.startContainerCmd(containerId).exec();
        } catch (NotModifiedException alreadyRunning) {
            // fine
        }
    }

    // ------------------------------------------------------------------------------- volumes

    /**
     * Streams the tree into the volume: a created (never started) helper container mounts it and
     * the engine's archive endpoint unpacks a tar generated on the fly.
     */
    private void writeVolume(String volume, RegistryTreeGenerator tree) {
        String helper = helperContainer(volume);
        try (PipedInputStream in = new PipedInputStream(1 << 20)) {
            PipedOutputStream pipe = new PipedOutputStream(in);
            CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
                try (OutputStream out = pipe) {
                    tree.writeTar(out);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            docker.copyArchiveToContainerCmd(helper).withRemotePath("/storage").withTarInputStream(in).exec();
            producer.join();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            removeContainer(helper);
        }
    }

    /**
     * Reads a volume's content as a tar (entry names start with {@code storage/}) through a
     * helper container and the engine's archive endpoint; the caller closes the stream, which
     * removes the helper.
     */
    public InputStream readVolumeTar(String volume) {
        String helper = helperContainer(volume);
        InputStream tar = docker.copyArchiveFromContainerCmd(helper, "/storage").exec();
        return new java.io.FilterInputStream(tar) {
            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    removeContainer(helper);
                }
            }
        };
    }

    /** The volume's entries, comparable with {@link RegistryTreeGenerator#comparableEntries()}. */
    public List<RegistryTreeGenerator.TreeEntry> readVolumeEntries(String volume) {
        try (InputStream tar = readVolumeTar(volume)) {
            return RegistryTreeGenerator.readTar(tar, "storage/").stream()
                    .map(e -> e.kind() == RegistryTreeGenerator.Kind.SYMLINK
                            ? new RegistryTreeGenerator.TreeEntry(e.path(), e.kind(), 0, null, 0777, 0, e.linkTarget())
                            : e)
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String helperContainer(String volume) {
        return docker.createContainerCmd(BASE_IMAGE)
                .withName("dtr-sim-helper-" + runId + "-" + HexFormat.of().formatHex(RANDOM.generateSeed(4)))
                .withCmd("true")
                .withLabels(labels(null, "helper"))
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode(NETWORK_MODE)
                        .withBinds(new Bind(volume, new Volume("/storage"))))
                .exec().getId();
    }

    private void removeContainer(String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(false).exec();
        } catch (NotFoundException gone) {
            // already removed
        }
    }

    // ------------------------------------------------------------------------------ docker/dtr

    /** Builds {@code docker/dtr:<version>} accepting {@code ucp} and this version's replicas. */
    public String installDtrImage(String version, SimulatedUcp ucp) {
        return installDtrImage(version, ucp, 0);
    }

    /**
     * Like {@link #installDtrImage(String, SimulatedUcp)}, with the {@code events} table padded by
     * {@code metadataPadBytes} of fixed pseudo-random JSON, for tests that stream a big tar.
     * Returns the image reference.
     */
    public String installDtrImage(String version, SimulatedUcp ucp, long metadataPadBytes) {
        return installDtrImage(version, ucp, metadataPadBytes, 0);
    }

    /**
     * Like {@link #installDtrImage(String, SimulatedUcp, long)}, with each {@code backup} waiting
     * {@code exportSeconds} before it writes the tar: on a real cluster the RethinkDB export runs on the DTR
     * node and takes that long while the backup host only waits (for benchmarks of that regime).
     */
    public String installDtrImage(String version, SimulatedUcp ucp, long metadataPadBytes, int exportSeconds) {
        checkOpen();
        DtrVersion.parse(version);
        synchronized (this) {
            clusters.computeIfAbsent(version, v -> new LinkedHashMap<>()).computeIfAbsent(ucp, u -> new LinkedHashSet<>());
            Long previous = installed.put(version, metadataPadBytes);
            Integer previousExport = exportSeconds(version, exportSeconds);
            if (previous == null || previous != metadataPadBytes || previousExport == null
                    || previousExport != exportSeconds) {
                buildDataImage(version, metadataPadBytes, exportSeconds);
            }
        }
        buildDtrImage(version);
        return dtrImage(version);
    }

    public static String dtrImage(String version) {
        return "docker/dtr:" + version;
    }

    private String dataImage(String version, String owner) {
        return "dtr-backup-sim/dtr-data:" + version + "-" + owner;
    }

    /** The tar the stand-in prints for these flags (no events padding). */
    public static byte[] expectedMetadataTar(String version, boolean online, boolean ignoreEvents, boolean ignoreScan) {
        return DtrMetadataTar.bytes(version, online, ignoreEvents, ignoreScan, 0);
    }

    /** Hex SHA-256 of the tar the stand-in prints for these flags and padding. */
    public static String expectedMetadataTarSha256(String version, boolean online, boolean ignoreEvents,
            boolean ignoreScan, long metadataPadBytes) {
        return DtrMetadataTar.sha256(version, online, ignoreEvents, ignoreScan, metadataPadBytes);
    }

    /** Script, tar fragments and trailer: depends on the version and the padding only. */
    private Integer exportSeconds(String version, int seconds) {
        return exportSeconds.put(version, seconds);
    }

    private void buildDataImage(String version, long pad, int exportSeconds) {
        DtrVersion v = DtrVersion.parse(version);
        String script = resource("dtr-standin.sh")
                .replace("@VERSION@", version)
                .replace("@IGNORE_EVENTS@", v.supportsIgnoreEventsTable() ? "1" : "0")
                .replace("@IGNORE_SCAN@", v.supportsIgnoreScanData() ? "1" : "0")
                .replace("@ONLINE_FOLDER@", v.supportsIgnoreEventsTable() ? "1" : "0")
                .replace("@TABLES@", String.join(" ", DtrMetadataTar.TABLES));
        Set<String> tops = new LinkedHashSet<>(List.of(DtrVersion.topFolder(version, false), DtrVersion.topFolder(version, true)));
        long t0 = System.nanoTime();
        build(dataImage(version, runId), labels(null, "dtr-data"), ctx -> {
            ctx.file("Dockerfile", 0644, ("FROM " + BASE_IMAGE + "\nCOPY dtr/ /dtr/\n"
                    + "ENTRYPOINT [\"/bin/sh\", \"/dtr/dtr.sh\"]\n").getBytes(StandardCharsets.UTF_8));
            ctx.file("dtr/dtr.sh", 0755, script.getBytes(StandardCharsets.UTF_8));
            ctx.file("dtr/frag/trailer", 0644, DtrMetadataTar.TRAILER);
            if (exportSeconds > 0) {
                ctx.file("dtr/export-seconds", 0644, String.valueOf(exportSeconds).getBytes(StandardCharsets.UTF_8));
            }
            for (String top : tops) {
                String dir = "dtr/frag/" + top;
                ctx.file(dir + "00-head", 0644, DtrMetadataTar.head(top));
                for (String table : DtrMetadataTar.TABLES) {
                    ctx.stream(dir + table, 0644, out -> DtrMetadataTar.writeTable(out, top, version, table, pad));
                }
            }
        });
        LOG.info("Built {} in {} ms (events pad {} bytes)", dataImage(version, runId),
                (System.nanoTime() - t0) / 1_000_000, pad);
    }

    /** (Re)builds docker/dtr:<version> with this simulator's entries merged with live others'. */
    private void buildDtrImage(String version) {
        synchronized (DTR_IMAGE_LOCK) {
            List<String> entries = otherLiveEntries(version);
            entries.addAll(ownEntries(version));
            buildDtrImage(version, entries, runId, runId);
        }
    }

    private void buildDtrImage(String version, List<String> entries, String labelRun, String dataOwner) {
        long t0 = System.nanoTime();
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL, labelRun);
        labels.put("io.dtrbackup.sim.role", "dtr");
        labels.put(CLUSTERS_LABEL, String.join(";", entries));
        String clustersFile = String.join("\n", entries) + "\n";
        build(dtrImage(version), labels, ctx -> {
            ctx.file("Dockerfile", 0644, ("FROM " + dataImage(version, dataOwner) + "\nCOPY clusters /dtr/clusters\n")
                    .getBytes(StandardCharsets.UTF_8));
            ctx.file("clusters", 0644, clustersFile.getBytes(StandardCharsets.UTF_8));
        });
        LOG.info("Built {} for {} cluster entr{} in {} ms", dtrImage(version), entries.size(),
                entries.size() == 1 ? "y" : "ies", (System.nanoTime() - t0) / 1_000_000);
    }

    /** One line per (simulator, UCP): run, then SHA-256 of URL, user, password, CA, replica IDs. */
    private synchronized List<String> ownEntries(String version) {
        List<String> lines = new ArrayList<>();
        clusters.getOrDefault(version, Map.of()).forEach((ucp, ids) -> lines.add(String.join(" ", runId,
                sha256(SimulatedUcp.normalizeUrl(ucp.url())), sha256(ucp.username()), sha256(ucp.password()),
                sha256(SimulatedUcp.normalizeCa(ucp.caPem())), ids.isEmpty() ? "-" : String.join(",", ids))));
        return lines;
    }

    /** Entries of other simulators in the current docker/dtr:<version>, if they still exist. */
    private List<String> otherLiveEntries(String version) {
        List<String> kept = new ArrayList<>();
        InspectImageResponse image;
        try {
            image = docker.inspectImageCmd(dtrImage(version)).exec();
        } catch (NotFoundException none) {
            return kept;
        }
        Map<String, String> labels = image.getConfig() == null ? null : image.getConfig().getLabels();
        String merged = labels == null ? null : labels.get(CLUSTERS_LABEL);
        if (merged == null || merged.isBlank()) {
            return kept;
        }
        Map<String, Boolean> alive = new LinkedHashMap<>();
        for (String line : merged.split(";")) {
            String run = line.split(" ", 2)[0];
            if (!run.equals(runId) && alive.computeIfAbsent(run, this::runAlive)) {
                kept.add(line);
            }
        }
        return kept;
    }

    /** A run is alive while it has a data image or any container on the engine. */
    private boolean runAlive(String run) {
        return !docker.listImagesCmd().withLabelFilter(Map.of(LABEL, run)).exec().isEmpty()
                || !docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(LABEL, run)).exec().isEmpty();
    }

    // -------------------------------------------------------------------------------- running

    /** What a {@code docker run} of the stand-in gave. */
    public record DtrRun(int exitCode, byte[] stdout, String stderr) {
        public String stdoutSha256() {
            return HexFormat.of().formatHex(RegistryTreeGenerator.sha256().digest(stdout));
        }
    }

    /**
     * Runs {@code docker/dtr:<version> args...} the way the seed does ({@code docker run -i --rm
     * --log-driver none -e ...}): no TTY, log driver none, attached to stdout and stderr before
     * the start, stdout captured byte for byte.
     */
    public DtrRun runDtr(String version, Map<String, String> env, List<String> args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int code = runDtr(version, env, args, stdout, stderr);
        return new DtrRun(code, stdout.toByteArray(), stderr.toString(StandardCharsets.UTF_8));
    }

    /** Streaming variant: stdout and stderr go to the given streams; returns the exit code. */
    public int runDtr(String version, Map<String, String> env, List<String> args, OutputStream stdout,
            OutputStream stderr) {
        checkOpen();
        List<String> envList = new ArrayList<>();
        env.forEach((k, v) -> envList.add(k + "=" + v));
        String id = docker.createContainerCmd(dtrImage(version))
                .withName("dtr-sim-run-" + runId + "-" + HexFormat.of().formatHex(RANDOM.generateSeed(4)))
                .withCmd(args).withEnv(envList).withLabels(labels(null, "dtr-run"))
                .withTty(false).withAttachStdout(true).withAttachStderr(true).withStdinOpen(false)
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode(NETWORK_MODE)
                        .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE)))
                .exec().getId();
        OutputStream out = new BufferedOutputStream(stdout, 1 << 16);
        ResultCallback.Adapter<Frame> attach = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                try {
                    if (frame.getStreamType() == StreamType.STDOUT || frame.getStreamType() == StreamType.RAW) {
                        out.write(frame.getPayload());
                    } else if (frame.getStreamType() == StreamType.STDERR) {
                        stderr.write(frame.getPayload());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        try {
            docker.attachContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true).exec(attach);
            attach.awaitStarted(30, TimeUnit.SECONDS);
            docker.startContainerCmd(id).exec();
            int code = docker.waitContainerCmd(id).start().awaitStatusCode(30, TimeUnit.MINUTES);
            // The exit code can arrive before the last bytes: drain the attach stream first.
            if (!attach.awaitCompletion(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("attach stream of " + id + " did not end");
            }
            out.flush();
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running docker/dtr", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                attach.close();
            } catch (IOException ignored) {
                // closing a finished stream
            }
            removeContainer(id);
        }
    }

    // -------------------------------------------------------------------------------- cleanup

    /** Removes every container, volume and image this instance created. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (String version : new ArrayList<>(installed.keySet())) {
                try {
                    releaseDtrImage(version);
                } catch (RuntimeException e) {
                    LOG.warn("Could not release {}: {}", dtrImage(version), e.toString());
                }
            }
            Map<String, String> mine = Map.of(LABEL, runId);
            for (Container c : docker.listContainersCmd().withShowAll(true).withLabelFilter(mine).exec()) {
                if (runId.equals(c.getLabels().get(LABEL))) {
                    removeContainer(c.getId());
                }
            }
            docker.listVolumesCmd().withFilter("label", List.of(LABEL + "=" + runId)).exec().getVolumes()
                    .forEach(v -> {
                        if (runId.equals(v.getLabels() == null ? null : v.getLabels().get(LABEL))) {
                            try {
                                docker.removeVolumeCmd(v.getName()).exec();
                            } catch (NotFoundException gone) {
                                // already removed
                            }
                        }
                    });
            removeImages(mine);
            LOG.info("DTR simulator {} closed: {} replica(s) removed", runId, replicas.size());
        } catch (RuntimeException e) {
            LOG.warn("DTR simulator {} cleanup incomplete: {}", runId, e.toString());
        } finally {
            try {
                docker.close();
            } catch (IOException e) {
                LOG.debug("closing the Docker client: {}", e.toString());
            }
        }
    }

    /**
     * Removes this run's images, newest first (a child before its parent); a second pass
     * catches a parent whose child went in the same pass. A parent still in use by another
     * simulator's docker/dtr (rebuilt on top of it) stays: the engine refuses, rightly.
     */
    private void removeImages(Map<String, String> mine) {
        for (int pass = 0; pass < 3; pass++) {
            List<com.github.dockerjava.api.model.Image> images = new ArrayList<>(
                    docker.listImagesCmd().withShowAll(true).withLabelFilter(mine).exec());
            if (images.isEmpty()) {
                return;
            }
            images.sort((a, b) -> Long.compare(b.getCreated(), a.getCreated()));
            boolean progress = false;
            for (var image : images) {
                try {
                    docker.removeImageCmd(image.getId()).withForce(true).exec();
                    progress = true;
                } catch (NotFoundException gone) {
                    progress = true; // went with its child
                } catch (ConflictException inUse) {
                    LOG.debug("Image {} still in use: {}", image.getId(), inUse.getMessage());
                }
            }
            if (!progress) {
                return;
            }
        }
    }

    /**
     * Leaves docker/dtr:<version> to the other live simulators that use it (rebuilt on the data
     * image of one of them, labelled with its run), or removes it if none is left.
     */
    private void releaseDtrImage(String version) {
        synchronized (DTR_IMAGE_LOCK) {
            List<String> others = otherLiveEntries(version);
            if (others.isEmpty()) {
                try {
                    InspectImageResponse image = docker.inspectImageCmd(dtrImage(version)).exec();
                    docker.removeImageCmd(image.getId()).withForce(true).exec();
                } catch (NotFoundException gone) {
                    // nothing to remove
                }
                return;
            }
            String heir = others.get(0).split(" ", 2)[0];
            boolean heirHasData = !docker.listImagesCmd().withImageNameFilter(dataImage(version, heir)).exec().isEmpty();
            buildDtrImage(version, others, heir, heirHasData ? heir : runId);
        }
    }

    // -------------------------------------------------------------------------------- helpers

    private void ensureBaseImage() {
        synchronized (DTR_IMAGE_LOCK) {
            try {
                docker.inspectImageCmd(BASE_IMAGE).exec();
                return;
            } catch (NotFoundException absent) {
                // build it below
            }
            Path busybox = Files.isExecutable(Path.of("/bin/busybox")) ? Path.of("/bin/busybox") : Path.of("/usr/bin/busybox");
            if (!Files.isExecutable(busybox)) {
                throw new IllegalStateException("busybox-static is missing: run deploy/setup-docker-engine.sh");
            }
            List<String> applets = applets(busybox);
            long t0 = System.nanoTime();
            build(BASE_IMAGE, Map.of(CACHE_LABEL, "busybox"), ctx -> {
                ctx.file("Dockerfile", 0644, "FROM scratch\nCOPY rootfs/ /\nCMD [\"sh\"]\n".getBytes(StandardCharsets.UTF_8));
                ctx.dir("rootfs/bin", 0755);
                ctx.dir("rootfs/tmp", 01777);
                ctx.dir("rootfs/storage", 0755);
                ctx.path("rootfs/bin/busybox", 0755, busybox);
                for (String applet : applets) {
                    if (!applet.equals("busybox")) {
                        ctx.symlink("rootfs/bin/" + applet, "busybox");
                    }
                }
            });
            LOG.info("Built {} ({} applets) in {} ms", BASE_IMAGE, applets.size(), (System.nanoTime() - t0) / 1_000_000);
        }
    }

    private static List<String> applets(Path busybox) {
        try {
            Process p = new ProcessBuilder(busybox.toString(), "--list").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("busybox --list failed: " + out);
            }
            return out.lines().map(String::trim).filter(s -> s.matches("[A-Za-z0-9_.\\[\\]-]+")).distinct().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    interface ContextWriter {
        void write(BuildContext ctx) throws IOException;
    }

    /** Build context tar written to a temp file: fixed modes and mtimes keep the build cache warm. */
    static final class BuildContext {
        private final TarArchiveOutputStream tar;

        BuildContext(OutputStream out) {
            tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        void dir(String name, int mode) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name + "/", TarConstants.LF_DIR);
            e.setMode(040000 | mode);
            put(e, null);
        }

        void file(String name, int mode, byte[] data) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
            e.setMode(0100000 | mode);
            e.setSize(data.length);
            put(e, out -> out.write(data));
        }

        void path(String name, int mode, Path file) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
            e.setMode(0100000 | mode);
            e.setSize(Files.size(file));
            put(e, out -> Files.copy(file, out));
        }

        /** A streamed file: generated once to count its size, then again into the tar. */
        void stream(String name, int mode, DtrMetadataTar.Body body) throws IOException {
            CountingOutputStream counter = new CountingOutputStream();
            body.writeTo(counter);
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
            e.setMode(0100000 | mode);
            e.setSize(counter.count);
            put(e, body);
        }

        void symlink(String name, String target) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
            e.setLinkName(target);
            e.setMode(0120777);
            put(e, null);
        }

        private void put(TarArchiveEntry e, DtrMetadataTar.Body body) throws IOException {
            e.setModTime(DtrMetadataTar.MTIME_MILLIS);
            e.setIds(0, 0);
            tar.putArchiveEntry(e);
            if (body != null) {
                body.writeTo(tar);
            }
            tar.closeArchiveEntry();
        }

        void finish() throws IOException {
            tar.finish();
            tar.flush();
        }
    }

    private static final class CountingOutputStream extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }

    private void build(String tag, Map<String, String> labels, ContextWriter writer) {
        Path context = null;
        try {
            context = Files.createTempFile("dtr-sim-context-", ".tar");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(context), 1 << 20)) {
                BuildContext ctx = new BuildContext(out);
                writer.write(ctx);
                ctx.finish();
            }
            try (InputStream in = Files.newInputStream(context)) {
                docker.buildImageCmd(in)
                        .withTags(Set.of(tag))
                        .withLabels(labels)
                        .withPull(false)
                        .withNetworkMode(NETWORK_MODE)
                        .withRemove(true)
                        .withForcerm(true)
                        .exec(new BuildImageResultCallback())
                        .awaitImageId(10, TimeUnit.MINUTES);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("building " + tag, e);
        } finally {
            if (context != null) {
                try {
                    Files.deleteIfExists(context);
                } catch (IOException e) {
                    LOG.debug("temp context {}: {}", context, e.toString());
                }
            }
        }
    }

    private Map<String, String> labels(String replicaId, String component) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL, runId);
        if (replicaId != null) {
            labels.put("io.dtrbackup.sim.replica", replicaId);
        }
        if (component != null) {
            labels.put("io.dtrbackup.sim.component", component);
        }
        return labels;
    }

    private static String resource(String name) {
        try (InputStream in = DtrSimulator.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(String s) {
        return HexFormat.of().formatHex(RegistryTreeGenerator.sha256().digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("DTR simulator " + runId + " is closed");
        }
    }

    private static DockerClient client(String dockerHost) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(dockerHost).build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(32)
                .connectionTimeout(Duration.ofSeconds(5))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    /**
     * Testcontainers runs the replicas when it talks to the same engine and is configured for
     * this testbed (Ryuk off: its image cannot be pulled); otherwise docker-java does it alone.
     */
    private static boolean testcontainersServes(String dockerHost) {
        return "true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))
                && dockerHost.equals(defaultDockerHost());
    }
}
