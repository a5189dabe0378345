package io.dtrbackup.cli;

import io.dtrbackup.testsupport.EmbeddedS3;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The embedded store's S3 keys, generated once into {@code STATE_DIR/secrets/s3-access-key} and
 * {@code s3-secret-key} (0600) and reused on every later start of the same state directory, so an
 * outside S3 client configured with those files keeps working across restarts. {@link #toString()}
 * names the files, never a key.
 */
final class StackSecrets {
    static final String ACCESS_KEY_FILE = "s3-access-key";
    static final String SECRET_KEY_FILE = "s3-secret-key";

    private final Path accessKeyFile;
    private final Path secretKeyFile;
    private final String accessKey;
    private final String secretKey;

    private StackSecrets(Path accessKeyFile, Path secretKeyFile, String accessKey, String secretKey) {
        this.accessKeyFile = accessKeyFile;
        this.secretKeyFile = secretKeyFile;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /** Reads the keys in {@code secretsDir}, generating each one that is missing. */
    static StackSecrets loadOrCreate(Path secretsDir) throws IOException {
        Path access = secretsDir.resolve(ACCESS_KEY_FILE);
        Path secret = secretsDir.resolve(SECRET_KEY_FILE);
        return new StackSecrets(access, secret, Secrets.readOrCreate(access, EmbeddedS3::randomAccessKey),
                Secrets.readOrCreate(secret, EmbeddedS3::randomSecretKey));
    }

    Path accessKeyFile() {
        return accessKeyFile;
    }

    Path secretKeyFile() {
        return secretKeyFile;
    }

    String accessKey() {
        return accessKey;
    }

    String secretKey() {
        return secretKey;
    }

    @Override
    public String toString() {
        return "StackSecrets[" + accessKeyFile + ", " + secretKeyFile + "]";
    }
}
