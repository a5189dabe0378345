package io.dtrbackup.cli.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.kafka.TopicCreator;
import io.dtrbackup.testsupport.DtrSimulator;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The five services as separate processes ({@code java -Xmx256m -jar <service>/target/<service>.jar}),
 * configured only through {@code DTR_BACKUP_*} env, as in production. Each service can be killed
 * with SIGKILL and started again; a restarted service appends to the same log file, so a test can
 * read everything a service ever wrote. Readiness is {@code /health/ready}.
 */
public final class ServiceProcesses implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceProcesses.class);
    public static final List<String> SERVICES = List.of("discovery-service", "metadata-service", "image-service",
            "crypto-service", "verify-service");

    public record Service(String name, Process process, int port, Path log) {
    }

    private final Map<String, Path> jars;
    private final Map<String, String> env;
    private final Map<String, Map<String, String>> extraEnv = new LinkedHashMap<>();
    private final List<String> jvmOptions = new ArrayList<>();
    private final Path logDir;
    private final Map<String, Service> running = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * The environment every service process shares: the broker, the store and its key files. The
     * topics are created here once (3 partitions), as the Compose/Kubernetes topic job does.
     * Returns a mutable map for the caller's own settings.
     */
    public static Map<String, String> pipelineEnv(EmbeddedKafka kafka, EmbeddedS3 s3, Path accessKey, Path secretKey) {
        TopicCreator.ensureTopics(new KafkaSettings(Map.of("bootstrap.servers", kafka.bootstrapServers()), 3,
                (short) 1, true), "test-topics");
        Map<String, String> env = new LinkedHashMap<>();
        env.put(CommonConfig.KAFKA_BOOTSTRAP_SERVERS.envName(), kafka.bootstrapServers());
        env.put(CommonConfig.KAFKA_TOPIC_PARTITIONS.envName(), "3");
        env.put(CommonConfig.S3_ENDPOINT.envName(), s3.endpoint());
        env.put(CommonConfig.S3_REGION.envName(), s3.region());
        env.put(CommonConfig.S3_ACCESS_KEY_FILE.envName(), accessKey.toString());
        env.put(CommonConfig.S3_SECRET_KEY_FILE.envName(), secretKey.toString());
        try {
            env.putAll(io.dtrbackup.cli.EmbeddedStack.handoffSettings(secretKey.getParent()));
            env.putAll(DtrSimulator.serviceSettings()); // the test bed's engine: network none
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return env;
    }

    public ServiceProcesses(Map<String, String> env, Path logDir) throws IOException {
        this.jars = locateJars();
        this.env = Map.copyOf(env);
        this.logDir = Files.createDirectories(logDir);
        for (String name : SERVICES) {
            Files.deleteIfExists(logDir.resolve(name + ".log")); // restarts append; a new run starts empty
        }
    }

    /** Env only for one service (e.g. verify-service's stage deadline), on top of the shared env. */
    public ServiceProcesses withEnv(String service, Map<String, String> more) {
        extraEnv.computeIfAbsent(service, k -> new LinkedHashMap<>()).putAll(more);
        return this;
    }

    /**
     * Extra JVM options for every service launched from now on (opt-in; e.g. PipelineFaultIT's
     * {@code -Dlogback.configurationFile=} with DEBUG logging for its secret scan).
     */
    public ServiceProcesses withJvmOptions(String... options) {
        jvmOptions.addAll(List.of(options));
        return this;
    }

    /** The services' shaded jars next to this module: {@code ../<service>/target/<service>.jar}. */
    public static Map<String, Path> locateJars() {
        Path root = Path.of("").toAbsolutePath().getParent();
        Map<String, Path> jars = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String name : SERVICES) {
            Path jar = root.resolve(name).resolve("target").resolve(name + ".jar");
            if (!Files.isRegularFile(jar)) {
                missing.add(jar.toString());
            }
            jars.put(name, jar);
        }
        if (!missing.isEmpty()) {
            fail("the services' runnable jars are missing: " + missing + "; build them first: "
                    + "mvn -o -B -q -pl cli -am install -DskipTests (mvn verify from the root packages them "
                    + "before cli's integration tests)");
        }
        return jars;
    }

    /** Starts all five and waits until each is ready. */
    public void startAll() throws IOException {
        for (String name : SERVICES) {
            launch(name);
        }
        for (String name : SERVICES) {
            awaitReady(name);
        }
    }

    public Service launch(String name) throws IOException {
        if (running.containsKey(name) && running.get(name).process().isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        int port = freePort();
        Path log = logDir.resolve(name + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jars.get(name).toString()));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // Only what this test sets: nothing of the developer's own DTR_BACKUP_* environment.
        pb.environment().keySet().removeIf(k -> k.startsWith("DTR_BACKUP_"));
        pb.environment().putAll(env);
        pb.environment().putAll(extraEnv.getOrDefault(name, Map.of()));
        pb.environment().put(CommonConfig.HTTP_PORT.envName(), String.valueOf(port));
        LOG.info("starting {} (port {}, log {})", name, port, log);
        Service s = new Service(name, pb.start(), port, log);
        running.put(name, s);
        return s;
    }

    public Service get(String name) {
        Service s = running.get(name);
        if (s == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return s;
    }

    public List<Service> all() {
        return List.copyOf(running.values());
    }

    public List<Path> logs() {
        return running.values().stream().map(Service::log).toList();
    }

    public void awaitReady(String name) {
        Service s = get(name);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            if (!s.process().isAlive()) {
                // Not an AssertionError: Awaitility would keep retrying it until the timeout.
                throw new IllegalStateException(s.name() + " exited with " + s.process().exitValue() + ":\n"
                        + tail(s.log()));
            }
            assertThat(status(s, "/health/ready")).as(s.name() + " /health/ready").isEqualTo(200);
        });
        assertThat(status(s, "/health/live")).isEqualTo(200);
    }

    /** SIGKILL ({@code destroyForcibly} on Linux): no shutdown hook, no clean close, no offset commit. */
    public void kill(String name) throws InterruptedException {
        Service s = get(name);
        LOG.info("killing {} (pid {}) with SIGKILL", name, s.process().pid());
        s.process().destroyForcibly();
        assertThat(s.process().waitFor(20, TimeUnit.SECONDS)).as(name + " died").isTrue();
        assertThat(s.process().exitValue()).as(name + " exit code after SIGKILL").isEqualTo(137);
    }

    /** Starts a killed or stopped service again and waits until it is ready. */
    public Service restart(String name) throws IOException {
        launch(name);
        awaitReady(name);
        return get(name);
    }

    /** SIGTERM: the service's shutdown hook closes Vert.x cleanly. */
    public static void stop(Service s) {
        s.process().destroy();
        try {
            if (!s.process().waitFor(20, TimeUnit.SECONDS)) {
                LOG.warn("{} did not stop within 20 s; killing it", s.name());
                s.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            s.process().destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every service (before the broker and the store go away, so each shuts down cleanly). */
    @Override
    public void close() {
        running.values().forEach(ServiceProcesses::stop);
    }

    public int status(Service s, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public String metrics(Service s) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(s.name() + " /metrics").isEqualTo(200);
            return r.body();
        } catch (IOException e) {
            throw new AssertionError(s.name() + " /metrics: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    public static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
