package io.dtrbackup.verify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Stock gpg (GnuPG 2.2) as the reference encryptor for fixtures: its own home directory, the
 * passphrase from a file, as the seed procedure and restores use it. {@link #close()} stops the
 * gpg-agent it started.
 */
public final class Gpg implements AutoCloseable {
    private final Path home;
    private final Path dir;

    public Gpg(Path dir) {
        try {
            this.dir = dir;
            this.home = Files.createDirectories(dir.resolve("gnupg"));
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path passphraseFile(String name, String passphrase) {
        try {
            return Files.writeString(dir.resolve(name), passphrase + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code gpg --symmetric --cipher-algo AES256 -z0 --s2k-digest-algo SHA256}, reading a file or (stdin=true) a pipe. */
    public void encrypt(Path plaintext, Path ciphertext, Path passphraseFile, boolean stdin, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--yes",
                "--pinentry-mode", "loopback", "--passphrase-file", passphraseFile.toString(), "--symmetric",
                "--cipher-algo", "AES256", "--s2k-digest-algo", "SHA256"));
        cmd.addAll(List.of(extra.length == 0 ? new String[] {"-z0"} : extra));
        cmd.addAll(List.of("-o", ciphertext.toString()));
        if (!stdin) {
            cmd.add(plaintext.toString());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (stdin) {
            pb.redirectInput(plaintext.toFile());
        }
        run(pb);
    }

    /** {@code gpg -d <file> | tar -t > /dev/null}: returns the seconds it took. */
    public double decryptAndList(Path ciphertext, Path passphraseFile) {
        String shell = "set -o pipefail; gpg --homedir '" + home + "' --batch --quiet --pinentry-mode loopback "
                + "--passphrase-file '" + passphraseFile + "' -d '" + ciphertext + "' | tar -t > /dev/null";
        long start = System.nanoTime();
        run(new ProcessBuilder("bash", "-c", shell).redirectErrorStream(true));
        return (System.nanoTime() - start) / 1e9;
    }

    private static void run(ProcessBuilder pb) {
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("gpg failed: " + String.join(" ", pb.command()) + "\n" + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            new ProcessBuilder("gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent").redirectErrorStream(true)
                    .start().waitFor(20, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
