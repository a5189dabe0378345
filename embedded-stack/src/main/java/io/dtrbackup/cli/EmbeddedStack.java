package io.dtrbackup.cli;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.common.service.ServiceLauncher;
import io.dtrbackup.contract.topics.Topics;
import io.dtrbackup.testsupport.EmbeddedKafka;
import io.dtrbackup.testsupport.EmbeddedS3;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
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
 * The whole pipeline in one JVM for {@code stack} and {@code demo}: a real KRaft broker, a real S3
 * API server (S3Proxy on a directory) and the five service verticles in one Vert.x, each with its
 * own typed config built from one {@code DTR_BACKUP_*} map, as if each read it from its env.
 *
 * <pre>
 * stateDir/kafka/            broker data
 * stateDir/s3/&lt;bucket&gt;/...    objects (S3Proxy filesystem back end)
 * stateDir/secrets/          s3-access-key, s3-secret-key (0600; generated on the first start, kept after:
 *                            see {@link StackSecrets}), handoff-token (new each start)
 * </pre>
 */
public final class EmbeddedStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStack.class);

    private final StackLock lock;
    private final Path stateDir;
    private final EmbeddedKafka kafka;
    private final EmbeddedS3 s3;
    private final Vertx vertx;
    private final Map<String, String> env;
    private final List<String> deployments = new ArrayList<>();

    private EmbeddedStack(StackLock lock, EmbeddedKafka kafka, EmbeddedS3 s3, Vertx vertx, Map<String, String> env) {
        this.lock = lock;
        this.stateDir = lock.stateDir();
        this.kafka = kafka;
        this.s3 = s3;
        this.vertx = vertx;
        this.env = env;
    }

    /**
     * Starts broker, store and services. {@code settings} are extra {@code DTR_BACKUP_*} entries
     * (the clusters file and the passphrase file at least); they override the stack's own.
     */
    static EmbeddedStack start(Path stateDir, Map<String, String> settings, List<Services.Service> services,
            Duration startTimeout) throws IOException {
        return start(StackLock.acquire(stateDir, null), settings, services, startTimeout);
    }

    /**
     * As {@link #start(Path, Map, List, Duration)} on the state directory {@code lock} holds; the stack
     * owns the lock from here on and releases it on {@link #close()} (or here, if the start fails).
     */
    static EmbeddedStack start(StackLock lock, Map<String, String> settings, List<Services.Service> services,
            Duration startTimeout) throws IOException {
        Path stateDir = lock.stateDir();
        EmbeddedKafka kafka = null;
        EmbeddedS3 s3 = null;
        Vertx vertx = null;
        try {
            kafka = EmbeddedKafka.start(stateDir.resolve("kafka"));
            Path secrets = stateDir.resolve("secrets");
            StackSecrets keys = StackSecrets.loadOrCreate(secrets);
            s3 = EmbeddedS3.start(stateDir.resolve("s3"), keys.accessKey(), keys.secretKey());
            Path access = keys.accessKeyFile();
            Path secret = keys.secretKeyFile();
            Map<String, String> env = new LinkedHashMap<>();
            env.put(CommonConfig.KAFKA_BOOTSTRAP_SERVERS.envName(), kafka.bootstrapServers());
            env.put(CommonConfig.KAFKA_TOPIC_PARTITIONS.envName(), "3");
            env.put(CommonConfig.S3_ENDPOINT.envName(), s3.endpoint());
            env.put(CommonConfig.S3_REGION.envName(), s3.region());
            env.put(CommonConfig.S3_ACCESS_KEY_FILE.envName(), access.toString());
            env.put(CommonConfig.S3_SECRET_KEY_FILE.envName(), secret.toString());
            // Two cores: a small worker pool per service and modest parts keep the JVM light.
            env.put(CommonConfig.WORKER_POOL_SIZE.envName(), "4");
            env.put(CommonConfig.S3_PART_SIZE_MB.envName(), "16");
            env.put(CommonConfig.HTTP_PORT.envName(), "-1");
            env.putAll(handoffSettings(secrets));
            env.putAll(settings);
            createTopics(kafka, Integer.parseInt(env.get(CommonConfig.KAFKA_TOPIC_PARTITIONS.envName())));
            vertx = Vertx.vertx();
            EmbeddedStack stack = new EmbeddedStack(lock, kafka, s3, vertx, env);
            stack.deploy(services, startTimeout);
            return stack;
        } catch (IOException | RuntimeException e) {
            closeQuietly(vertx, s3, kafka);
            lock.close();
            throw e;
        }
    }

    /**
     * image-service streams the images tar straight to crypto-service on loopback (one trip through the
     * object store instead of two); a free port and a fresh token in {@code secrets}.
     */
    public static Map<String, String> handoffSettings(Path secrets) throws IOException {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path token = Secrets.write(secrets.resolve("handoff-token"), Secrets.randomPassphrase());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DTR_BACKUP_HANDOFF_PORT", String.valueOf(port));
        env.put("DTR_BACKUP_HANDOFF_HOST", "127.0.0.1");
        env.put("DTR_BACKUP_HANDOFF_TOKEN_FILE", token.toString());
        env.put("DTR_BACKUP_CRYPTO_HANDOFF_URL", "http://127.0.0.1:" + port);
        return env;
    }

    private static void createTopics(EmbeddedKafka kafka, int partitions) {
        // The services create them too; doing it here first avoids five racing creators.
        Topics.all().forEach(t -> kafka.createTopic(t.name(), partitions, t.configs()));
        kafka.createTopic(Topics.DEAD_LETTER, partitions, Topics.deadLetterConfigs());
    }

    private void deploy(List<Services.Service> services, Duration timeout) {
        for (Services.Service s : services) {
            ServiceConfig config = ServiceLauncher.config(env, s.parameters());
            LOG.info("{} embedded configuration:\n{}", s.name(), config.describe());
            try {
                String id = ServiceLauncher.deploy(vertx, s.name(), config, s.factory())
                        .toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                deployments.add(id);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new CliException(s.name() + " did not start: " + e.getCause().getMessage(), e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                throw new CliException(s.name() + " did not start within " + timeout.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted while starting " + s.name());
            }
        }
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    String s3Endpoint() {
        return s3.endpoint();
    }

    Path s3Dir() {
        return s3.dir();
    }

    Path stateDir() {
        return stateDir;
    }

    /** The effective {@code DTR_BACKUP_*} map the services were configured from (paths only, no secrets). */
    Map<String, String> env() {
        return Map.copyOf(env);
    }

    KafkaSettings kafkaSettings() {
        return KafkaSettings.of(kafka.bootstrapServers());
    }

    /** What the other commands need to reach this stack. */
    ConnectionFile connectionFile() {
        return new ConnectionFile(kafka.bootstrapServers(), null, s3.endpoint(), s3.region(),
                env.get(CommonConfig.S3_ACCESS_KEY_FILE.envName()), env.get(CommonConfig.S3_SECRET_KEY_FILE.envName()),
                env.getOrDefault(CommonConfig.S3_STAGING_BUCKET.envName(), CommonConfig.S3_STAGING_BUCKET.defaultValue()),
                env.getOrDefault(CommonConfig.S3_BACKUP_BUCKET.envName(), CommonConfig.S3_BACKUP_BUCKET.defaultValue()),
                env.get("DTR_BACKUP_PASSPHRASE_FILE"), env.get("DTR_BACKUP_PASSPHRASE_DIR"),
                env.get("DTR_BACKUP_ACTIVE_KEY_ID"), env.get(CommonConfig.CLUSTERS_FILE.envName()), stateDir.toString());
    }

    /** The connection as the other commands would resolve it from {@link #connectionFile()}. */
    Connection connection() {
        ConnectionFile f = connectionFile();
        return new Connection(f.bootstrapServers(), null, f.s3Endpoint(), f.s3Region(), Path.of(f.s3AccessKeyFile()),
                Path.of(f.s3SecretKeyFile()), f.stagingBucket(), f.backupBucket(),
                f.passphraseFile() == null ? null : Path.of(f.passphraseFile()),
                f.passphraseDir() == null ? null : Path.of(f.passphraseDir()), f.activeKeyId(),
                f.clustersFile() == null ? null : Path.of(f.clustersFile()), null);
    }

    @Override
    public void close() {
        closeQuietly(vertx, s3, kafka);
        lock.close();
    }

    private static void closeQuietly(Vertx vertx, EmbeddedS3 s3, EmbeddedKafka kafka) {
        if (vertx != null) {
            try {
                Future<Void> closed = vertx.close();
                closed.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("services did not stop cleanly: {}", e.toString());
            }
        }
        if (s3 != null) {
            try {
                s3.close();
            } catch (RuntimeException e) {
                LOG.warn("S3 did not stop cleanly: {}", e.toString());
            }
        }
        if (kafka != null) {
            try {
                kafka.close();
            } catch (RuntimeException e) {
                LOG.warn("Kafka did not stop cleanly: {}", e.toString());
            }
        }
    }
}
