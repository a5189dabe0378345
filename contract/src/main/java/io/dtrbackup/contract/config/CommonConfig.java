package io.dtrbackup.contract.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Configuration every service shares. Documented in docs/operations.md. */
public final class CommonConfig {
    public static final ConfigParameter<String> KAFKA_BOOTSTRAP_SERVERS = ConfigParameter.optional(
            "KAFKA_BOOTSTRAP_SERVERS", ConfigType.STRING, "localhost:9092", "Kafka bootstrap servers, host:port[,host:port]");
    public static final ConfigParameter<Path> KAFKA_PROPERTIES_FILE = ConfigParameter.optional(
            "KAFKA_PROPERTIES_FILE", ConfigType.EXISTING_PATH, null,
            "Kafka client properties passed through as they are (security.protocol, ssl.*, sasl.*); "
                    + "keeps TLS/SASL secrets in a file");
    public static final ConfigParameter<Boolean> KAFKA_CREATE_TOPICS = ConfigParameter.optional(
            "KAFKA_CREATE_TOPICS", ConfigType.BOOLEAN, "true",
            "create the pipeline's topics at start-up when they are missing");
    public static final ConfigParameter<Integer> KAFKA_TOPIC_PARTITIONS = ConfigParameter.optional(
            "KAFKA_TOPIC_PARTITIONS", ConfigType.INT, "6", "partitions of topics created at start-up");
    public static final ConfigParameter<Short> KAFKA_TOPIC_REPLICATION = ConfigParameter.optional(
            "KAFKA_TOPIC_REPLICATION", ConfigType.of("short", Short::parseShort), "1",
            "replication factor of topics created at start-up");
    public static final ConfigParameter<Integer> MAX_CONCURRENT_JOBS = ConfigParameter.optional(
            "MAX_CONCURRENT_JOBS", ConfigType.INT, "2", "jobs (backups, artifacts) one instance runs at once");
    public static final ConfigParameter<Integer> WORKER_POOL_SIZE = ConfigParameter.optional(
            "WORKER_POOL_SIZE", ConfigType.INT, "8",
            "threads for blocking work (Docker, S3, tar, crypto streams); at least 2 per concurrent job");

    public static final ConfigParameter<String> S3_ENDPOINT = ConfigParameter.optional(
            "S3_ENDPOINT", ConfigType.STRING, "http://localhost:9000", "S3 endpoint URL (MinIO or any S3)");
    public static final ConfigParameter<String> S3_REGION = ConfigParameter.optional(
            "S3_REGION", ConfigType.STRING, "us-east-1", "S3 region used for request signing");
    public static final ConfigParameter<Path> S3_ACCESS_KEY_FILE = ConfigParameter.secretFile(
            "S3_ACCESS_KEY_FILE", true, "file holding the S3 access key");
    public static final ConfigParameter<Path> S3_SECRET_KEY_FILE = ConfigParameter.secretFile(
            "S3_SECRET_KEY_FILE", true, "file holding the S3 secret key");
    public static final ConfigParameter<String> S3_STAGING_BUCKET = ConfigParameter.optional(
            "S3_STAGING_BUCKET", ConfigType.STRING, "dtr-backup-staging",
            "private bucket for plaintext artifacts between their producer and crypto-service");
    public static final ConfigParameter<String> S3_BACKUP_BUCKET = ConfigParameter.optional(
            "S3_BACKUP_BUCKET", ConfigType.STRING, "dtr-backup", "bucket for encrypted backups and manifests");
    public static final ConfigParameter<Integer> S3_PART_SIZE_MB = ConfigParameter.optional(
            "S3_PART_SIZE_MB", ConfigType.INT, "64",
            "multipart part size for uploads of unknown size");
    public static final ConfigParameter<Integer> S3_UPLOAD_CONCURRENCY = ConfigParameter.optional(
            "S3_UPLOAD_CONCURRENCY", ConfigType.INT, "2",
            "parts of one upload of unknown size sent at once while the next part is read (part buffers: this + 1, "
                    + "capped by the heap)");
    public static final ConfigParameter<Boolean> S3_SIGN_PART_PAYLOADS = ConfigParameter.optional(
            "S3_SIGN_PART_PAYLOADS", ConfigType.BOOLEAN, "false",
            "hash every multipart part into the request (SHA-256 signature over HTTP, Content-MD5); off: parts go "
                    + "as UNSIGNED-PAYLOAD, the artifacts' own digests are checked end to end (turn on for buckets "
                    + "with S3 Object Lock, which require Content-MD5)");
    public static final ConfigParameter<Integer> S3_MAX_ATTEMPTS = ConfigParameter.optional(
            "S3_MAX_ATTEMPTS", ConfigType.INT, "4", "attempts for an S3 call that failed transiently");

    public static final ConfigParameter<Duration> STALE_UPLOAD_AGE = ConfigParameter.optional(
            "STALE_UPLOAD_AGE", ConfigType.DURATION, "1h", "an incomplete multipart upload with no new part for this "
                    + "long is taken as abandoned (its writer was killed) and aborted; keep it well above the time "
                    + "one part takes to upload");
    public static final ConfigParameter<Duration> STALE_UPLOAD_SWEEP_INTERVAL = ConfigParameter.optional(
            "STALE_UPLOAD_SWEEP_INTERVAL", ConfigType.DURATION, "15m", "how often a service that writes multipart "
                    + "uploads looks for abandoned ones in its buckets (also once at start-up); 0s = never");

    public static final ConfigParameter<Path> CLUSTERS_FILE = ConfigParameter.optional(
            "CLUSTERS_FILE", ConfigType.EXISTING_PATH, null, "the cluster registry (YAML), see docs/operations.md");
    public static final ConfigParameter<Duration> PROGRESS_INTERVAL = ConfigParameter.optional(
            "PROGRESS_INTERVAL", ConfigType.DURATION, "1s", "how often a long stage publishes BackupProgress");
    public static final ConfigParameter<Integer> HTTP_PORT = ConfigParameter.optional(
            "HTTP_PORT", ConfigType.INT, "0", "port of /health and /metrics (0 = pick a free port, -1 = off)");

    private CommonConfig() {
    }

    public static List<ConfigParameter<?>> kafka() {
        return List.of(KAFKA_BOOTSTRAP_SERVERS, KAFKA_PROPERTIES_FILE, KAFKA_CREATE_TOPICS, KAFKA_TOPIC_PARTITIONS,
                KAFKA_TOPIC_REPLICATION, MAX_CONCURRENT_JOBS, WORKER_POOL_SIZE, PROGRESS_INTERVAL, HTTP_PORT);
    }

    public static List<ConfigParameter<?>> s3() {
        return List.of(S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_FILE, S3_SECRET_KEY_FILE, S3_STAGING_BUCKET,
                S3_BACKUP_BUCKET, S3_PART_SIZE_MB, S3_UPLOAD_CONCURRENCY, S3_SIGN_PART_PAYLOADS, S3_MAX_ATTEMPTS,
                STALE_UPLOAD_AGE, STALE_UPLOAD_SWEEP_INTERVAL);
    }

    /** Kafka + S3 + the clusters file: what most services need. */
    public static List<ConfigParameter<?>> all() {
        var all = new java.util.ArrayList<ConfigParameter<?>>(kafka());
        all.addAll(s3());
        all.add(CLUSTERS_FILE);
        return List.copyOf(all);
    }
}
