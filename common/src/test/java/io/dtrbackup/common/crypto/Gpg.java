package io.dtrbackup.common.crypto;

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
 * Stock GnuPG ({@code gpg}, Debian's 2.2) for interoperability tests, with its own temporary
 * GNUPGHOME. The passphrase always travels in a file, as in a real restore. Shared through
 * common's test-jar (crypto-service, verify-service).
 */
public final class Gpg {
    /** What gpg did: exit code, {@code --status-file} lines, stderr. */
    public record Result(int exitCode, List<String> status, String stderr) {
        public boolean has(String statusKeyword) {
            return status.stream().anyMatch(l -> l.equals("[GNUPG:] " + statusKeyword)
                    || l.startsWith("[GNUPG:] " + statusKeyword + " "));
        }

        @Override
        public String toString() {
            return "gpg exit " + exitCode + "\nstatus:\n  " + String.join("\n  ", status) + "\nstderr:\n" + stderr;
        }
    }

    private final Path home;

    public Gpg(Path workDir) {
        try {
            home = Files.createDirectories(workDir.resolve("gnupg-home"));
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code gpg --batch --pinentry-mode loopback --passphrase-file F -o out -d in}. */
    public Result decrypt(Path in, Path passphraseFile, Path out) {
        return run(List.of("--pinentry-mode", "loopback", "--passphrase-file", passphraseFile.toString(), "-o",
                out.toString(), "-d", in.toString()));
    }

    /** {@code gpg --batch --symmetric --cipher-algo AES256 [extra] -o out in}. */
    public Result encrypt(Path in, Path passphraseFile, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--pinentry-mode", "loopback", "--passphrase-file",
                passphraseFile.toString(), "--symmetric", "--cipher-algo", "AES256"));
        args.addAll(List.of(extra));
        args.addAll(List.of("-o", out.toString(), in.toString()));
        return run(args);
    }

    /** {@link #encrypt} reading the plaintext from a pipe (gpg then writes partial-length packets). */
    public Result encryptFromStdin(Path in, Path passphraseFile, Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("--pinentry-mode", "loopback", "--passphrase-file",
                passphraseFile.toString(), "--symmetric", "--cipher-algo", "AES256"));
        args.addAll(List.of(extra));
        args.addAll(List.of("-o", out.toString()));
        return run(args, ProcessBuilder.Redirect.from(in.toFile()));
    }

    /** {@code gpg --list-packets} with the passphrase, for diagnostics. */
    public Result listPackets(Path in, Path passphraseFile) {
        return run(List.of("--pinentry-mode", "loopback", "--passphrase-file", passphraseFile.toString(),
                "--list-packets", in.toString()));
    }

    public Result run(List<String> args) {
        return run(args, ProcessBuilder.Redirect.PIPE);
    }

    private Result run(List<String> args, ProcessBuilder.Redirect stdin) {
        try {
            Path status = Files.createTempFile(home, "status", ".txt");
            Path err = Files.createTempFile(home, "stderr", ".txt");
            List<String> cmd = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--yes",
                    "--no-tty", "--status-file", status.toString()));
            cmd.addAll(args);
            Process p = new ProcessBuilder(cmd).redirectInput(stdin).redirectError(err.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("gpg did not finish: " + cmd);
            }
            Result r = new Result(p.exitValue(), Files.readAllLines(status, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
            Files.deleteIfExists(status);
            Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run gpg (is gnupg installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
