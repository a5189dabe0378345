package io.dtrbackup.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;

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

    /**
     * The one-line secret in {@code file}, or, when the file does not exist, {@code generator}'s value
     * written there (mode 0600) first. A file that exists but does not hold one non-blank line is
     * refused, naming the file and never its content.
     */
    public static String readOrCreate(Path file, Supplier<String> generator) throws IOException {
        if (!Files.exists(file)) {
            String value = generator.get();
            write(file, value);
            return value;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
        if (lines.size() != 1) {
            throw new CliException("secret file " + file + " is " + (lines.isEmpty() ? "empty" : "more than one line")
                    + ": restore it from your copy, or delete it to generate a new one");
        }
        return lines.get(0).strip();
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
