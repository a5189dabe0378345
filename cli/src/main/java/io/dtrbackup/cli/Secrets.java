package io.dtrbackup.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Secret files the embedded stack and the demo generate: owner-readable only, one line each. */
public final class Secrets {
    private Secrets() {
    }

    /** Writes {@code value} plus a newline to {@code file}, mode 0600. */
    public static Path write(Path file, String value) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.deleteIfExists(file);
        Files.createFile(file);
        ownerOnly(file);
        Files.writeString(file, value + "\n", StandardCharsets.UTF_8);
        return file;
    }

    /** A random single-line passphrase (hex: nothing a shell or gpg --passphrase-file could mangle). */
    public static String randomPassphrase() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    static void ownerOnly(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system (Windows): the directory's ACLs apply.
        }
    }
}
