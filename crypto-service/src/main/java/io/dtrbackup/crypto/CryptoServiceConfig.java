package io.dtrbackup.crypto;

import io.dtrbackup.contract.config.CommonConfig;
import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ConfigType;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.common.crypto.PassphraseConfig;
import io.dtrbackup.common.crypto.PassphraseStore;
import io.dtrbackup.contract.handoff.HandoffProtocol;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** crypto-service's own configuration; see docs/services/crypto-service.md. */
public final class CryptoServiceConfig {
    /** The passphrase keys, shared with the other services that read backups (see PassphraseConfig). */
    public static final String DEFAULT_FILE_KEY_ID = PassphraseConfig.DEFAULT_FILE_KEY_ID;

    public static final ConfigParameter<Path> PASSPHRASE_FILE = PassphraseConfig.PASSPHRASE_FILE;
    public static final ConfigParameter<Path> PASSPHRASE_DIR = PassphraseConfig.PASSPHRASE_DIR;
    public static final ConfigParameter<String> ACTIVE_KEY_ID = PassphraseConfig.ACTIVE_KEY_ID;
    public static final ConfigParameter<String> S2K_DIGEST = ConfigParameter.optional("S2K_DIGEST", ConfigType.STRING,
            "SHA256", "S2K hash of the passphrase key derivation: SHA256 or SHA512");
    public static final ConfigParameter<Integer> S2K_COUNT_BYTE = ConfigParameter.optional("S2K_COUNT_BYTE",
            ConfigType.INT, String.valueOf(OpenPgpEncryptor.DEFAULT_S2K_COUNT_BYTE),
            "encoded S2K iteration count, 96..255 (255 = 65011712 octets hashed, gpg's usual maximum)");
    public static final ConfigParameter<String> COMPRESSION = ConfigParameter.optional("COMPRESSION",
            ConfigType.STRING, "NONE",
            "NONE or ZLIB; registry blobs are already compressed and compression costs about 6x the time");
    public static final ConfigParameter<Integer> PIPE_BUFFER_MB = ConfigParameter.optional("PIPE_BUFFER_MB",
            ConfigType.INT, "16",
            "ciphertext buffered between the encrypting thread and the upload, per job (on top of one S3 part)");
    public static final ConfigParameter<Integer> ARTIFACT_ATTEMPTS = ConfigParameter.optional("ARTIFACT_ATTEMPTS",
            ConfigType.INT, "3",
            "attempts of a whole artifact after transient S3 errors (a stream cannot be resumed) before ArtifactFailed");
    public static final ConfigParameter<Integer> HANDOFF_PORT = ConfigParameter.optional("HANDOFF_PORT", ConfigType.INT,
            "-1", "port of the direct hand-off endpoint a producer may stream a plaintext tar to instead of staging it "
                    + "(-1 = off, 0 = any free port); needs HANDOFF_TOKEN_FILE, see docs/architecture.md");
    public static final ConfigParameter<String> HANDOFF_HOST = ConfigParameter.optional("HANDOFF_HOST",
            ConfigType.STRING, "0.0.0.0", "address the hand-off endpoint binds to");
    public static final ConfigParameter<Path> HANDOFF_TOKEN_FILE = HandoffProtocol.TOKEN_FILE;
    public static final ConfigParameter<Integer> HANDOFF_SLOTS = ConfigParameter.optional("HANDOFF_SLOTS",
            ConfigType.INT, "2", "hand-offs one instance takes at once; a producer that finds none free stages instead");

    private CryptoServiceConfig() {
    }

    public static List<ConfigParameter<?>> parameters() {
        List<ConfigParameter<?>> all = new ArrayList<>(CommonConfig.kafka());
        all.addAll(CommonConfig.s3());
        all.addAll(List.of(PASSPHRASE_FILE, PASSPHRASE_DIR, ACTIVE_KEY_ID, S2K_DIGEST, S2K_COUNT_BYTE, COMPRESSION,
                PIPE_BUFFER_MB, ARTIFACT_ATTEMPTS, HANDOFF_PORT, HANDOFF_HOST, HANDOFF_TOKEN_FILE, HANDOFF_SLOTS));
        return List.copyOf(all);
    }

    /** The passphrases; fails (the service refuses to start) when none is configured. */
    public static PassphraseStore passphrases(ServiceConfig config) {
        return PassphraseConfig.passphrases(config, "crypto-service");
    }

    public static OpenPgpEncryptor.Settings encryption(ServiceConfig config) {
        try {
            return new OpenPgpEncryptor.Settings(OpenPgpEncryptor.S2kDigest.parse(config.get(S2K_DIGEST)),
                    config.get(S2K_COUNT_BYTE), OpenPgpEncryptor.Compression.parse(config.get(COMPRESSION)),
                    OpenPgpEncryptor.DEFAULT_BUFFER_SIZE);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("invalid encryption settings (" + S2K_DIGEST.envName() + ", "
                    + S2K_COUNT_BYTE.envName() + ", " + COMPRESSION.envName() + "): " + e.getMessage());
        }
    }
}
