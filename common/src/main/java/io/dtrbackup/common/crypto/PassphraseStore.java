package io.dtrbackup.common.crypto;

import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ServiceConfig;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backup passphrases by key ID, read from files. Each artifact records the key ID it was
 * encrypted with, so passphrases can rotate: add a new {@code <keyId>} file, make it active,
 * keep the old files as long as backups made with them are kept.
 *
 * <p>Two layouts: a directory holding one file per key ID (the file name is the key ID; hidden
 * entries such as a Kubernetes secret volume's {@code ..data} are ignored), or one file with a
 * configured key ID. A passphrase is the file's content without trailing newlines and must be a
 * single line, because {@code gpg --passphrase-file} reads only the first line.
 *
 * <p>The content is never logged, never part of an exception message and never in
 * {@link #toString()}; {@link #passphrase(String)} hands out a copy the caller may wipe.
 */
public final class PassphraseStore {
    private static final Logger LOG = LoggerFactory.getLogger(PassphraseStore.class);
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Map<String, char[]> passphrases;
    private final String activeKeyId;

    private PassphraseStore(Map<String, char[]> passphrases, String activeKeyId) {
        if (passphrases.isEmpty()) {
            throw new ConfigException("no backup passphrase configured: dtr-backup refuses to run without one");
        }
        if (activeKeyId == null) {
            if (passphrases.size() != 1) {
                throw new ConfigException("several passphrases " + passphrases.keySet()
                        + " and no active key ID: set DTR_BACKUP_ACTIVE_KEY_ID to the one new backups use");
            }
            activeKeyId = passphrases.keySet().iterator().next();
        }
        if (!passphrases.containsKey(activeKeyId)) {
            throw new ConfigException("the active key ID '" + activeKeyId + "' has no passphrase; known key IDs: "
                    + passphrases.keySet());
        }
        this.passphrases = passphrases;
        this.activeKeyId = activeKeyId;
    }

    /** One passphrase file, known under {@code keyId}. */
    public static PassphraseStore fromFile(Path file, String keyId) {
        checkKeyId(keyId);
        Map<String, char[]> map = new TreeMap<>();
        map.put(keyId, read(file));
        return new PassphraseStore(map, keyId);
    }

    /**
     * Every {@code <keyId>} file of a directory. {@code activeKeyId} may be null only when the
     * directory holds exactly one passphrase.
     */
    public static PassphraseStore fromDirectory(Path dir, String activeKeyId) {
        if (activeKeyId != null) {
            checkKeyId(activeKeyId);
        }
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("passphrase directory " + dir + " does not exist or is not a directory");
        }
        Map<String, char[]> map = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".") || !Files.isRegularFile(entry)) {
                    continue; // e.g. ..data and ..2025_01_01 of a Kubernetes secret volume
                }
                if (!KEY_ID.matcher(name).matches()) {
                    LOG.warn("ignoring {} in the passphrase directory: a key ID file name is 1-128 characters of "
                            + "[A-Za-z0-9._-]", entry);
                    continue;
                }
                map.put(name, read(entry));
            }
        } catch (IOException e) {
            throw new ConfigException("cannot list passphrase directory " + dir + ": " + e.getClass().getSimpleName());
        }
        if (map.isEmpty()) {
            throw new ConfigException("passphrase directory " + dir + " holds no <keyId> file: dtr-backup refuses to "
                    + "run without a passphrase");
        }
        return new PassphraseStore(map, activeKeyId);
    }

    /** From passphrases already in memory (the CLI, tests). The arrays are copied. */
    public static PassphraseStore of(String activeKeyId, Map<String, char[]> passphrases) {
        Map<String, char[]> map = new TreeMap<>();
        passphrases.forEach((id, p) -> {
            checkKeyId(id);
            map.put(id, check(p.clone(), "passphrase of key ID " + id));
        });
        return new PassphraseStore(map, activeKeyId);
    }

    /** The key ID new artifacts are encrypted with. */
    public String activeKeyId() {
        return activeKeyId;
    }

    /** A copy of the active passphrase; wipe it after use. */
    public char[] activePassphrase() {
        return passphrase(activeKeyId);
    }

    /** A copy of the passphrase of {@code keyId}; wipe it after use. */
    public char[] passphrase(String keyId) {
        char[] p = passphrases.get(keyId);
        if (p == null) {
            throw new IllegalArgumentException("no passphrase for key ID '" + keyId + "' (known key IDs: "
                    + passphrases.keySet() + "): add its file to the passphrase directory");
        }
        return p.clone();
    }

    public boolean contains(String keyId) {
        return passphrases.containsKey(keyId);
    }

    public Set<String> keyIds() {
        return Collections.unmodifiableSet(passphrases.keySet());
    }

    @Override
    public String toString() {
        return "PassphraseStore{activeKeyId=" + activeKeyId + ", keyIds=" + passphrases.keySet() + ", passphrases=<redacted>}";
    }

    private static char[] read(Path file) {
        return check(ServiceConfig.readSecret(file), "passphrase file " + file);
    }

    private static char[] check(char[] passphrase, String what) {
        if (passphrase.length == 0) {
            throw new ConfigException(what + " is empty");
        }
        for (char c : passphrase) {
            if (c == '\n' || c == '\r') {
                Arrays.fill(passphrase, '\0');
                throw new ConfigException(what + " has more than one line: gpg --passphrase-file reads only the first "
                        + "line, so a restore with stock gpg would fail; use a single-line passphrase");
            }
        }
        return passphrase;
    }

    private static void checkKeyId(String keyId) {
        if (keyId == null || !KEY_ID.matcher(keyId).matches()) {
            throw new ConfigException("a key ID is 1-128 characters of [A-Za-z0-9._-] starting with a letter or digit, "
                    + "got '" + keyId + "'");
        }
    }
}
