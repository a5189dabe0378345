package io.dtrbackup.cli;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.common.kafka.KafkaSettings;
import io.dtrbackup.contract.layout.BackupLayout;
import io.dtrbackup.common.store.MinioObjectStore;
import io.dtrbackup.common.store.ObjectStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Resolved connection settings (see {@link ConnectionOptions}): addresses and secret FILE paths. */
public record Connection(
        String bootstrapServers, Path kafkaPropertiesFile, String s3Endpoint, String s3Region, Path s3AccessKeyFile,
        Path s3SecretKeyFile, String stagingBucket, String backupBucket, Path passphraseFile, Path passphraseDir,
        String keyId, Path clustersFile, Path source) {

    /** The key ID of a single passphrase file when none is named (crypto-service's default). */
    public static final String DEFAULT_KEY_ID = "default";

    public KafkaSettings kafka() {
        Map<String, String> env = new HashMap<>();
        env.put(CommonConfig.KAFKA_BOOTSTRAP_SERVERS.envName(), bootstrapServers);
        if (kafkaPropertiesFile != null) {
            env.put(CommonConfig.KAFKA_PROPERTIES_FILE.envName(), kafkaPropertiesFile.toString());
        }
        try {
            return KafkaSettings.from(ServiceConfig.fromMap(env, CommonConfig.kafka()));
        } catch (ConfigException e) {
            throw new CliException(e.getMessage() + "\n(pass --kafka-properties FILE with an existing file)");
        }
    }

    public BackupLayout layout() {
        return new BackupLayout(stagingBucket, backupBucket);
    }

    /** The S3 client; fails with what to do when the key files are not configured. */
    public ObjectStore objectStore() {
        if (s3AccessKeyFile == null || s3SecretKeyFile == null) {
            throw new CliException("no S3 credentials: pass --s3-access-key-file and --s3-secret-key-file (or set "
                    + "DTR_BACKUP_S3_ACCESS_KEY_FILE / DTR_BACKUP_S3_SECRET_KEY_FILE), or run 'stack' first so its "
                    + "connection file names them" + sourceHint());
        }
        for (Path p : List.of(s3AccessKeyFile, s3SecretKeyFile)) {
            if (!Files.isReadable(p)) {
                throw new CliException("S3 key file " + p + " does not exist or is not readable" + sourceHint());
            }
        }
        Map<String, String> env = new HashMap<>();
        env.put(CommonConfig.S3_ENDPOINT.envName(), s3Endpoint);
        env.put(CommonConfig.S3_REGION.envName(), s3Region);
        env.put(CommonConfig.S3_ACCESS_KEY_FILE.envName(), s3AccessKeyFile.toString());
        env.put(CommonConfig.S3_SECRET_KEY_FILE.envName(), s3SecretKeyFile.toString());
        env.put(CommonConfig.S3_MAX_ATTEMPTS.envName(), "2");
        try {
            return MinioObjectStore.fromConfig(ServiceConfig.fromMap(env, CommonConfig.s3()));
        } catch (ConfigException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** The passphrases for decrypting; fails with what to do when none is configured. */
    public PassphraseStore passphrases() {
        try {
            if (passphraseFile != null && passphraseDir != null) {
                throw new CliException("give only one of --passphrase-file and --passphrase-dir");
            }
            if (passphraseFile != null) {
                if (!Files.isReadable(passphraseFile)) {
                    throw new CliException("passphrase file " + passphraseFile + " does not exist or is not readable");
                }
                return PassphraseStore.fromFile(passphraseFile, keyId == null ? DEFAULT_KEY_ID : keyId);
            }
            if (passphraseDir != null) {
                return PassphraseStore.fromDirectory(passphraseDir, keyId);
            }
        } catch (ConfigException e) {
            throw new CliException(e.getMessage());
        }
        throw new CliException("no passphrase: pass --passphrase-file FILE (one line, the file crypto-service uses) or "
                + "--passphrase-dir DIR (one file per key ID), or set DTR_BACKUP_PASSPHRASE_FILE");
    }

    String sourceHint() {
        return source == null ? "" : " (connection file: " + source + ")";
    }
}
