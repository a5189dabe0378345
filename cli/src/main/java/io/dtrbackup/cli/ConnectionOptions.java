package io.dtrbackup.cli;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.common.crypto.PassphraseConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * Connection flags shared by the commands that talk to a running pipeline. Each value is taken,
 * first found wins, from: the flag, the environment variable the services use
 * ({@code DTR_BACKUP_*}), the connection file written by {@code stack}, the services' default.
 * The passphrase flags are apart, in {@link PassphraseOptions}: only a command that decrypts offers them.
 */
public final class ConnectionOptions {
    @Option(names = "--connection", paramLabel = "FILE",
            description = "connection file written by 'stack' (default: $DTR_BACKUP_CONNECTION_FILE, "
                    + "./.dtr-backup/connection.json, ~/.dtr-backup/connection.json)")
    Path connectionFile;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (env DTR_BACKUP_KAFKA_BOOTSTRAP_SERVERS, default localhost:9092)")
    String bootstrap;

    @Option(names = "--kafka-properties", paramLabel = "FILE",
            description = "Kafka client properties for TLS/SASL (env DTR_BACKUP_KAFKA_PROPERTIES_FILE)")
    Path kafkaProperties;

    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "S3 endpoint (env DTR_BACKUP_S3_ENDPOINT, default http://localhost:9000)")
    String s3Endpoint;

    @Option(names = "--s3-region", paramLabel = "REGION", description = "S3 region (env DTR_BACKUP_S3_REGION, default us-east-1)")
    String s3Region;

    @Option(names = "--s3-access-key-file", paramLabel = "FILE",
            description = "file holding the S3 access key (env DTR_BACKUP_S3_ACCESS_KEY_FILE)")
    Path s3AccessKeyFile;

    @Option(names = "--s3-secret-key-file", paramLabel = "FILE",
            description = "file holding the S3 secret key (env DTR_BACKUP_S3_SECRET_KEY_FILE)")
    Path s3SecretKeyFile;

    @Option(names = "--backup-bucket", paramLabel = "BUCKET",
            description = "bucket of encrypted backups and manifests (env DTR_BACKUP_S3_BACKUP_BUCKET, default dtr-backup)")
    String backupBucket;

    /** Resolves against the process environment, the working directory and the home directory. */
    public Connection resolve() {
        return resolve(PassphraseOptions.NONE);
    }

    /** As {@link #resolve()}, with the passphrase flags of a command that decrypts ({@code fetch}). */
    public Connection resolve(PassphraseOptions passphrase) {
        return resolve(System.getenv(), Path.of("").toAbsolutePath(), Path.of(System.getProperty("user.home")), passphrase);
    }

    public Connection resolve(Map<String, String> env, Path cwd, Path home) {
        return resolve(env, cwd, home, PassphraseOptions.NONE);
    }

    /**
     * The passphrase settings come from {@code passphrase}'s flags only on a command that offers them;
     * the others still carry the environment's and the connection file's, unused.
     */
    public Connection resolve(Map<String, String> env, Path cwd, Path home, PassphraseOptions passphrase) {
        Optional<Path> located = connectionFile != null ? Optional.of(connectionFile) : ConnectionFile.locate(env, cwd, home);
        ConnectionFile file = located.map(p -> {
            if (!p.toFile().isFile()) {
                throw new CliException("the connection file " + p + " does not exist: start a stack with "
                        + "'./dtr-backup stack --clusters FILE', or pass --bootstrap and the --s3-* flags");
            }
            return ConnectionFile.read(p);
        }).orElse(null);
        Function<Function<ConnectionFile, String>, String> fromFile = f -> file == null ? null : f.apply(file);
        return new Connection(
                pick(bootstrap, env, CommonConfig.KAFKA_BOOTSTRAP_SERVERS.envName(), fromFile.apply(ConnectionFile::bootstrapServers),
                        CommonConfig.KAFKA_BOOTSTRAP_SERVERS.defaultValue()),
                path(pick(str(kafkaProperties), env, CommonConfig.KAFKA_PROPERTIES_FILE.envName(),
                        fromFile.apply(ConnectionFile::kafkaPropertiesFile), null)),
                pick(s3Endpoint, env, CommonConfig.S3_ENDPOINT.envName(), fromFile.apply(ConnectionFile::s3Endpoint),
                        CommonConfig.S3_ENDPOINT.defaultValue()),
                pick(s3Region, env, CommonConfig.S3_REGION.envName(), fromFile.apply(ConnectionFile::s3Region),
                        CommonConfig.S3_REGION.defaultValue()),
                path(pick(str(s3AccessKeyFile), env, CommonConfig.S3_ACCESS_KEY_FILE.envName(),
                        fromFile.apply(ConnectionFile::s3AccessKeyFile), null)),
                path(pick(str(s3SecretKeyFile), env, CommonConfig.S3_SECRET_KEY_FILE.envName(),
                        fromFile.apply(ConnectionFile::s3SecretKeyFile), null)),
                pick(null, env, CommonConfig.S3_STAGING_BUCKET.envName(), fromFile.apply(ConnectionFile::stagingBucket),
                        CommonConfig.S3_STAGING_BUCKET.defaultValue()),
                pick(backupBucket, env, CommonConfig.S3_BACKUP_BUCKET.envName(), fromFile.apply(ConnectionFile::backupBucket),
                        CommonConfig.S3_BACKUP_BUCKET.defaultValue()),
                path(pick(str(passphrase.passphraseFile), env, PassphraseConfig.PASSPHRASE_FILE.envName(), fromFile.apply(ConnectionFile::passphraseFile), null)),
                path(pick(str(passphrase.passphraseDir), env, PassphraseConfig.PASSPHRASE_DIR.envName(), fromFile.apply(ConnectionFile::passphraseDir), null)),
                pick(passphrase.keyId, env, PassphraseConfig.ACTIVE_KEY_ID.envName(), fromFile.apply(ConnectionFile::activeKeyId), null),
                path(pick(null, env, CommonConfig.CLUSTERS_FILE.envName(), fromFile.apply(ConnectionFile::clustersFile), null)),
                located.orElse(null));
    }

    private static String pick(String flag, Map<String, String> env, String envName, String fileValue, String dflt) {
        if (flag != null && !flag.isBlank()) {
            return flag;
        }
        String e = env.get(envName);
        if (e != null && !e.isBlank()) {
            return e.trim();
        }
        if (fileValue != null && !fileValue.isBlank()) {
            return fileValue;
        }
        return dflt;
    }

    private static String str(Path p) {
        return p == null ? null : p.toString();
    }

    private static Path path(String s) {
        return s == null ? null : Path.of(s);
    }
}
