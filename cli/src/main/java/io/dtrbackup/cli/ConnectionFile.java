package io.dtrbackup.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;

/**
 * Where a running stack is, written by {@code stack} (and {@code demo --keep}) and read by every
 * other command as its default. It holds addresses and the PATHS of secret files, never a secret.
 *
 * <p>Looked up, first found wins: {@code --connection FILE}, {@code $DTR_BACKUP_CONNECTION_FILE},
 * {@code ./.dtr-backup/connection.json}, {@code ~/.dtr-backup/connection.json}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ConnectionFile(
        String bootstrapServers, String kafkaPropertiesFile, String s3Endpoint, String s3Region,
        String s3AccessKeyFile, String s3SecretKeyFile, String stagingBucket, String backupBucket,
        String passphraseFile, String passphraseDir, String activeKeyId, String clustersFile, String stateDir) {

    public static final String ENV = "DTR_BACKUP_CONNECTION_FILE";
    public static final String DIR = ".dtr-backup";
    public static final String NAME = "connection.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static ConnectionFile read(Path file) {
        try {
            return JSON.readValue(file.toFile(), ConnectionFile.class);
        } catch (IOException e) {
            throw new CliException("cannot read the connection file " + file + " (" + e.getMessage().lines().findFirst()
                    .orElse("") + "): fix or delete it, or pass the connection flags (--bootstrap, --s3-endpoint ...)");
        }
    }

    /** Writes atomically (temp file + rename), readable by the owner only: it names secret files. */
    public void write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writeValue(tmp.toFile(), this);
        Secrets.ownerOnly(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The connection file to use by default, if any exists. */
    public static Optional<Path> locate(Map<String, String> env, Path cwd, Path home) {
        String named = env.get(ENV);
        if (named != null && !named.isBlank()) {
            return Optional.of(Path.of(named));
        }
        for (Path candidate : new Path[] {cwd.resolve(DIR).resolve(NAME), home == null ? null : home.resolve(DIR).resolve(NAME)}) {
            if (candidate != null && Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Where {@code stack} writes the file: in the current directory. */
    public static Path defaultLocation(Path cwd) {
        return cwd.resolve(DIR).resolve(NAME);
    }
}
